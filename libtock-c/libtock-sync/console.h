// Synchronous console: write and read that return when the kernel is done.
#pragma once

#include <libtock/console.h>

#ifdef __cplusplus
extern "C" {
#endif

// Writes all `length` bytes (several kernel writes if the kernel takes
// fewer at a time); `written` gets the number written.
returncode_t libtocksync_console_write(const uint8_t* buffer, uint32_t length, uint32_t* written);
// Reads up to `length` bytes; `read` gets the number read.
returncode_t libtocksync_console_read(uint8_t* buffer, uint32_t length, uint32_t* read);

#ifdef __cplusplus
}
#endif
