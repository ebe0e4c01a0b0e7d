// App loader driver (0x10001), as an app reaches it on our kernel: a
// version installed on test (`loader install --test`) confirms itself, so
// it is kept and the standby version is freed. Until then a fault past
// the kernel's restart threshold, or a reboot, brings the old one back.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

// The command number (`kernel_abi::app_loader::CONFIRM_TEST_INSTALL`).
#define LIBTOCK_APP_LOADER_CONFIRM_TEST_INSTALL 16

// Keep this version. RETURNCODE_ENOSUPPORT: the board's policy does not
// let apps confirm (`loader info` shows it); RETURNCODE_EINVAL: this
// version is not on test; RETURNCODE_FAIL: flash could not be written;
// RETURNCODE_ENODEVICE: no app loader driver.
returncode_t libtock_app_loader_confirm_test_install(void);

#ifdef __cplusplus
}
#endif
