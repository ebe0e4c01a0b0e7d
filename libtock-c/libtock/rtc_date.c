// The date arithmetic of rtc.h, with no system calls (so host tests can
// build it alone).
#include "rtc.h"

void libtock_rtc_pack(const libtock_rtc_date_t* date, uint32_t* packed_date, uint32_t* packed_time) {
  *packed_date = ((uint32_t)date->year << 9) | ((uint32_t)date->month << 5) | (uint32_t)date->day;
  *packed_time = ((uint32_t)date->day_of_week << 17) | ((uint32_t)date->hour << 12) |
                 ((uint32_t)date->minute << 6) | (uint32_t)date->seconds;
}

void libtock_rtc_unpack(uint32_t packed_date, uint32_t packed_time, libtock_rtc_date_t* date) {
  date->year        = (int)((packed_date >> 9) & 0xfff);
  date->month       = (int)((packed_date >> 5) & 0xf);
  date->day         = (int)(packed_date & 0x1f);
  date->day_of_week = (int)((packed_time >> 17) & 0x7);
  date->hour        = (int)((packed_time >> 12) & 0x1f);
  date->minute      = (int)((packed_time >> 6) & 0x3f);
  date->seconds     = (int)(packed_time & 0x3f);
}

// Days from 1970-01-01: the year shifted to start in March, so a leap day
// ends its year (for years from 0 on, where division truncates the same
// as it floors).
static int64_t days_from_civil(int64_t year, int month, int day) {
  int64_t shifted     = month <= 2 ? year - 1 : year;
  int64_t era         = shifted / 400;
  int64_t year_of_era = shifted - era * 400;
  int64_t day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
  int64_t day_of_era  = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

int64_t libtock_rtc_unix_seconds(const libtock_rtc_date_t* date) {
  if (date->year < 1970) return -1;
  int64_t days = days_from_civil(date->year, date->month, date->day);
  return days * 86400 + date->hour * 3600 + date->minute * 60 + date->seconds;
}
