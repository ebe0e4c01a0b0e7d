//! The board's trusted glue: capabilities, static allocation, board reset
//! and the panic handler (prints on UARTE0 by polling, then blinks LED 1
//! forever, so a panic is visible without a terminal).

use core::fmt::Write;

use chip_nrf52840::addresses;
use chip_nrf52840::gpio::GpioPin;
use chip_nrf52840::uarte::Uarte;
use kernel::capability::{
    MainLoopCapability, MemoryAllocationCapability, ProcessManagementCapability,
};
use kernel::hil::gpio::Output;
use kernel::platform::{DebugOutput, DebugWriter};

use crate::pins;

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

/// The Application Interrupt and Reset Control Register (ARMv7-M SCB).
const AIRCR: usize = 0xe000_ed0c;
/// AIRCR write key and SYSRESETREQ.
const AIRCR_SYSTEM_RESET: u32 = 0x05fa_0004;

/// Resets the chip (the process console's `reset`).
pub fn reset_board() -> ! {
    // SAFETY: AIRCR is the architecture's reset register on every ARMv7-M;
    // writing the key with SYSRESETREQ resets the chip and never returns.
    unsafe { (AIRCR as *mut u32).write_volatile(AIRCR_SYSTEM_RESET) };
    loop {
        core::hint::spin_loop();
    }
}

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: UARTE0 and the LED pin are the nRF52840's; the kernel will
    // never run again, so taking them over from their drivers is harmless.
    let (uarte, led) = unsafe {
        (
            Uarte::new(addresses::UARTE0),
            GpioPin::without_interrupts(pins::LEDS[0]),
        )
    };
    // The panic may come before the board set the UART up: do it again
    // (this also ends whatever transfer the driver had going).
    let _ = uarte.initialize(pins::UART, pins::BAUD_RATE);
    uarte.write_text("\r\n[kernel] PANIC: ");
    let _ = write!(DebugWriter(&uarte), "{}\r\n", info);
    led.make_output();
    loop {
        led.toggle();
        for _ in 0..2_000_000 {
            core::hint::spin_loop();
        }
    }
}
