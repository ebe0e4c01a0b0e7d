#include "kv.h"
#include "wait.h"

static returncode_t kv_run(libtock_kv_operation_t operation, const uint8_t* key,
                           uint32_t key_length, const uint8_t* input, uint32_t input_length,
                           uint8_t* output, uint32_t output_capacity, uint32_t* length) {
  returncode_t ret = libtocksync_prepare_wait(DRIVER_NUM_KV, LIBTOCK_KV_UPCALL_DONE);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_kv_set_key_allow(key, key_length);
  if (ret == RETURNCODE_SUCCESS && input != NULL) {
    ret = libtock_kv_set_input_allow(input, input_length);
  }
  if (ret == RETURNCODE_SUCCESS && output != NULL) {
    ret = libtock_kv_set_output_allow(output, output_capacity);
  }
  if (ret == RETURNCODE_SUCCESS) ret = libtock_kv_command(operation);
  if (ret != RETURNCODE_SUCCESS) return ret;
  yield_waitfor_return_t done = libtocksync_wait(DRIVER_NUM_KV, LIBTOCK_KV_UPCALL_DONE);
  tock_unallow_readonly(DRIVER_NUM_KV, 0);
  if (input != NULL) tock_unallow_readonly(DRIVER_NUM_KV, 1);
  if (output != NULL) tock_unallow_readwrite(DRIVER_NUM_KV, 0);
  if (length != NULL) *length = done.data1;
  return tock_status_to_returncode((statuscode_t)done.data0);
}

returncode_t libtocksync_kv_get(const uint8_t* key, uint32_t key_length, uint8_t* value,
                                uint32_t value_capacity, uint32_t* length) {
  return kv_run(LIBTOCK_KV_GET, key, key_length, NULL, 0, value, value_capacity, length);
}

returncode_t libtocksync_kv_set(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                                uint32_t value_length) {
  return kv_run(LIBTOCK_KV_SET, key, key_length, value, value_length, NULL, 0, NULL);
}

returncode_t libtocksync_kv_add(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                                uint32_t value_length) {
  return kv_run(LIBTOCK_KV_ADD, key, key_length, value, value_length, NULL, 0, NULL);
}

returncode_t libtocksync_kv_update(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                                   uint32_t value_length) {
  return kv_run(LIBTOCK_KV_UPDATE, key, key_length, value, value_length, NULL, 0, NULL);
}

returncode_t libtocksync_kv_delete(const uint8_t* key, uint32_t key_length) {
  return kv_run(LIBTOCK_KV_DELETE, key, key_length, NULL, 0, NULL, 0, NULL);
}
