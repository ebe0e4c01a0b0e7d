#include "rtc.h"

bool libtock_rtc_driver_exists(void) {
  return driver_exists(DRIVER_NUM_RTC);
}

bool libtock_rtc_exists(void) {
  return libtock_rtc_driver_exists();
}

returncode_t libtock_rtc_set_upcall(subscribe_upcall upcall, void* opaque) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_RTC, LIBTOCK_RTC_UPCALL_DONE, upcall, opaque));
}

returncode_t libtock_rtc_command_get_date(void) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_RTC, 1, 0, 0));
}

returncode_t libtock_rtc_command_set_date(uint32_t date, uint32_t time) {
  return tock_command_return_novalue_to_returncode(
    command(DRIVER_NUM_RTC, 2, (int)date, (int)time));
}

static void read_done(int status, int packed_date, int packed_time, void* opaque) {
  libtock_rtc_date_t date;
  libtock_rtc_unpack((uint32_t)packed_date, (uint32_t)packed_time, &date);
  ((libtock_rtc_callback_date)opaque)(tock_status_to_returncode((statuscode_t)status), date);
}

static void set_done(int status, int unused1, int unused2, void* opaque) {
  (void)unused1;
  (void)unused2;
  ((libtock_rtc_callback_done)opaque)(tock_status_to_returncode((statuscode_t)status));
}

returncode_t libtock_rtc_get_date(libtock_rtc_callback_date callback) {
  returncode_t ret = libtock_rtc_set_upcall(read_done, (void*)callback);
  if (ret != RETURNCODE_SUCCESS) return ret;
  return libtock_rtc_command_get_date();
}

returncode_t libtock_rtc_set_date(const libtock_rtc_date_t* date, libtock_rtc_callback_done callback) {
  uint32_t packed_date, packed_time;
  libtock_rtc_pack(date, &packed_date, &packed_time);
  returncode_t ret = libtock_rtc_set_upcall(set_done, (void*)callback);
  if (ret != RETURNCODE_SUCCESS) return ret;
  return libtock_rtc_command_set_date(packed_date, packed_time);
}
