#include "app_loader.h"

returncode_t libtock_app_loader_confirm_test_install(void) {
  syscall_return_t answer = command(DRIVER_NUM_APP_LOADER, LIBTOCK_APP_LOADER_CONFIRM_TEST_INSTALL, 0, 0);
  return tock_command_return_novalue_to_returncode(answer);
}
