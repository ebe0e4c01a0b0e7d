// Synchronous random bytes.
#pragma once

#include <libtock/rng.h>

#ifdef __cplusplus
extern "C" {
#endif

// Fills `buffer` with `length` random bytes; `filled` gets how many.
returncode_t libtocksync_rng_get_random_bytes(uint8_t* buffer, uint32_t length, uint32_t* filled);

#ifdef __cplusplus
}
#endif
