//! Wiring of this board's own capsules (the shared ones are in
//! `board-components`). Each function runs once: every `static_init!`
//! site is one static (a second use panics).

use board_components::BoardCapability;
use chip_qemu_virt::test_device::TestDevice;
use chip_qemu_virt::test_driver::{TestExitDriver, TEST_EXIT_DRIVER};
use chip_qemu_virt::Peripherals;
use kernel::Kernel;

use crate::static_init;

/// Resets the machine (the process console's `reset`).
pub fn reset_board() -> ! {
    // SAFETY: the test device is at virt's address; this ends the kernel.
    unsafe { TestDevice::new(chip_qemu_virt::addresses::TEST_DEVICE) }.reset()
}

/// The emulator's test driver (exit codes, return-variant probe).
pub fn test_exit(
    kernel: &'static Kernel,
    peripherals: &'static Peripherals,
) -> &'static TestExitDriver {
    let grant = kernel.create_grant(TEST_EXIT_DRIVER, &BoardCapability);
    static_init!(
        TestExitDriver,
        TestExitDriver::new(&peripherals.test_device, kernel, grant, &peripherals.flash)
    )
}
