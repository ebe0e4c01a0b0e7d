#include "console.h"

#define CONSOLE_ALLOW_WRITE 1
#define CONSOLE_ALLOW_READ 1
#define CONSOLE_COMMAND_WRITE 1
#define CONSOLE_COMMAND_READ 2
#define CONSOLE_COMMAND_ABORT_READ 3

bool libtock_console_exists(void) {
  return driver_exists(DRIVER_NUM_CONSOLE);
}

returncode_t libtock_console_set_write_allow(const uint8_t* buffer, uint32_t length) {
  return tock_allow_ro_return_to_returncode(
    allow_readonly(DRIVER_NUM_CONSOLE, CONSOLE_ALLOW_WRITE, buffer, length));
}

returncode_t libtock_console_set_read_allow(uint8_t* buffer, uint32_t length) {
  return tock_allow_rw_return_to_returncode(
    allow_readwrite(DRIVER_NUM_CONSOLE, CONSOLE_ALLOW_READ, buffer, length));
}

returncode_t libtock_console_set_write_upcall(subscribe_upcall upcall, void* opaque) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_CONSOLE, LIBTOCK_CONSOLE_UPCALL_WRITE, upcall, opaque));
}

returncode_t libtock_console_set_read_upcall(subscribe_upcall upcall, void* opaque) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_CONSOLE, LIBTOCK_CONSOLE_UPCALL_READ, upcall, opaque));
}

returncode_t libtock_console_command_write(uint32_t length) {
  return tock_command_return_novalue_to_returncode(
    command(DRIVER_NUM_CONSOLE, CONSOLE_COMMAND_WRITE, (int)length, 0));
}

returncode_t libtock_console_command_read(uint32_t length) {
  return tock_command_return_novalue_to_returncode(
    command(DRIVER_NUM_CONSOLE, CONSOLE_COMMAND_READ, (int)length, 0));
}

returncode_t libtock_console_abort_read(void) {
  return tock_command_return_novalue_to_returncode(
    command(DRIVER_NUM_CONSOLE, CONSOLE_COMMAND_ABORT_READ, 0, 0));
}

static void write_done(int length, int unused1, int unused2, void* opaque) {
  (void)unused1;
  (void)unused2;
  libtock_console_callback_write callback = (libtock_console_callback_write)opaque;
  callback(RETURNCODE_SUCCESS, (uint32_t)length);
}

static void read_done(int status, int length, int unused, void* opaque) {
  (void)unused;
  libtock_console_callback_read callback = (libtock_console_callback_read)opaque;
  callback(tock_status_to_returncode((statuscode_t)status), (uint32_t)length);
}

returncode_t libtock_console_write(const uint8_t* buffer, uint32_t length,
                                   libtock_console_callback_write callback) {
  returncode_t ret = libtock_console_set_write_upcall(write_done, (void*)callback);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_console_set_write_allow(buffer, length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  return libtock_console_command_write(length);
}

returncode_t libtock_console_read(uint8_t* buffer, uint32_t length,
                                  libtock_console_callback_read callback) {
  returncode_t ret = libtock_console_set_read_upcall(read_done, (void*)callback);
  if (ret != RETURNCODE_SUCCESS) return ret;
  ret = libtock_console_set_read_allow(buffer, length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  return libtock_console_command_read(length);
}
