// Synchronous buttons.
#pragma once

#include <libtock/button.h>

#ifdef __cplusplus
extern "C" {
#endif

// Blocks until a button changes; enables the interrupt of `button` first.
returncode_t libtocksync_button_wait_for_change(uint32_t button, uint32_t* changed, bool* pressed);

#ifdef __cplusplus
}
#endif
