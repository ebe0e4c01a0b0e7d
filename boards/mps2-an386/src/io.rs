//! The board's trusted glue: capabilities, static allocation and the panic
//! handler (prints on the UART by polling, then ends QEMU by semihosting
//! with status [`PANIC_EXIT_STATUS`]).

use core::fmt::Write;

use chip_mps2::{addresses, semihosting, uart::Uart};
use kernel::capability::{
    MainLoopCapability, MemoryAllocationCapability, ProcessManagementCapability,
};
use kernel::platform::{DebugOutput, DebugWriter};

/// QEMU's exit status after a kernel panic.
pub const PANIC_EXIT_STATUS: u32 = 101;

/// The board entry's proof of trust, handed to the kernel APIs that need it.
pub struct BoardCapability;

// SAFETY: only the board's entry creates this token.
unsafe impl ProcessManagementCapability for BoardCapability {}
// SAFETY: as above.
unsafe impl MainLoopCapability for BoardCapability {}
// SAFETY: as above.
unsafe impl MemoryAllocationCapability for BoardCapability {}

/// Puts `$value` of type `$type` in a static of its own and returns a
/// `&'static mut` to it. Each expansion is one static: running the same
/// expansion twice would alias it, so that panics at boot.
#[macro_export]
macro_rules! static_init {
    ($type:ty, $value:expr) => {{
        let value: $type = $value;
        static USED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        static mut SLOT: core::mem::MaybeUninit<$type> = core::mem::MaybeUninit::uninit();
        assert!(
            !USED.swap(true, core::sync::atomic::Ordering::Relaxed),
            "static_init! site used twice"
        );
        // SAFETY: the flag above lets each expansion's SLOT be written and
        // borrowed only once.
        unsafe { (*core::ptr::addr_of_mut!(SLOT)).write(value) }
    }};
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: UART0 is at mps2's address; the kernel will never run again,
    // so sharing the UART with its driver is harmless.
    let uart = unsafe { Uart::new(addresses::UART0) };
    uart.write_text("\r\n[kernel] PANIC: ");
    let _ = write!(DebugWriter(&uart), "{}\r\n", info);
    semihosting::exit(PANIC_EXIT_STATUS)
}
