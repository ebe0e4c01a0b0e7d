//! The board's trusted glue: the capability token (shared by all boards)
//! and the panic handler (prints on the UART by polling, then ends QEMU with status
//! [`PANIC_EXIT_STATUS`]).

use core::fmt::Write;

use chip_qemu_virt::addresses;
use chip_qemu_virt::test_device::{ExitStatus, TestDevice};
use chip_qemu_virt::uart::{Ns16550, Uart};
use kernel::platform::{DebugOutput, DebugWriter};

/// QEMU's exit status after a kernel panic.
pub const PANIC_EXIT_STATUS: u16 = 101;

pub use board_components::BoardCapability;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: the UART and test device are at virt's addresses; the kernel
    // will never run again, so sharing the UART with its driver is harmless.
    let (uart, test_device) = unsafe {
        (
            Uart::new(Ns16550::new(addresses::UART0)),
            TestDevice::new(addresses::TEST_DEVICE),
        )
    };
    uart.write_text("\r\n[kernel] PANIC: ");
    let _ = write!(DebugWriter(&uart), "{}\r\n", info);
    test_device.exit(ExitStatus::Fail(PANIC_EXIT_STATUS))
}
