// Key-value driver (upstream capsule `kv_driver`), isolated per app
// identity: read-only allow 0 = key, 1 = value to store; read-write allow
// 0 = buffer for a value read; subscribe 0 = done (status, value length);
// command 1 = get, 2 = set, 3 = delete, 4 = add, 5 = update,
// 6 = garbage-collect.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_KV_UPCALL_DONE 0

typedef enum {
  LIBTOCK_KV_GET    = 1,
  LIBTOCK_KV_SET    = 2,
  LIBTOCK_KV_DELETE = 3,
  LIBTOCK_KV_ADD    = 4,
  LIBTOCK_KV_UPDATE = 5,
  LIBTOCK_KV_GARBAGE_COLLECT = 6,
} libtock_kv_operation_t;

// An operation finished; `length` is the value's length for a get.
typedef void (*libtock_kv_callback)(returncode_t status, uint32_t length);

bool libtock_kv_exists(void);
returncode_t libtock_kv_get(const uint8_t* key, uint32_t key_length, uint8_t* value,
                            uint32_t value_capacity, libtock_kv_callback callback);
returncode_t libtock_kv_set(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                            uint32_t value_length, libtock_kv_callback callback);
returncode_t libtock_kv_add(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                            uint32_t value_length, libtock_kv_callback callback);
returncode_t libtock_kv_update(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                               uint32_t value_length, libtock_kv_callback callback);
returncode_t libtock_kv_delete(const uint8_t* key, uint32_t key_length,
                               libtock_kv_callback callback);

// The raw interface.
returncode_t libtock_kv_set_key_allow(const uint8_t* key, uint32_t length);
returncode_t libtock_kv_set_input_allow(const uint8_t* value, uint32_t length);
returncode_t libtock_kv_set_output_allow(uint8_t* value, uint32_t capacity);
returncode_t libtock_kv_set_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_kv_command(libtock_kv_operation_t operation);

#ifdef __cplusplus
}
#endif
