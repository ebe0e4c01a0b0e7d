// Console driver (upstream capsule `console`): asynchronous write and read.
//
// Interface: read-only allow 1 = bytes to write, read-write allow 1 = buffer
// to read into; subscribe 1 = write done (bytes written), subscribe 2 = read
// done (status, bytes read); command 1 = write n bytes, 2 = read n bytes,
// 3 = abort the read.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

// Write finished: status and the number of bytes written.
typedef void (*libtock_console_callback_write)(returncode_t status, uint32_t length);
// Read finished: status and the number of bytes read.
typedef void (*libtock_console_callback_read)(returncode_t status, uint32_t length);

bool libtock_console_exists(void);

// Starts writing `length` bytes of `buffer`; `callback` runs when done. The
// buffer must stay untouched until then.
returncode_t libtock_console_write(const uint8_t* buffer, uint32_t length,
                                   libtock_console_callback_write callback);
// Starts reading up to `length` bytes into `buffer`.
returncode_t libtock_console_read(uint8_t* buffer, uint32_t length,
                                  libtock_console_callback_read callback);
returncode_t libtock_console_abort_read(void);

// The raw interface, for libtock-sync and tests.
returncode_t libtock_console_set_write_allow(const uint8_t* buffer, uint32_t length);
returncode_t libtock_console_set_read_allow(uint8_t* buffer, uint32_t length);
returncode_t libtock_console_set_write_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_console_set_read_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_console_command_write(uint32_t length);
returncode_t libtock_console_command_read(uint32_t length);

#define LIBTOCK_CONSOLE_UPCALL_WRITE 1
#define LIBTOCK_CONSOLE_UPCALL_READ 2

#ifdef __cplusplus
}
#endif
