#include "rtc.h"
#include "wait.h"

bool libtocksync_rtc_exists(void) {
  return libtock_rtc_driver_exists();
}

// Runs a command that ends in the driver's upcall; the upcall's arguments.
static returncode_t wait_for_done(returncode_t started, yield_waitfor_return_t* done) {
  if (started != RETURNCODE_SUCCESS) return started;
  *done = libtocksync_wait(DRIVER_NUM_RTC, LIBTOCK_RTC_UPCALL_DONE);
  return tock_status_to_returncode((statuscode_t)done->data0);
}

returncode_t libtocksync_rtc_get_date(libtock_rtc_date_t* date) {
  returncode_t ret = libtocksync_prepare_wait(DRIVER_NUM_RTC, LIBTOCK_RTC_UPCALL_DONE);
  if (ret != RETURNCODE_SUCCESS) return ret;
  yield_waitfor_return_t done;
  ret = wait_for_done(libtock_rtc_command_get_date(), &done);
  if (ret != RETURNCODE_SUCCESS) return ret;
  libtock_rtc_unpack((uint32_t)done.data1, (uint32_t)done.data2, date);
  return RETURNCODE_SUCCESS;
}

returncode_t libtocksync_rtc_set_date(const libtock_rtc_date_t* date) {
  returncode_t ret = libtocksync_prepare_wait(DRIVER_NUM_RTC, LIBTOCK_RTC_UPCALL_DONE);
  if (ret != RETURNCODE_SUCCESS) return ret;
  uint32_t packed_date, packed_time;
  libtock_rtc_pack(date, &packed_date, &packed_time);
  yield_waitfor_return_t done;
  return wait_for_done(libtock_rtc_command_set_date(packed_date, packed_time), &done);
}

returncode_t libtocksync_rtc_unix_seconds(uint64_t* seconds) {
  libtock_rtc_date_t date;
  returncode_t ret = libtocksync_rtc_get_date(&date);
  if (ret != RETURNCODE_SUCCESS) return ret;
  int64_t unix_seconds = libtock_rtc_unix_seconds(&date);
  if (unix_seconds < 0) return RETURNCODE_FAIL;
  *seconds = (uint64_t)unix_seconds;
  return RETURNCODE_SUCCESS;
}
