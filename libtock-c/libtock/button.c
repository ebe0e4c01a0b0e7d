#include "button.h"

returncode_t libtock_button_count(uint32_t* count) {
  return tock_command_return_u32_to_returncode(command(DRIVER_NUM_BUTTON, 0, 0, 0), count);
}

returncode_t libtock_button_read(uint32_t button, bool* pressed) {
  uint32_t value = 0;
  returncode_t ret = tock_command_return_u32_to_returncode(
    command(DRIVER_NUM_BUTTON, 3, (int)button, 0), &value);
  *pressed = value != 0;
  return ret;
}

static void button_changed(int button, int pressed, int unused, void* opaque) {
  (void)unused;
  libtock_button_callback callback = (libtock_button_callback)opaque;
  callback((uint32_t)button, pressed != 0);
}

returncode_t libtock_button_notify_on_change(libtock_button_callback callback) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_BUTTON, LIBTOCK_BUTTON_UPCALL_CHANGED, button_changed, (void*)callback));
}

returncode_t libtock_button_enable_interrupt(uint32_t button) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_BUTTON, 1, (int)button, 0));
}

returncode_t libtock_button_disable_interrupt(uint32_t button) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_BUTTON, 2, (int)button, 0));
}
