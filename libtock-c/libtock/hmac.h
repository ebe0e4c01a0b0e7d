// HMAC driver (upstream capsule `hmac`): read-only allow 0 = key, 1 = data;
// read-write allow 2 = digest; subscribe 0 = done (status); command 0 = set
// algorithm, 1 = run, 2 = update, 3 = finish.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_HMAC_UPCALL_DONE 0

typedef enum {
  LIBTOCK_HMAC_SHA256 = 0,
  LIBTOCK_HMAC_SHA384 = 1,
  LIBTOCK_HMAC_SHA512 = 2,
  // This kernel's extension (upstream stops at SHA-512): HOTP (RFC 4226) is
  // defined over HMAC-SHA-1.
  LIBTOCK_HMAC_SHA1 = 3,
} libtock_hmac_algorithm_t;

typedef void (*libtock_hmac_callback)(returncode_t status);

bool libtock_hmac_exists(void);
returncode_t libtock_hmac_compute(libtock_hmac_algorithm_t algorithm, const uint8_t* key,
                                  uint32_t key_length, const uint8_t* data, uint32_t data_length,
                                  uint8_t* digest, uint32_t digest_length,
                                  libtock_hmac_callback callback);

returncode_t libtock_hmac_set_key_allow(const uint8_t* key, uint32_t length);
returncode_t libtock_hmac_set_data_allow(const uint8_t* data, uint32_t length);
returncode_t libtock_hmac_set_digest_allow(uint8_t* digest, uint32_t length);
returncode_t libtock_hmac_set_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_hmac_command_set_algorithm(libtock_hmac_algorithm_t algorithm);
returncode_t libtock_hmac_command_run(void);
returncode_t libtock_hmac_command_update(void);
returncode_t libtock_hmac_command_finish(void);

#ifdef __cplusplus
}
#endif
