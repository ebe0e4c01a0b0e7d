#include "gpio.h"

static returncode_t gpio_command(uint32_t number, uint32_t pin, uint32_t arg) {
  return tock_command_return_novalue_to_returncode(
    command(DRIVER_NUM_GPIO, number, (int)pin, (int)arg));
}

returncode_t libtock_gpio_count(uint32_t* count) {
  return tock_command_return_u32_to_returncode(command(DRIVER_NUM_GPIO, 10, 0, 0), count);
}

returncode_t libtock_gpio_enable_output(uint32_t pin) {
  return gpio_command(1, pin, 0);
}

returncode_t libtock_gpio_set(uint32_t pin) {
  return gpio_command(2, pin, 0);
}

returncode_t libtock_gpio_clear(uint32_t pin) {
  return gpio_command(3, pin, 0);
}

returncode_t libtock_gpio_toggle(uint32_t pin) {
  return gpio_command(4, pin, 0);
}

returncode_t libtock_gpio_enable_input(uint32_t pin, libtock_gpio_pull_t pull) {
  return gpio_command(5, pin, (uint32_t)pull);
}

returncode_t libtock_gpio_read(uint32_t pin, bool* level) {
  uint32_t value = 0;
  returncode_t ret = tock_command_return_u32_to_returncode(
    command(DRIVER_NUM_GPIO, 6, (int)pin, 0), &value);
  *level = value != 0;
  return ret;
}

static void gpio_interrupt(int pin, int level, int unused, void* opaque) {
  (void)unused;
  libtock_gpio_callback callback = (libtock_gpio_callback)opaque;
  callback((uint32_t)pin, level != 0);
}

returncode_t libtock_gpio_notify_on_interrupt(libtock_gpio_callback callback) {
  return tock_subscribe_return_to_returncode(
    subscribe(DRIVER_NUM_GPIO, 0, gpio_interrupt, (void*)callback));
}

returncode_t libtock_gpio_enable_interrupt(uint32_t pin, libtock_gpio_edge_t edge) {
  return gpio_command(7, pin, (uint32_t)edge);
}

returncode_t libtock_gpio_disable_interrupt(uint32_t pin) {
  return gpio_command(8, pin, 0);
}

returncode_t libtock_gpio_disable(uint32_t pin) {
  return gpio_command(9, pin, 0);
}
