#include "rng.h"

bool libtock_rng_exists(void) {
  return driver_exists(DRIVER_NUM_RNG);
}

returncode_t libtock_rng_set_allow(uint8_t* buffer, uint32_t length) {
  return tock_allow_rw_return_to_returncode(allow_readwrite(DRIVER_NUM_RNG, 0, buffer, length));
}

returncode_t libtock_rng_set_upcall(subscribe_upcall upcall, void* opaque) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_RNG, LIBTOCK_RNG_UPCALL_DONE, upcall, opaque));
}

returncode_t libtock_rng_command_get_random(uint32_t length) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_RNG, 1, (int)length, 0));
}

static void rng_done(int unused0, int length, int unused2, void* opaque) {
  (void)unused0;
  (void)unused2;
  libtock_rng_callback callback = (libtock_rng_callback)opaque;
  callback(RETURNCODE_SUCCESS, (uint32_t)length);
}

returncode_t libtock_rng_get_random_bytes(uint8_t* buffer, uint32_t length,
                                          libtock_rng_callback callback) {
  returncode_t ret = libtock_rng_set_upcall(rng_done, (void*)callback);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_rng_set_allow(buffer, length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  return libtock_rng_command_get_random(length);
}
