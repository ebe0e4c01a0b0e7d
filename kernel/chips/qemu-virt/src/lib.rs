//! Drivers for QEMU's RISC-V `virt` machine and the [`Chip`] that ties
//! them to the kernel: 16550 UART, CLINT machine timer (alarm and
//! timeslice), PLIC, CFI pflash, virtio-rng, the goldfish RTC and the
//! SiFive test device.
//!
//! Guarantees: every register block is accessed through `tock-registers`
//! types at the address the caller vouches for (the `unsafe` constructors);
//! interrupts are handled in kernel context, from
//! [`Chip::service_pending_interrupts`], never by preempting the kernel.
//!
//! Must never: enable machine-mode interrupts, touch memory outside the
//! devices and the buffers it was handed, or block on a device except in
//! the polled debug writer and the RAM-resident flash routines.
//!
//! Memory map of the devices (virt):
//!
//! ```text
//!  0x0010_0000  SiFive test device     0x1000_0000  16550 UART (PLIC 10)
//!  0x0010_1000  goldfish RTC
//!  0x0200_0000  CLINT                  0x1000_1000  virtio-mmio slots 0..7
//!  0x0c00_0000  PLIC                                 (0x1000 apart, PLIC 1..8)
//!  0x2000_0000  pflash unit 0 (32 MiB) 0x8000_0000  RAM
//! ```
#![no_std]

pub mod clint;
pub mod emulated;
pub mod goldfish_rtc;
pub mod pflash;
pub mod plic;
pub mod reset;
pub mod test_device;
pub mod test_driver;
pub mod uart;
#[cfg(feature = "virtio_console")]
pub mod virtio_console;
pub mod virtio_mmio;
pub mod virtio_rng;

use arch_riscv::csr;
use arch_riscv::{Pmp, RiscvUserspaceBoundary};
use kernel::platform::Chip;

/// Base addresses on QEMU's virt machine.
pub mod addresses {
    /// SiFive test device.
    pub const TEST_DEVICE: usize = 0x0010_0000;
    /// Goldfish real-time clock.
    pub const GOLDFISH_RTC: usize = 0x0010_1000;
    /// CLINT.
    pub const CLINT: usize = 0x0200_0000;
    /// PLIC.
    pub const PLIC: usize = 0x0c00_0000;
    /// 16550 UART.
    pub const UART0: usize = 0x1000_0000;
    /// pflash unit 0.
    pub const PFLASH0: usize = 0x2000_0000;
    /// Size of a pflash unit.
    pub const PFLASH_SIZE: usize = 32 * 1024 * 1024;
}

/// The devices the chip services interrupts for.
pub struct Peripherals {
    /// The UART.
    pub uart: uart::Uart,
    /// The machine timer.
    pub timer: clint::MachineTimer,
    /// The PLIC.
    pub plic: plic::Plic,
    /// The entropy device.
    pub rng: virtio_rng::VirtioRng,
    /// The flash bank.
    pub flash: pflash::Pflash,
    /// The test device.
    pub test_device: test_device::TestDevice,
}

impl Peripherals {
    /// The peripherals at their virt addresses.
    ///
    /// # Safety
    /// Must run on QEMU's virt machine, and only one `Peripherals` may
    /// exist.
    pub const unsafe fn new(rng_queue: &'static virtio_rng::SharedQueue) -> Self {
        // SAFETY: the addresses are virt's (see `addresses`), per the
        // caller's guarantee.
        unsafe {
            Peripherals {
                uart: uart::Uart::new(uart::Ns16550::new(addresses::UART0)),
                timer: clint::MachineTimer::new(addresses::CLINT),
                plic: plic::Plic::new(addresses::PLIC),
                rng: virtio_rng::VirtioRng::new(rng_queue),
                flash: pflash::Pflash::new(addresses::PFLASH0, addresses::PFLASH_SIZE),
                test_device: test_device::TestDevice::new(addresses::TEST_DEVICE),
            }
        }
    }
}

/// QEMU's virt machine as the kernel sees it.
pub struct QemuVirt {
    peripherals: &'static Peripherals,
    #[cfg(feature = "virtio_console")]
    console: core::cell::Cell<Option<&'static virtio_console::VirtioConsole>>,
    boundary: RiscvUserspaceBoundary,
    pmp: Pmp,
}

impl QemuVirt {
    /// Initialises the devices and enables their interrupts. A missing
    /// virtio-rng is reported in the result; everything else still works.
    pub fn new(peripherals: &'static Peripherals) -> (Self, Result<(), virtio_rng::VirtioError>) {
        peripherals.uart.registers().initialize();
        peripherals.plic.enable(uart::UART_IRQ);
        // SAFETY: the virtio-mmio slots exist on virt.
        let rng = unsafe { peripherals.rng.probe() };
        if let Some(irq) = peripherals.rng.irq() {
            peripherals.plic.enable(irq);
        }
        #[cfg(target_arch = "riscv32")]
        csr::enable_interrupt_sources(csr::MIE_MTIE | csr::MIE_MEIE);
        let chip = QemuVirt {
            peripherals,
            #[cfg(feature = "virtio_console")]
            console: core::cell::Cell::new(None),
            boundary: RiscvUserspaceBoundary::new(),
            pmp: Pmp::new(),
        };
        (chip, rng)
    }

    /// Finds the virtio console (the second serial link) and services its
    /// interrupts from now on. `Err(NoDevice)`: QEMU has none.
    #[cfg(feature = "virtio_console")]
    pub fn attach_console(
        &self,
        console: &'static virtio_console::VirtioConsole,
    ) -> Result<(), kernel::ErrorCode> {
        // SAFETY: the virtio-mmio slots exist on virt.
        unsafe { console.probe() }?;
        if let Some(irq) = console.irq() {
            self.peripherals.plic.enable(irq);
        }
        self.console.set(Some(console));
        Ok(())
    }

    /// The peripherals.
    pub fn peripherals(&self) -> &'static Peripherals {
        self.peripherals
    }

    fn dispatch_external(&self) {
        let peripherals = self.peripherals;
        while let Some(source) = peripherals.plic.claim() {
            if source == uart::UART_IRQ {
                peripherals.uart.handle_interrupt();
            } else if Some(source) == peripherals.rng.irq() {
                peripherals.rng.handle_interrupt();
            }
            #[cfg(feature = "virtio_console")]
            if let Some(console) = self.console.get().filter(|c| c.irq() == Some(source)) {
                console.handle_interrupt();
            }
            peripherals.plic.complete(source);
        }
    }
}

impl Chip for QemuVirt {
    type UserspaceBoundary = RiscvUserspaceBoundary;
    type MemoryProtection = Pmp;
    type SchedulerTimer = clint::MachineTimer;

    fn userspace_boundary(&self) -> &RiscvUserspaceBoundary {
        &self.boundary
    }

    fn memory_protection(&self) -> &Pmp {
        &self.pmp
    }

    fn scheduler_timer(&self) -> &clint::MachineTimer {
        &self.peripherals.timer
    }

    fn service_pending_interrupts(&self) {
        #[cfg(target_arch = "riscv32")]
        {
            let pending = csr::read_mip();
            if pending & csr::MIP_MTIP != 0 {
                self.peripherals.timer.handle_interrupt();
            }
            if pending & csr::MIP_MEIP != 0 {
                self.dispatch_external();
            }
        }
        #[cfg(not(target_arch = "riscv32"))]
        self.dispatch_external();
    }

    fn has_pending_interrupts(&self) -> bool {
        #[cfg(target_arch = "riscv32")]
        {
            csr::read_mip() & (csr::MIP_MTIP | csr::MIP_MEIP) != 0
        }
        #[cfg(not(target_arch = "riscv32"))]
        false
    }

    fn sleep(&self) {
        #[cfg(target_arch = "riscv32")]
        csr::wait_for_interrupt();
    }

    fn atomic<R, F: FnOnce() -> R>(&self, operation: F) -> R {
        csr::atomic(operation)
    }
}
