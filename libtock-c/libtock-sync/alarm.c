#include "alarm.h"

static void delay_done(uint32_t now, void* opaque) {
  (void)now;
  *(bool*)opaque = true;
}

returncode_t libtocksync_alarm_delay_ms(uint32_t ms) {
  // A virtual timer, not yield-wait-for: the alarm's one upcall is shared
  // by every timer of the app, and waiting for it here would steal the
  // events of the others.
  libtock_timer_t timer;
  bool done = false;
  returncode_t ret = libtock_timer_in_ms(&timer, ms, delay_done, &done);
  if (ret != RETURNCODE_SUCCESS) return ret;
  yield_for(&done);
  return RETURNCODE_SUCCESS;
}
