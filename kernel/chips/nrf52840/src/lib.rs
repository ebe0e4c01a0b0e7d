//! Drivers for the Nordic nRF52840 (Cortex-M4F, 1 MiB flash, 256 KiB RAM)
//! and the [`Peripherals`] a board wires into the kernel: UARTE0 console
//! with its receive path, RTC1 alarm, GPIO and GPIOTE, NVMC flash, the
//! true random number generator and the clock start-up.
//!
//! Guarantees: every register block is accessed through `tock-registers`
//! types at the address the caller vouches for (the `unsafe` constructors);
//! drivers run their interrupt bottom halves from `handle_interrupt`, in
//! kernel context, called by the chip's interrupt servicing, never by
//! preempting the kernel; the flash driver writes only inside the window
//! the board gives it. The register arithmetic that can be wrong without
//! hardware (RTC wrap, flash page math, pin numbering, baud table, DMA
//! chunking) is pure and host-tested; the UARTE, RTC, GPIOTE and NVMC
//! drivers also run on the host against fake register blocks and a fake
//! flash (`src/tests/`).
//!
//! Must never: block except in clock start-up, the polled debug writer and
//! flash program/erase (where the CPU stalls anyway); hand EasyDMA a
//! pointer outside RAM; program a flash word over bits that are not
//! erased.
//!
//! Memory map of what the drivers use:
//!
//! ```text
//!  0x0000_0000  flash (1 MiB)          0x4000_0000  CLOCK
//!  0x2000_0000  RAM (256 KiB)          0x4000_2000  UARTE0  (NVIC 2)
//!  0x5000_0000  GPIO P0                0x4000_6000  GPIOTE  (NVIC 6)
//!  0x5000_0300  GPIO P1                0x4001_1000  RTC1    (NVIC 17)
//!                                      0x4000_D000  RNG     (NVIC 13)
//!                                      0x4001_E000  NVMC
//! ```
#![cfg_attr(not(test), no_std)]

mod chip;
pub mod clock;
pub mod gpio;
pub mod nvmc;
pub mod rng;
pub mod rtc;
pub mod uarte;

#[cfg(test)]
mod tests;

pub use chip::{Nrf52840, PROCESSOR_HZ};

/// Base addresses and memory sizes of the nRF52840.
pub mod addresses {
    /// Internal flash.
    pub const FLASH: usize = 0x0000_0000;
    /// Internal flash size.
    pub const FLASH_SIZE: usize = 1024 * 1024;
    /// RAM.
    pub const RAM: usize = 0x2000_0000;
    /// RAM size.
    pub const RAM_SIZE: usize = 256 * 1024;
    /// CLOCK.
    pub const CLOCK: usize = 0x4000_0000;
    /// UARTE0.
    pub const UARTE0: usize = 0x4000_2000;
    /// GPIOTE.
    pub const GPIOTE: usize = 0x4000_6000;
    /// RNG.
    pub const RNG: usize = 0x4000_d000;
    /// RTC1.
    pub const RTC1: usize = 0x4001_1000;
    /// NVMC.
    pub const NVMC: usize = 0x4001_e000;
}

/// The NVIC lines of the drivers, in the order the chip services them.
pub const SERVICED_INTERRUPTS: [u32; 4] = [
    uarte::UARTE0_IRQ,
    rtc::RTC1_IRQ,
    gpio::GPIOTE_IRQ,
    rng::RNG_IRQ,
];

/// The devices the kernel uses.
pub struct Peripherals {
    /// The clock controller.
    pub clock: clock::Clock,
    /// UARTE0.
    pub uarte: uarte::Uarte,
    /// RTC1.
    pub rtc: rtc::Rtc,
    /// GPIOTE (pins are created by the board, one per pin it uses).
    pub gpiote: gpio::Gpiote,
    /// The flash.
    pub nvmc: nvmc::Nvmc,
    /// The random number generator.
    pub rng: rng::Rng,
}

impl Peripherals {
    /// The peripherals at their nRF52840 addresses; the flash driver may
    /// write only the flash offsets `writable` (see
    /// [`nvmc::writable_window`]).
    ///
    /// # Safety
    /// Must run on an nRF52840, only one `Peripherals` may exist, and no
    /// Rust reference may point into `writable` while it changes.
    pub const unsafe fn new(writable: core::ops::Range<usize>) -> Self {
        // SAFETY: the addresses are the nRF52840's (see `addresses`), per
        // the caller's guarantee.
        unsafe {
            Peripherals {
                clock: clock::Clock::new(addresses::CLOCK),
                uarte: uarte::Uarte::new(addresses::UARTE0),
                rtc: rtc::Rtc::new(addresses::RTC1),
                gpiote: gpio::Gpiote::new(addresses::GPIOTE),
                nvmc: nvmc::Nvmc::new(addresses::NVMC, addresses::FLASH, writable),
                rng: rng::Rng::new(addresses::RNG),
            }
        }
    }

    /// Runs the bottom half of the driver behind NVIC line `interrupt`.
    /// Returns false for a line no driver here owns.
    pub fn service_interrupt(&self, interrupt: u32) -> bool {
        match interrupt {
            uarte::UARTE0_IRQ => self.uarte.handle_interrupt(),
            rtc::RTC1_IRQ => self.rtc.handle_interrupt(),
            gpio::GPIOTE_IRQ => self.gpiote.handle_interrupt(),
            rng::RNG_IRQ => self.rng.handle_interrupt(),
            _ => return false,
        }
        true
    }
}
