// Real-time clock: the date-time driver 0x90007 (upstream's `DateTime`
// capsule; the names below are upstream libtock-c's `rtc` ones, so its
// code compiles here). Command 1 reads, command 2 (date, time) sets;
// subscribe 0 gets (status, date, time) after a read and (status, 0, 0)
// after a set. The pair packs the calendar:
//   date: year << 9 | month (1..12) << 5 | day
//   time: day_of_week (Sunday 0) << 17 | hour << 12 | minute << 6 | seconds
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_RTC_UPCALL_DONE 0

#define JANUARY 1
#define FEBRUARY 2
#define MARCH 3
#define APRIL 4
#define MAY 5
#define JUNE 6
#define JULY 7
#define AUGUST 8
#define SEPTEMBER 9
#define OCTOBER 10
#define NOVEMBER 11
#define DECEMBER 12

#define SUNDAY 0
#define MONDAY 1
#define TUESDAY 2
#define WEDNESDAY 3
#define THURSDAY 4
#define FRIDAY 5
#define SATURDAY 6

// A calendar date and time of day (UTC on qemu-rv32-virt).
typedef struct {
  int year;
  int month;        // 1..12
  int day;          // 1..31
  int day_of_week;  // Sunday 0 .. Saturday 6
  int hour;
  int minute;
  int seconds;
} libtock_rtc_date_t;

typedef void (*libtock_rtc_callback_date)(returncode_t status, libtock_rtc_date_t date);
typedef void (*libtock_rtc_callback_done)(returncode_t status);

bool libtock_rtc_exists(void);
// Starts a read; `callback` gets the date.
returncode_t libtock_rtc_get_date(libtock_rtc_callback_date callback);
// Starts setting the clock to `date` (EINVAL for a date that does not exist).
returncode_t libtock_rtc_set_date(const libtock_rtc_date_t* date, libtock_rtc_callback_done callback);

// The packed pair and back.
void libtock_rtc_pack(const libtock_rtc_date_t* date, uint32_t* packed_date, uint32_t* packed_time);
void libtock_rtc_unpack(uint32_t packed_date, uint32_t packed_time, libtock_rtc_date_t* date);

// Ours, not upstream's: seconds since 1970-01-01 00:00:00 of `date` (the
// time TOTP counts); -1 before 1970.
int64_t libtock_rtc_unix_seconds(const libtock_rtc_date_t* date);

// The system calls themselves.
bool libtock_rtc_driver_exists(void);
returncode_t libtock_rtc_set_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_rtc_command_get_date(void);
returncode_t libtock_rtc_command_set_date(uint32_t date, uint32_t time);

#ifdef __cplusplus
}
#endif
