// Alarm driver (upstream capsule `alarm`): one hardware-backed alarm per
// process, counted in ticks of a free-running 32-bit counter.
//
// Interface: command 1 = frequency (Hz), 2 = now (ticks), 3 = stop,
// 5 = set relative (dt) -> expiration, 6 = set absolute (reference, dt) ->
// expiration; subscribe 0 = fired (now, expiration). Several timers share the
// one alarm through timer.h.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_ALARM_UPCALL_FIRED 0

bool libtock_alarm_exists(void);
returncode_t libtock_alarm_set_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_alarm_command_get_frequency(uint32_t* frequency_hz);
returncode_t libtock_alarm_command_read(uint32_t* now_ticks);
returncode_t libtock_alarm_command_stop(void);
returncode_t libtock_alarm_command_set_relative(uint32_t dt_ticks, uint32_t* expiration);
returncode_t libtock_alarm_command_set_absolute(uint32_t reference, uint32_t dt_ticks,
                                               uint32_t* expiration);

// Conversions between milliseconds and ticks at the alarm's frequency.
// They saturate instead of wrapping; both fail if the driver is missing.
returncode_t libtock_alarm_ms_to_ticks(uint32_t ms, uint32_t* ticks);
returncode_t libtock_alarm_ticks_to_ms(uint32_t ticks, uint32_t* ms);

#ifdef __cplusplus
}
#endif
