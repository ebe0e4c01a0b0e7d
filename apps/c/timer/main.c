// timer: three virtual timers over the one alarm, plus a blocking delay.
// A repeating 100 ms timer, a one-shot at 350 ms and a one-shot at 50 ms
// that is cancelled before it fires. Expected order: tick 1, tick 2, tick 3,
// one-shot, then "timer: ok" (or "timer: FAIL ..." naming what went wrong).
#include <stdio.h>
#include <stdlib.h>

#include <libtock-sync/alarm.h>
#include <libtock/timer.h>

static libtock_timer_t repeating, one_shot, cancelled;
static int ticks = 0;
static int failures = 0;

static void on_tick(uint32_t now, void* opaque) {
  (void)now;
  (void)opaque;
  ticks++;
  printf("timer: tick %d\n", ticks);
}

static void on_cancelled(uint32_t now, void* opaque) {
  (void)now;
  (void)opaque;
  printf("timer: FAIL cancelled timer fired\n");
  failures++;
}

static void on_one_shot(uint32_t now, void* opaque) {
  (void)now;
  (void)opaque;
  libtock_timer_cancel(&repeating);
  printf("timer: one-shot after %d ticks\n", ticks);
  if (ticks != 3) {
    printf("timer: FAIL expected 3 ticks before the one-shot\n");
    failures++;
  }
  // A blocking delay while no timer runs must still return.
  if (libtocksync_alarm_delay_ms(20) != RETURNCODE_SUCCESS) {
    printf("timer: FAIL delay\n");
    failures++;
  }
  printf(failures == 0 ? "timer: ok\n" : "timer: FAIL\n");
  exit(failures);
}

int main(void) {
  uint32_t frequency = 0;
  returncode_t ret = libtock_alarm_command_get_frequency(&frequency);
  if (ret != RETURNCODE_SUCCESS) {
    printf("timer: no alarm (%s)\n", tock_strrcode(ret));
    exit(1);
  }
  printf("timer: alarm at %lu Hz\n", (unsigned long)frequency);
  libtock_timer_every_ms(&repeating, 100, on_tick, NULL);
  libtock_timer_in_ms(&one_shot, 350, on_one_shot, NULL);
  libtock_timer_in_ms(&cancelled, 50, on_cancelled, NULL);
  if (libtock_timer_cancel(&cancelled) != RETURNCODE_SUCCESS) {
    printf("timer: FAIL cancel\n");
    failures++;
  }
  return 0;
}
