// AES driver (upstream capsule `symmetric_encryption::aes`): read-only allow
// 0 = key, 1 = IV/nonce, 2 = source; read-write allow 0 = destination;
// subscribe 0 = done (status); command 1 = set algorithm (mode, encrypting),
// 2 = setup, 3 = crypt, 4 = finish, 5..8 = CCM parameters.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIBTOCK_AES_UPCALL_DONE 0

typedef enum {
  LIBTOCK_AES128_CTR = 0,
  LIBTOCK_AES128_CBC = 1,
  LIBTOCK_AES128_ECB = 2,
  LIBTOCK_AES128_CCM = 3,
  LIBTOCK_AES128_GCM = 4,
} libtock_aes_mode_t;

typedef void (*libtock_aes_callback)(returncode_t status);

bool libtock_aes_exists(void);
// Sets mode, key and IV, then starts the first block run: source -> dest.
returncode_t libtock_aes_start(libtock_aes_mode_t mode, bool encrypting, const uint8_t* key,
                               uint32_t key_length, const uint8_t* iv, uint32_t iv_length,
                               const uint8_t* source, uint32_t source_length, uint8_t* dest,
                               uint32_t dest_length, libtock_aes_callback callback);

returncode_t libtock_aes_set_key_allow(const uint8_t* key, uint32_t length);
returncode_t libtock_aes_set_iv_allow(const uint8_t* iv, uint32_t length);
returncode_t libtock_aes_set_source_allow(const uint8_t* source, uint32_t length);
returncode_t libtock_aes_set_dest_allow(uint8_t* dest, uint32_t length);
returncode_t libtock_aes_set_upcall(subscribe_upcall upcall, void* opaque);
returncode_t libtock_aes_command_set_algorithm(libtock_aes_mode_t mode, bool encrypting);
returncode_t libtock_aes_command_setup(void);
returncode_t libtock_aes_command_crypt(void);
returncode_t libtock_aes_command_finish(void);
returncode_t libtock_aes_command_ccm_set_a_offset(uint32_t offset);
returncode_t libtock_aes_command_ccm_set_m_offset(uint32_t offset);
returncode_t libtock_aes_command_ccm_set_mic_length(uint32_t length);
returncode_t libtock_aes_command_ccm_set_confidential(bool confidential);

#ifdef __cplusplus
}
#endif
