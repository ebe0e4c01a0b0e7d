// SHA driver (upstream capsule `sha`): read-only allow 1 = data, read-write
// allow 2 = digest; subscribe 0 = done (status); command 0 = set algorithm,
// 1 = run (hash the data and finish), 2 = update, 3 = finish.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_SHA_UPCALL_DONE 0

typedef enum {
  LIBTOCK_SHA256 = 0,
  LIBTOCK_SHA384 = 1,
  LIBTOCK_SHA512 = 2,
} libtock_sha_algorithm_t;

typedef void (*libtock_sha_callback)(returncode_t status);

bool libtock_sha_exists(void);
// Hashes `data` in one go into `digest` (32, 48 or 64 bytes).
returncode_t libtock_sha_digest(libtock_sha_algorithm_t algorithm, const uint8_t* data,
                                uint32_t data_length, uint8_t* digest, uint32_t digest_length,
                                libtock_sha_callback callback);

returncode_t libtock_sha_set_data_allow(const uint8_t* data, uint32_t length);
returncode_t libtock_sha_set_digest_allow(uint8_t* digest, uint32_t length);
returncode_t libtock_sha_set_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_sha_command_set_algorithm(libtock_sha_algorithm_t algorithm);
returncode_t libtock_sha_command_run(void);
returncode_t libtock_sha_command_update(void);
returncode_t libtock_sha_command_finish(void);

#ifdef __cplusplus
}
#endif
