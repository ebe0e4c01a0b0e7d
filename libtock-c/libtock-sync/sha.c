#include "sha.h"
#include "wait.h"

returncode_t libtocksync_sha_digest(libtock_sha_algorithm_t algorithm, const uint8_t* data,
                                    uint32_t data_length, uint8_t* digest, uint32_t digest_length) {
  returncode_t ret = libtocksync_prepare_wait(DRIVER_NUM_SHA, LIBTOCK_SHA_UPCALL_DONE);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_sha_command_set_algorithm(algorithm);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_sha_set_data_allow(data, data_length);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_sha_set_digest_allow(digest, digest_length);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_sha_command_run();
  if (ret != RETURNCODE_SUCCESS) return ret;
  yield_waitfor_return_t done = libtocksync_wait(DRIVER_NUM_SHA, LIBTOCK_SHA_UPCALL_DONE);
  tock_unallow_readonly(DRIVER_NUM_SHA, LIBTOCK_SHA_ALLOW_DATA);
  tock_unallow_readwrite(DRIVER_NUM_SHA, LIBTOCK_SHA_ALLOW_DIGEST);
  return tock_status_to_returncode((statuscode_t)done.data0);
}

returncode_t libtocksync_hmac_compute(libtock_hmac_algorithm_t algorithm, const uint8_t* key,
                                      uint32_t key_length, const uint8_t* data,
                                      uint32_t data_length, uint8_t* digest,
                                      uint32_t digest_length) {
  returncode_t ret = libtocksync_prepare_wait(DRIVER_NUM_HMAC, LIBTOCK_HMAC_UPCALL_DONE);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_hmac_command_set_algorithm(algorithm);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_hmac_set_key_allow(key, key_length);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_hmac_set_data_allow(data, data_length);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_hmac_set_digest_allow(digest, digest_length);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_hmac_command_run();
  if (ret != RETURNCODE_SUCCESS) return ret;
  yield_waitfor_return_t done = libtocksync_wait(DRIVER_NUM_HMAC, LIBTOCK_HMAC_UPCALL_DONE);
  tock_unallow_readonly(DRIVER_NUM_HMAC, 0);
  tock_unallow_readonly(DRIVER_NUM_HMAC, 1);
  tock_unallow_readwrite(DRIVER_NUM_HMAC, 2);
  return tock_status_to_returncode((statuscode_t)done.data0);
}
