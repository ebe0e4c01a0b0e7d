// SHA driver (upstream capsule `sha`): read-only allow 0 = data, 1 = digest
// to compare with; read-write allow 0 = digest; subscribe 0 = done (status),
// 1 = verify done (status, 1 if equal); command 0 = exists, 1 = set
// algorithm, 2 = hash (the data, into the digest), 3 = verify, and this
// kernel's extensions 4 = update, 5 = finish.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_SHA_UPCALL_DONE 0
#define LIBTOCK_SHA_UPCALL_VERIFY_DONE 1

#define LIBTOCK_SHA_ALLOW_DATA 0
#define LIBTOCK_SHA_ALLOW_COMPARE 1
#define LIBTOCK_SHA_ALLOW_DIGEST 0

#define LIBTOCK_SHA_COMMAND_SET_ALGORITHM 1
#define LIBTOCK_SHA_COMMAND_HASH 2
#define LIBTOCK_SHA_COMMAND_VERIFY 3
#define LIBTOCK_SHA_COMMAND_UPDATE 4
#define LIBTOCK_SHA_COMMAND_FINISH 5

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
