// Synchronous key-value store.
#pragma once

#include <libtock/kv.h>

#ifdef __cplusplus
extern "C" {
#endif

// Reads the value of `key` into `value`; `length` gets the value's length.
returncode_t libtocksync_kv_get(const uint8_t* key, uint32_t key_length, uint8_t* value,
                                uint32_t value_capacity, uint32_t* length);
returncode_t libtocksync_kv_set(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                                uint32_t value_length);
returncode_t libtocksync_kv_add(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                                uint32_t value_length);
returncode_t libtocksync_kv_update(const uint8_t* key, uint32_t key_length, const uint8_t* value,
                                   uint32_t value_length);
returncode_t libtocksync_kv_delete(const uint8_t* key, uint32_t key_length);

#ifdef __cplusplus
}
#endif
