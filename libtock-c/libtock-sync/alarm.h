// Synchronous delays on the alarm.
#pragma once

#include <libtock/timer.h>

#ifdef __cplusplus
extern "C" {
#endif

// Blocks for `ms` milliseconds. Other timers keep firing meanwhile: the
// wait runs upcalls (yield), it does not swallow them.
returncode_t libtocksync_alarm_delay_ms(uint32_t ms);

#ifdef __cplusplus
}
#endif
