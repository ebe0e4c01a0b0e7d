//! Drivers for QEMU's `mps2-an386` (Cortex-M4, ARMv7-M MPU) and the
//! [`Chip`] that ties them to the kernel: CMSDK UART, two CMSDK timers
//! (free-running counter and alarm), semihosting exit, and the
//! emulator's test driver.
//!
//! Guarantees: every register block is accessed through `tock-registers`
//! types at the address the caller vouches for (the `unsafe`
//! constructors); interrupts are serviced in kernel context from
//! [`Chip::service_pending_interrupts`], never by preempting the kernel.
//!
//! Must never: touch memory outside the devices and the buffers it was
//! handed, or block on a device except in the polled debug writer.
//!
//! Memory map (mps2-an386 as QEMU models it):
//!
//! ```text
//!  0x0000_0000  ZBT SSRAM1, 4 MiB: code ("flash"; -kernel and -device loader)
//!  0x2000_0000  ZBT SSRAM2/3, 4 MiB: RAM
//!  0x4000_0000  TIMER0 (IRQ 8)      0x4000_1000  TIMER1 (IRQ 9)
//!  0x4000_4000  UART0 (RX IRQ 0, TX IRQ 1)
//! ```
#![no_std]

pub mod semihosting;
pub mod test_driver;
pub mod timer;
pub mod uart;

use arch_cortex_m::{ArchitectureMpu as Mpu, CortexMUserspaceBoundary, SysTick};
use kernel::platform::Chip;

/// Base addresses on mps2-an386.
pub mod addresses {
    /// TIMER0: the free-running counter.
    pub const TIMER0: usize = 0x4000_0000;
    /// TIMER1: the alarm.
    pub const TIMER1: usize = 0x4000_1000;
    /// UART0.
    pub const UART0: usize = 0x4000_4000;
}

/// The processor clock (SysTick counts it).
pub const PROCESSOR_HZ: u32 = 25_000_000;

/// The devices the chip services interrupts for.
pub struct Peripherals {
    /// UART0.
    pub uart: uart::Uart,
    /// The alarm.
    pub timer: timer::AlarmTimer,
}

impl Peripherals {
    /// The peripherals at their mps2 addresses.
    ///
    /// # Safety
    /// Must run on mps2-an386 (or an385), and only one `Peripherals` may
    /// exist.
    pub const unsafe fn new() -> Self {
        // SAFETY: the addresses are mps2's, per the caller's guarantee.
        unsafe {
            Peripherals {
                uart: uart::Uart::new(uart::Cmsdk::new(addresses::UART0)),
                timer: timer::AlarmTimer::new(addresses::TIMER0, addresses::TIMER1),
            }
        }
    }
}

/// mps2-an386 as the kernel sees it.
pub struct Mps2 {
    peripherals: &'static Peripherals,
    boundary: CortexMUserspaceBoundary,
    mpu: Mpu,
    systick: SysTick,
}

impl Mps2 {
    /// Configures the core (fault handlers, MPU), initialises the devices
    /// and enables their interrupts.
    pub fn new(peripherals: &'static Peripherals) -> Self {
        #[cfg(target_arch = "arm")]
        {
            arch_cortex_m::support::initialize();
            peripherals.uart.registers().initialize();
            peripherals.timer.initialize();
            for irq in [uart::RECEIVE_IRQ, uart::TRANSMIT_IRQ, timer::ALARM_IRQ] {
                arch_cortex_m::nvic::enable(irq);
            }
        }
        Mps2 {
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

    /// Services one device interrupt line.
    pub fn service(&self, irq: u32) {
        match irq {
            uart::RECEIVE_IRQ | uart::TRANSMIT_IRQ => self.peripherals.uart.handle_interrupt(),
            timer::ALARM_IRQ => self.peripherals.timer.handle_interrupt(),
            _ => {}
        }
    }
}

impl Chip for Mps2 {
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
        while let Some(irq) = arch_cortex_m::nvic::next_pending() {
            // Clear, service, unmask: an event raised while the device is
            // serviced pends the line again and is taken once unmasked.
            arch_cortex_m::nvic::clear_pending(irq);
            self.service(irq);
            arch_cortex_m::nvic::enable(irq);
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
