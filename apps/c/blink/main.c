// blink: toggles every LED four times, 250 ms apart, on a repeating timer.
// Output (checked by `cargo xtask test libtock-c`):
//   "blink: N leds" then "blink: done" -- or, on a board without LEDs,
//   "blink: no leds (ENODEVICE)" (the driver is missing: a negative code).
#include <stdio.h>
#include <stdlib.h>

#include <libtock/led.h>
#include <libtock/timer.h>

static uint32_t led_count = 0;
static int toggles_left   = 4;

static void toggle_all(uint32_t now, void* opaque) {
  (void)now;
  for (uint32_t led = 0; led < led_count; led++) {
    libtock_led_toggle(led);
  }
  toggles_left--;
  if (toggles_left == 0) {
    libtock_timer_cancel((libtock_timer_t*)opaque);
    printf("blink: done\n");
    exit(0);
  }
}

int main(void) {
  returncode_t ret = libtock_led_count(&led_count);
  if (ret != RETURNCODE_SUCCESS) {
    printf("blink: no leds (%s)\n", tock_strrcode(ret));
    return 0;
  }
  printf("blink: %lu leds\n", (unsigned long)led_count);
  static libtock_timer_t timer;
  ret = libtock_timer_every_ms(&timer, 250, toggle_all, &timer);
  if (ret != RETURNCODE_SUCCESS) {
    printf("blink: no timer (%s)\n", tock_strrcode(ret));
  }
  return 0;
}
