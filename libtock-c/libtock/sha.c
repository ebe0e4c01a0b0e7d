#include "sha.h"

bool libtock_sha_exists(void) {
  return driver_exists(DRIVER_NUM_SHA);
}

returncode_t libtock_sha_set_data_allow(const uint8_t* data, uint32_t length) {
  return tock_allow_ro_return_to_returncode(allow_readonly(DRIVER_NUM_SHA, LIBTOCK_SHA_ALLOW_DATA, data, length));
}

returncode_t libtock_sha_set_digest_allow(uint8_t* digest, uint32_t length) {
  return tock_allow_rw_return_to_returncode(allow_readwrite(DRIVER_NUM_SHA, LIBTOCK_SHA_ALLOW_DIGEST, digest, length));
}

returncode_t libtock_sha_set_upcall(subscribe_upcall upcall, void* opaque) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_SHA, LIBTOCK_SHA_UPCALL_DONE, upcall, opaque));
}

returncode_t libtock_sha_command_set_algorithm(libtock_sha_algorithm_t algorithm) {
  return tock_command_return_novalue_to_returncode(
    command(DRIVER_NUM_SHA, LIBTOCK_SHA_COMMAND_SET_ALGORITHM, (int)algorithm, 0));
}

returncode_t libtock_sha_command_run(void) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_SHA, LIBTOCK_SHA_COMMAND_HASH, 0, 0));
}

returncode_t libtock_sha_command_update(void) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_SHA, LIBTOCK_SHA_COMMAND_UPDATE, 0, 0));
}

returncode_t libtock_sha_command_finish(void) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_SHA, LIBTOCK_SHA_COMMAND_FINISH, 0, 0));
}

static void sha_done(int status, int unused1, int unused2, void* opaque) {
  (void)unused1;
  (void)unused2;
  libtock_sha_callback callback = (libtock_sha_callback)opaque;
  callback(tock_status_to_returncode((statuscode_t)status));
}

returncode_t libtock_sha_digest(libtock_sha_algorithm_t algorithm, const uint8_t* data,
                                uint32_t data_length, uint8_t* digest, uint32_t digest_length,
                                libtock_sha_callback callback) {
  returncode_t ret = libtock_sha_set_upcall(sha_done, (void*)callback);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_sha_command_set_algorithm(algorithm);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_sha_set_data_allow(data, data_length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_sha_set_digest_allow(digest, digest_length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  return libtock_sha_command_run();
}
