// GPIO driver (upstream capsule `gpio`): command 1 = output, 2 = set,
// 3 = clear, 4 = toggle, 5 = input (pull), 6 = read, 7 = enable interrupt
// (edge), 8 = disable interrupt, 9 = disable pin, 10 = pin count;
// subscribe 0 = interrupt (pin, level).
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  LIBTOCK_GPIO_PULL_NONE = 0,
  LIBTOCK_GPIO_PULL_UP   = 1,
  LIBTOCK_GPIO_PULL_DOWN = 2,
} libtock_gpio_pull_t;

typedef enum {
  LIBTOCK_GPIO_EDGE_EITHER  = 0,
  LIBTOCK_GPIO_EDGE_RISING  = 1,
  LIBTOCK_GPIO_EDGE_FALLING = 2,
} libtock_gpio_edge_t;

typedef void (*libtock_gpio_callback)(uint32_t pin, bool level);

returncode_t libtock_gpio_count(uint32_t* count);
returncode_t libtock_gpio_enable_output(uint32_t pin);
returncode_t libtock_gpio_set(uint32_t pin);
returncode_t libtock_gpio_clear(uint32_t pin);
returncode_t libtock_gpio_toggle(uint32_t pin);
returncode_t libtock_gpio_enable_input(uint32_t pin, libtock_gpio_pull_t pull);
returncode_t libtock_gpio_read(uint32_t pin, bool* level);
returncode_t libtock_gpio_notify_on_interrupt(libtock_gpio_callback callback);
returncode_t libtock_gpio_enable_interrupt(uint32_t pin, libtock_gpio_edge_t edge);
returncode_t libtock_gpio_disable_interrupt(uint32_t pin);
returncode_t libtock_gpio_disable(uint32_t pin);

#ifdef __cplusplus
}
#endif
