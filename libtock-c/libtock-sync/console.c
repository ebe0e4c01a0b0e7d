#include "console.h"
#include "wait.h"

returncode_t libtocksync_console_write(const uint8_t* buffer, uint32_t length, uint32_t* written) {
  *written = 0;
  while (*written < length) {
    returncode_t ret = libtocksync_prepare_wait(DRIVER_NUM_CONSOLE, LIBTOCK_CONSOLE_UPCALL_WRITE);
    if (ret != RETURNCODE_SUCCESS) return ret;
    uint32_t chunk = length - *written;
    ret = libtock_console_set_write_allow(buffer + *written, chunk);
    if (ret != RETURNCODE_SUCCESS) return ret;
    ret = libtock_console_command_write(chunk);
    if (ret != RETURNCODE_SUCCESS) return ret;
    yield_waitfor_return_t done = libtocksync_wait(DRIVER_NUM_CONSOLE, LIBTOCK_CONSOLE_UPCALL_WRITE);
    if (done.data0 == 0) return RETURNCODE_FAIL;  // the kernel wrote nothing: give up
    *written += done.data0 < chunk ? done.data0 : chunk;
  }
  tock_unallow_readonly(DRIVER_NUM_CONSOLE, 1);
  return RETURNCODE_SUCCESS;
}

returncode_t libtocksync_console_read(uint8_t* buffer, uint32_t length, uint32_t* read) {
  *read = 0;
  returncode_t ret = libtocksync_prepare_wait(DRIVER_NUM_CONSOLE, LIBTOCK_CONSOLE_UPCALL_READ);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_console_set_read_allow(buffer, length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_console_command_read(length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  yield_waitfor_return_t done = libtocksync_wait(DRIVER_NUM_CONSOLE, LIBTOCK_CONSOLE_UPCALL_READ);
  tock_unallow_readwrite(DRIVER_NUM_CONSOLE, 1);
  *read = done.data1;
  return tock_status_to_returncode((statuscode_t)done.data0);
}
