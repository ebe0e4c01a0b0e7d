// CTAP HID driver (upstream capsule `usb_hid_driver` for FIDO): read-write
// allow 0 = receive buffer, 1 = send buffer (64-byte packets); subscribe
// 0 = done (0 received, 1 sent); command 1 = send, 2 = receive,
// 3 = cancel send, 4 = cancel receive, 5 = receive and send.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_CTAP_UPCALL_DONE 0
#define LIBTOCK_CTAP_PACKET_LENGTH 64

typedef enum {
  LIBTOCK_CTAP_RECEIVED = 0,
  LIBTOCK_CTAP_SENT     = 1,
} libtock_ctap_direction_t;

typedef void (*libtock_ctap_callback)(libtock_ctap_direction_t direction);

bool libtock_ctap_exists(void);
returncode_t libtock_ctap_send(uint8_t* packet, uint32_t length, libtock_ctap_callback callback);
returncode_t libtock_ctap_receive(uint8_t* packet, uint32_t length, libtock_ctap_callback callback);
returncode_t libtock_ctap_cancel_receive(void);

returncode_t libtock_ctap_set_receive_allow(uint8_t* packet, uint32_t length);
returncode_t libtock_ctap_set_send_allow(uint8_t* packet, uint32_t length);
returncode_t libtock_ctap_set_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_ctap_command(uint32_t number);

#ifdef __cplusplus
}
#endif
