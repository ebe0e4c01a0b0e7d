#include "button.h"
#include "wait.h"

returncode_t libtocksync_button_wait_for_change(uint32_t button, uint32_t* changed, bool* pressed) {
  returncode_t ret = libtocksync_prepare_wait(DRIVER_NUM_BUTTON, LIBTOCK_BUTTON_UPCALL_CHANGED);
  if (ret == RETURNCODE_SUCCESS) ret = libtock_button_enable_interrupt(button);
  if (ret != RETURNCODE_SUCCESS) return ret;
  yield_waitfor_return_t done = libtocksync_wait(DRIVER_NUM_BUTTON, LIBTOCK_BUTTON_UPCALL_CHANGED);
  *changed = done.data0;
  *pressed = done.data1 != 0;
  return RETURNCODE_SUCCESS;
}
