// Virtual timers over the one alarm: any number of one-shot and repeating
// timers, kept in an unsorted list and searched on each upcall.
//
// Invariant: while the list is non-empty the alarm is armed for the timer
// that expires first; timers compare by ticks remaining from "now", so the
// 32-bit counter may wrap. A timer's memory belongs to the caller and must
// live until it fires (one-shot) or is cancelled.
#pragma once

#include "alarm.h"

#ifdef __cplusplus
extern "C" {
#endif

// Called with the counter value when the timer fired.
typedef void (*libtock_timer_callback)(uint32_t now_ticks, void* opaque);

typedef struct libtock_timer {
  uint32_t reference;        // ticks when armed
  uint32_t dt;               // ticks after reference
  uint32_t period;           // 0 for one-shot, else re-armed every period ticks
  libtock_timer_callback callback;
  void* opaque;
  struct libtock_timer* next;
} libtock_timer_t;

// Starts `timer` to fire once after `ms` milliseconds.
returncode_t libtock_timer_in_ms(libtock_timer_t* timer, uint32_t ms,
                                 libtock_timer_callback callback, void* opaque);
// Starts `timer` to fire every `ms` milliseconds until cancelled.
returncode_t libtock_timer_every_ms(libtock_timer_t* timer, uint32_t ms,
                                    libtock_timer_callback callback, void* opaque);
// Stops `timer`; RETURNCODE_EALREADY if it was not running.
returncode_t libtock_timer_cancel(libtock_timer_t* timer);
// Whether `timer` is waiting to fire.
bool libtock_timer_is_running(const libtock_timer_t* timer);

#ifdef __cplusplus
}
#endif
