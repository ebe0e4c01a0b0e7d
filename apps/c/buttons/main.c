// buttons: enables every button's interrupt and prints each change.
// Output: "buttons: N buttons" (then one line per press/release), or
// "buttons: no buttons (ENODEVICE)" on a board without buttons.
#include <stdio.h>

#include <libtock/button.h>

static void button_changed(uint32_t button, bool pressed) {
  printf("buttons: button %lu %s\n", (unsigned long)button, pressed ? "pressed" : "released");
}

int main(void) {
  uint32_t count = 0;
  returncode_t ret = libtock_button_count(&count);
  if (ret != RETURNCODE_SUCCESS) {
    printf("buttons: no buttons (%s)\n", tock_strrcode(ret));
    return 0;
  }
  ret = libtock_button_notify_on_change(button_changed);
  for (uint32_t button = 0; ret == RETURNCODE_SUCCESS && button < count; button++) {
    ret = libtock_button_enable_interrupt(button);
  }
  if (ret != RETURNCODE_SUCCESS) {
    printf("buttons: setup failed (%s)\n", tock_strrcode(ret));
    return 0;
  }
  printf("buttons: %lu buttons\n", (unsigned long)count);
  // Returning from main keeps the app alive, serving upcalls.
  return 0;
}
