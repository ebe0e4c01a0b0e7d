// USB keyboard HID driver (upstream capsule `usb_hid_driver` on the keyboard
// descriptor): read-write allow 1 = report to send; subscribe 0 = done
// (direction: 0 received, 1 sent); command 1 = send the report.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_USB_KEYBOARD_HID_UPCALL_DONE 0

typedef void (*libtock_usb_keyboard_hid_callback)(returncode_t status);

bool libtock_usb_keyboard_hid_exists(void);
// Sends one 64-byte report buffer (modifier, reserved, six key codes, ...).
returncode_t libtock_usb_keyboard_hid_send(uint8_t* report, uint32_t length,
                                           libtock_usb_keyboard_hid_callback callback);

returncode_t libtock_usb_keyboard_hid_set_send_allow(uint8_t* report, uint32_t length);
returncode_t libtock_usb_keyboard_hid_set_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_usb_keyboard_hid_command_send(void);

#ifdef __cplusplus
}
#endif
