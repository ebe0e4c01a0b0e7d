// Synchronous SHA digests and HMACs.
#pragma once

#include <libtock/hmac.h>
#include <libtock/sha.h>

#ifdef __cplusplus
extern "C" {
#endif

returncode_t libtocksync_sha_digest(libtock_sha_algorithm_t algorithm, const uint8_t* data,
                                    uint32_t data_length, uint8_t* digest, uint32_t digest_length);
returncode_t libtocksync_hmac_compute(libtock_hmac_algorithm_t algorithm, const uint8_t* key,
                                      uint32_t key_length, const uint8_t* data,
                                      uint32_t data_length, uint8_t* digest,
                                      uint32_t digest_length);

#ifdef __cplusplus
}
#endif
