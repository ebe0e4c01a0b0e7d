// rtc: reads the real-time clock (date-time driver 0x90007) with the
// asynchronous call, sets it to 2023-01-01 12:30:00 and reads it back with
// the synchronous ones, and checks that an impossible date is refused.
// Output: "rtc: now <date>", "rtc: set <date>", then "rtc: ok" (or
// "rtc: no rtc (ENODEVICE)" on a board without one).
#include <stdio.h>
#include <stdlib.h>

#include <libtock-sync/rtc.h>

static bool read_done = false;
static returncode_t read_status;
static libtock_rtc_date_t read_date;

static void on_date(returncode_t status, libtock_rtc_date_t date) {
  read_status = status;
  read_date   = date;
  read_done   = true;
}

static void print_date(const char* what, const libtock_rtc_date_t* date) {
  printf("rtc: %s %04d-%02d-%02d %02d:%02d:%02d (day %d of the week)\n", what, date->year,
         date->month, date->day, date->hour, date->minute, date->seconds, date->day_of_week);
}

int main(void) {
  returncode_t ret = libtock_rtc_get_date(on_date);
  if (ret != RETURNCODE_SUCCESS) {
    printf("rtc: no rtc (%s)\n", tock_strrcode(ret));
    // A missing driver is reported, not a failure of this app.
    exit(ret == RETURNCODE_ENODEVICE ? 0 : 1);
  }
  yield_for(&read_done);
  print_date("now", &read_date);
  libtock_rtc_date_t target = { 2023, JANUARY, 1, SUNDAY, 12, 30, 0 };
  returncode_t set = libtocksync_rtc_set_date(&target);
  libtock_rtc_date_t back   = { 0 };
  returncode_t read_back    = libtocksync_rtc_get_date(&back);
  print_date("set", &back);
  libtock_rtc_date_t impossible = { 2023, FEBRUARY, 30, SUNDAY, 0, 0, 0 };
  returncode_t refused          = libtocksync_rtc_set_date(&impossible);
  // The clock runs on from the date set: not earlier, and still that year.
  int64_t set_seconds = libtock_rtc_unix_seconds(&target);
  bool ok = read_status == RETURNCODE_SUCCESS && read_date.month >= 1 && read_date.month <= 12 &&
            set == RETURNCODE_SUCCESS &&
            read_back == RETURNCODE_SUCCESS && back.year == 2023 &&
            libtock_rtc_unix_seconds(&back) >= set_seconds && refused == RETURNCODE_EINVAL;
  if (ok) {
    printf("rtc: ok\n");
  } else {
    printf("rtc: FAIL read %s, set %s, read back %s, impossible date %s\n", tock_strrcode(read_status),
           tock_strrcode(set), tock_strrcode(read_back), tock_strrcode(refused));
  }
  exit(ok ? 0 : 1);
}
