// Button driver (upstream capsule `button`): command 0 = count, 1 = enable
// interrupt, 2 = disable interrupt, 3 = read; subscribe 0 = changed
// (button number, 1 pressed / 0 released).
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_BUTTON_UPCALL_CHANGED 0

// Called when a button with its interrupt enabled changes.
typedef void (*libtock_button_callback)(uint32_t button, bool pressed);

returncode_t libtock_button_count(uint32_t* count);
returncode_t libtock_button_read(uint32_t button, bool* pressed);
// Sets the one callback for every button (replacing the previous one).
returncode_t libtock_button_notify_on_change(libtock_button_callback callback);
returncode_t libtock_button_enable_interrupt(uint32_t button);
returncode_t libtock_button_disable_interrupt(uint32_t button);

#ifdef __cplusplus
}
#endif
