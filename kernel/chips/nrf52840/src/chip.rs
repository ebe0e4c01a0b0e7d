//! The nRF52840 as the kernel sees it: the Cortex-M4 boundary, MPU and
//! SysTick from `arch-cortex-m`, and the NVIC lines of this crate's
//! drivers, serviced from the main loop.
//!
//! Device interrupts never preempt the kernel's work: the architecture's
//! generic handler masks a line and leaves it pending; the main loop asks
//! [`Chip::has_pending_interrupts`], then [`Chip::service_pending_interrupts`]
//! clears each pending line, runs its driver's bottom half and unmasks it.

use arch_cortex_m::{CortexMUserspaceBoundary, Mpu, SysTick};
use kernel::platform::Chip;

use crate::Peripherals;
#[cfg(target_arch = "arm")]
use crate::SERVICED_INTERRUPTS;

/// The processor clock (HFCLK): SysTick counts it.
pub const PROCESSOR_HZ: u32 = 64_000_000;

/// The chip.
pub struct Nrf52840 {
    peripherals: &'static Peripherals,
    boundary: CortexMUserspaceBoundary,
    mpu: Mpu,
    systick: SysTick,
}

impl Nrf52840 {
    /// Configures the core (fault handlers, MPU), starts the crystals and
    /// RTC1, and lets the drivers' NVIC lines interrupt. The board
    /// initialises UARTE0 with its pins itself.
    pub fn new(peripherals: &'static Peripherals) -> Self {
        #[cfg(target_arch = "arm")]
        arch_cortex_m::support::initialize();
        peripherals.clock.start_crystals();
        peripherals.rtc.start();
        #[cfg(target_arch = "arm")]
        for line in SERVICED_INTERRUPTS {
            arch_cortex_m::nvic::enable(line);
        }
        Nrf52840 {
            peripherals,
            boundary: CortexMUserspaceBoundary::new(),
            mpu: Mpu::new(),
            systick: SysTick::new(PROCESSOR_HZ),
        }
    }

    /// The peripherals.
    pub fn peripherals(&self) -> &'static Peripherals {
        self.peripherals
    }
}

impl Chip for Nrf52840 {
    type UserspaceBoundary = CortexMUserspaceBoundary;
    type MemoryProtection = Mpu;
    type SchedulerTimer = SysTick;

    fn userspace_boundary(&self) -> &CortexMUserspaceBoundary {
        &self.boundary
    }

    fn memory_protection(&self) -> &Mpu {
        &self.mpu
    }

    fn scheduler_timer(&self) -> &SysTick {
        &self.systick
    }

    fn service_pending_interrupts(&self) {
        #[cfg(target_arch = "arm")]
        while let Some(line) = arch_cortex_m::nvic::next_pending() {
            // Clear first: a device that asserts its line again while it
            // is serviced makes it pending again and is seen next round.
            arch_cortex_m::nvic::clear_pending(line);
            // A line no driver owns stays masked (it was never enabled).
            if self.peripherals.service_interrupt(line) {
                arch_cortex_m::nvic::enable(line);
            }
        }
    }

    fn has_pending_interrupts(&self) -> bool {
        #[cfg(target_arch = "arm")]
        {
            arch_cortex_m::nvic::has_pending()
        }
        #[cfg(not(target_arch = "arm"))]
        false
    }

    fn sleep(&self) {
        arch_cortex_m::support::wait_for_interrupt();
    }

    fn atomic<R, F: FnOnce() -> R>(&self, operation: F) -> R {
        arch_cortex_m::support::atomic(operation)
    }
}
