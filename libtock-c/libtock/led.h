// LED driver (upstream capsule `led`): command 0 = count, 1 = on, 2 = off,
// 3 = toggle; LEDs are numbered from 0.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

// The number of LEDs; fails with ENODEVICE if the board has no LED driver.
returncode_t libtock_led_count(uint32_t* count);
returncode_t libtock_led_on(uint32_t led);
returncode_t libtock_led_off(uint32_t led);
returncode_t libtock_led_toggle(uint32_t led);

#ifdef __cplusplus
}
#endif
