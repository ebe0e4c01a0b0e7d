#include "timer.h"

// Every running timer; the alarm is armed for the first to expire.
static libtock_timer_t* running_timers = NULL;

static uint32_t remaining(const libtock_timer_t* timer, uint32_t now) {
  uint32_t elapsed = now - timer->reference;
  return elapsed >= timer->dt ? 0 : timer->dt - elapsed;
}

static void unlink_timer(libtock_timer_t* timer) {
  libtock_timer_t** link = &running_timers;
  while (*link != NULL) {
    if (*link == timer) {
      *link = timer->next;
      timer->next = NULL;
      return;
    }
    link = &(*link)->next;
  }
}

// Arms the alarm for the soonest timer, or stops it if none is left.
static void rearm(void) {
  uint32_t now;
  if (libtock_alarm_command_read(&now) != RETURNCODE_SUCCESS) return;
  libtock_timer_t* soonest = NULL;
  for (libtock_timer_t* timer = running_timers; timer != NULL; timer = timer->next) {
    if (soonest == NULL || remaining(timer, now) < remaining(soonest, now)) {
      soonest = timer;
    }
  }
  if (soonest == NULL) {
    libtock_alarm_command_stop();
    return;
  }
  uint32_t expiration;
  libtock_alarm_command_set_absolute(soonest->reference, soonest->dt, &expiration);
}

static void alarm_fired(int now_arg, int expiration, int unused, void* opaque) {
  (void)expiration;
  (void)unused;
  (void)opaque;
  uint32_t now = (uint32_t)now_arg;
  // Fire every expired timer. Callbacks may start or cancel timers, so the
  // list is searched again from the head after each one.
  bool fired = true;
  while (fired) {
    fired = false;
    for (libtock_timer_t* timer = running_timers; timer != NULL; timer = timer->next) {
      if (remaining(timer, now) == 0) {
        unlink_timer(timer);
        if (timer->period != 0) {
          timer->reference += timer->dt;
          timer->dt         = timer->period;
          timer->next       = running_timers;
          running_timers    = timer;
        }
        timer->callback(now, timer->opaque);
        fired = true;
        break;
      }
    }
  }
  rearm();
}

static returncode_t start(libtock_timer_t* timer, uint32_t ms, uint32_t repeat,
                          libtock_timer_callback callback, void* opaque) {
  uint32_t ticks;
  returncode_t ret = libtock_alarm_ms_to_ticks(ms, &ticks);
  if (ret != RETURNCODE_SUCCESS) return ret;
  uint32_t now;
  ret = libtock_alarm_command_read(&now);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_alarm_set_upcall(alarm_fired, NULL);
  if (ret != RETURNCODE_SUCCESS) return ret;
  unlink_timer(timer);
  timer->reference = now;
  timer->dt        = ticks;
  timer->period    = repeat ? (ticks == 0 ? 1 : ticks) : 0;
  timer->callback  = callback;
  timer->opaque    = opaque;
  timer->next      = running_timers;
  running_timers   = timer;
  rearm();
  return RETURNCODE_SUCCESS;
}

returncode_t libtock_timer_in_ms(libtock_timer_t* timer, uint32_t ms,
                                 libtock_timer_callback callback, void* opaque) {
  return start(timer, ms, 0, callback, opaque);
}

returncode_t libtock_timer_every_ms(libtock_timer_t* timer, uint32_t ms,
                                    libtock_timer_callback callback, void* opaque) {
  return start(timer, ms, 1, callback, opaque);
}

bool libtock_timer_is_running(const libtock_timer_t* timer) {
  for (libtock_timer_t* each = running_timers; each != NULL; each = each->next) {
    if (each == timer) return true;
  }
  return false;
}

returncode_t libtock_timer_cancel(libtock_timer_t* timer) {
  if (!libtock_timer_is_running(timer)) return RETURNCODE_EALREADY;
  unlink_timer(timer);
  rearm();
  return RETURNCODE_SUCCESS;
}
