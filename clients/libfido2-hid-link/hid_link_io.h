/*
 * libfido2 I/O over qemu-rv32-virt's HID link (docs/boards/qemu-rv32-virt.md):
 * a Unix socket carrying 65-byte frames both ways, byte 0 the interface
 * (0x01 FIDO CTAPHID, 0x02 keyboard), bytes 1..64 one HID report.
 *
 * The "device path" libfido2 opens is the socket's path. Install the
 * functions with hid_link_install(dev) before fido_dev_open().
 *
 * User presence: when a CTAPHID KEEPALIVE with status UPNEEDED arrives, the
 * transport runs the shell command in TOCK_FIDO_PRESS once per request (its
 * output goes to stderr), or, when that is unset, asks on stderr for a touch
 * (the emulated button: type ESC B 0 on the device's console).
 */
#ifndef HID_LINK_IO_H
#define HID_LINK_IO_H

#include <fido.h>

/* The environment variable naming the command that presses the button. */
#define HID_LINK_PRESS_VARIABLE "TOCK_FIDO_PRESS"

/* Makes `dev` talk CTAPHID over the HID link; a libfido2 status. */
int hid_link_install(fido_dev_t *dev);

#endif
