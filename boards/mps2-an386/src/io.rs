//! The board's panic handler: prints on the UART by polling, then ends
//! QEMU by semihosting with status [`PANIC_EXIT_STATUS`].

use core::fmt::Write;

use chip_mps2::uart::{Cmsdk, Uart};
use chip_mps2::{addresses, semihosting};
use kernel::platform::{DebugOutput, DebugWriter};

/// QEMU's exit status after a kernel panic.
pub const PANIC_EXIT_STATUS: u32 = 101;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: UART0 is at mps2's address; the kernel will never run again,
    // so sharing the UART with its driver is harmless.
    let uart = Uart::new(unsafe { Cmsdk::new(addresses::UART0) });
    uart.write_text("\r\n[kernel] PANIC: ");
    let _ = write!(DebugWriter(&uart), "{}\r\n", info);
    semihosting::exit(PANIC_EXIT_STATUS)
}
