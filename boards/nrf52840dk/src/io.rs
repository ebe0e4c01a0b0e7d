//! The board's trusted glue: board reset and the panic handler (prints on
//! UARTE0 by polling, then blinks LED 1 forever, so a panic is visible
//! without a terminal).

use core::fmt::Write;

use chip_nrf52840::addresses;
use chip_nrf52840::gpio::GpioPin;
use chip_nrf52840::uarte::Uarte;
use kernel::hil::gpio::Output;
use kernel::platform::{DebugOutput, DebugWriter};

use crate::pins;

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
