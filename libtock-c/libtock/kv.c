#include "kv.h"

bool libtock_kv_exists(void) {
  return driver_exists(DRIVER_NUM_KV);
}

returncode_t libtock_kv_set_key_allow(const uint8_t* key, uint32_t length) {
  return tock_allow_ro_return_to_returncode(allow_readonly(DRIVER_NUM_KV, 0, key, length));
}

returncode_t libtock_kv_set_input_allow(const uint8_t* value, uint32_t length) {
  return tock_allow_ro_return_to_returncode(allow_readonly(DRIVER_NUM_KV, 1, value, length));
}

returncode_t libtock_kv_set_output_allow(uint8_t* value, uint32_t capacity) {
  return tock_allow_rw_return_to_returncode(allow_readwrite(DRIVER_NUM_KV, 0, value, capacity));
}

returncode_t libtock_kv_set_upcall(subscribe_upcall upcall, void* opaque) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_KV, LIBTOCK_KV_UPCALL_DONE, upcall, opaque));
}

returncode_t libtock_kv_command(libtock_kv_operation_t operation) {
  return tock_command_return_novalue_to_returncode(
    command(DRIVER_NUM_KV, (uint32_t)operation, 0, 0));
}

static void kv_done(int status, int length, int unused, void* opaque) {
  (void)unused;
  libtock_kv_callback callback = (libtock_kv_callback)opaque;
  callback(tock_status_to_returncode((statuscode_t)status), (uint32_t)length);
}

// Key, optional value in, optional buffer out, then the command.
static returncode_t kv_start(libtock_kv_operation_t operation, const uint8_t* key,
                             uint32_t key_length, const uint8_t* input, uint32_t input_length,
                             uint8_t* output, uint32_t output_capacity,
                             libtock_kv_callback callback) {
  returncode_t ret = libtock_kv_set_upcall(kv_done, (void*)callback);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_kv_set_key_allow(key, key_length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  if (input != NULL) {
    ret = libtock_kv_set_input_allow(input, input_length);
    if (ret != RETURNCODE_SUCCESS) return ret;
  }
  if (output != NULL) {
    ret = libtock_kv_set_output_allow(output, output_capacity);
    if (ret != RETURNCODE_SUCCESS) return ret;
  }
  return libtock_kv_command(operation);
}

returncode_t libtock_kv_get(const uint8_t* key, uint32_t key_length, uint8_t* value,
                            uint32_t value_capacity, libtock_kv_callback callback) {
  return kv_start(LIBTOCK_KV_GET, key, key_length, NULL, 0, value, value_capacity, callback);
}

returncode_t libtock_kv_set(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                            uint32_t value_length, libtock_kv_callback callback) {
  return kv_start(LIBTOCK_KV_SET, key, key_length, value, value_length, NULL, 0, callback);
}

returncode_t libtock_kv_add(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                            uint32_t value_length, libtock_kv_callback callback) {
  return kv_start(LIBTOCK_KV_ADD, key, key_length, value, value_length, NULL, 0, callback);
}

returncode_t libtock_kv_update(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                               uint32_t value_length, libtock_kv_callback callback) {
  return kv_start(LIBTOCK_KV_UPDATE, key, key_length, value, value_length, NULL, 0, callback);
}

returncode_t libtock_kv_delete(const uint8_t* key, uint32_t key_length,
                               libtock_kv_callback callback) {
  return kv_start(LIBTOCK_KV_DELETE, key, key_length, NULL, 0, NULL, 0, callback);
}
