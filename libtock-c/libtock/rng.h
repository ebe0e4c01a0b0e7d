// Random number driver (upstream capsule `rng`): read-write allow 0 = buffer
// to fill; subscribe 0 = done (0, bytes written, 0); command 1 = fill n bytes.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_RNG_UPCALL_DONE 0

// Filled `length` bytes (or fewer, as reported) of the buffer.
typedef void (*libtock_rng_callback)(returncode_t status, uint32_t length);

bool libtock_rng_exists(void);
// Starts filling `length` bytes of `buffer` with random bytes.
returncode_t libtock_rng_get_random_bytes(uint8_t* buffer, uint32_t length,
                                          libtock_rng_callback callback);

returncode_t libtock_rng_set_allow(uint8_t* buffer, uint32_t length);
returncode_t libtock_rng_set_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_rng_command_get_random(uint32_t length);

#ifdef __cplusplus
}
#endif
