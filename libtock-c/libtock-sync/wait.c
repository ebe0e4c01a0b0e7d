#include "wait.h"

static void ignore_upcall(int arg0, int arg1, int arg2, void* opaque) {
  (void)arg0;
  (void)arg1;
  (void)arg2;
  (void)opaque;
}

returncode_t libtocksync_prepare_wait(uint32_t driver, uint32_t subscribe_number) {
  return tock_subscribe_return_to_returncode(
    subscribe(driver, subscribe_number, ignore_upcall, NULL));
}

yield_waitfor_return_t libtocksync_wait(uint32_t driver, uint32_t subscribe_number) {
  return yield_wait_for(driver, subscribe_number);
}
