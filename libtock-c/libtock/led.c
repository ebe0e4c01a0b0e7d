#include "led.h"

returncode_t libtock_led_count(uint32_t* count) {
  return tock_command_return_u32_to_returncode(command(DRIVER_NUM_LED, 0, 0, 0), count);
}

returncode_t libtock_led_on(uint32_t led) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_LED, 1, (int)led, 0));
}

returncode_t libtock_led_off(uint32_t led) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_LED, 2, (int)led, 0));
}

returncode_t libtock_led_toggle(uint32_t led) {
  return tock_command_return_novalue_to_returncode(command(DRIVER_NUM_LED, 3, (int)led, 0));
}
