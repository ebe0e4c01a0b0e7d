#include "rng.h"
#include "wait.h"

returncode_t libtocksync_rng_get_random_bytes(uint8_t* buffer, uint32_t length, uint32_t* filled) {
  *filled = 0;
  returncode_t ret = libtocksync_prepare_wait(DRIVER_NUM_RNG, LIBTOCK_RNG_UPCALL_DONE);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_rng_set_allow(buffer, length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_rng_command_get_random(length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  yield_waitfor_return_t done = libtocksync_wait(DRIVER_NUM_RNG, LIBTOCK_RNG_UPCALL_DONE);
  tock_unallow_readwrite(DRIVER_NUM_RNG, 0);
  *filled = done.data1;
  return RETURNCODE_SUCCESS;
}
