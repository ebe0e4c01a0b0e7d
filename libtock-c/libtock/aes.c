#include "aes.h"

static returncode_t aes_command(uint32_t number, uint32_t arg1, uint32_t arg2) {
  return tock_command_return_novalue_to_returncode(
    command(DRIVER_NUM_AES, number, (int)arg1, (int)arg2));
}

static returncode_t aes_allow_ro(uint32_t number, const uint8_t* buffer, uint32_t length) {
  return tock_allow_ro_return_to_returncode(allow_readonly(DRIVER_NUM_AES, number, buffer, length));
}

bool libtock_aes_exists(void) {
  return driver_exists(DRIVER_NUM_AES);
}

returncode_t libtock_aes_set_key_allow(const uint8_t* key, uint32_t length) {
  return aes_allow_ro(0, key, length);
}

returncode_t libtock_aes_set_iv_allow(const uint8_t* iv, uint32_t length) {
  return aes_allow_ro(1, iv, length);
}

returncode_t libtock_aes_set_source_allow(const uint8_t* source, uint32_t length) {
  return aes_allow_ro(2, source, length);
}

returncode_t libtock_aes_set_dest_allow(uint8_t* dest, uint32_t length) {
  return tock_allow_rw_return_to_returncode(allow_readwrite(DRIVER_NUM_AES, 0, dest, length));
}

returncode_t libtock_aes_set_upcall(subscribe_upcall upcall, void* opaque) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_AES, LIBTOCK_AES_UPCALL_DONE, upcall, opaque));
}

returncode_t libtock_aes_command_set_algorithm(libtock_aes_mode_t mode, bool encrypting) {
  return aes_command(1, (uint32_t)mode, encrypting ? 1 : 0);
}

returncode_t libtock_aes_command_setup(void) {
  return aes_command(2, 0, 0);
}

returncode_t libtock_aes_command_crypt(void) {
  return aes_command(3, 0, 0);
}

returncode_t libtock_aes_command_finish(void) {
  return aes_command(4, 0, 0);
}

returncode_t libtock_aes_command_ccm_set_a_offset(uint32_t offset) {
  return aes_command(5, offset, 0);
}

returncode_t libtock_aes_command_ccm_set_m_offset(uint32_t offset) {
  return aes_command(6, offset, 0);
}

returncode_t libtock_aes_command_ccm_set_mic_length(uint32_t length) {
  return aes_command(7, length, 0);
}

returncode_t libtock_aes_command_ccm_set_confidential(bool confidential) {
  return aes_command(8, confidential ? 1 : 0, 0);
}

static void aes_done(int status, int unused1, int unused2, void* opaque) {
  (void)unused1;
  (void)unused2;
  libtock_aes_callback callback = (libtock_aes_callback)opaque;
  callback(tock_status_to_returncode((statuscode_t)status));
}

returncode_t libtock_aes_start(libtock_aes_mode_t mode, bool encrypting, const uint8_t* key,
                               uint32_t key_length, const uint8_t* iv, uint32_t iv_length,
                               const uint8_t* source, uint32_t source_length, uint8_t* dest,
                               uint32_t dest_length, libtock_aes_callback callback) {
  returncode_t ret = libtock_aes_set_upcall(aes_done, (void*)callback);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_aes_command_set_algorithm(mode, encrypting);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_aes_set_key_allow(key, key_length);
  if (ret == RETURNCODE_SUCCESS && iv != NULL) ret = libtock_aes_set_iv_allow(iv, iv_length);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_aes_set_source_allow(source, source_length);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_aes_set_dest_allow(dest, dest_length);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_aes_command_setup();
  return ret;
}
