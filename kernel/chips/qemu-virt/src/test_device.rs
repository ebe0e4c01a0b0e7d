//! The SiFive test device ("finisher") at 0x100000: writing to it ends
//! QEMU with an exit status.

use tock_registers::interfaces::Writeable;
use tock_registers::register_bitfields;
use tock_registers::register_structs;
use tock_registers::registers::WriteOnly;

register_bitfields![u32,
    FINISHER [
        /// 0x5555 passes, 0x3333 fails with the code in the upper half.
        STATUS OFFSET(0) NUMBITS(16) [
            Pass = 0x5555,
            Fail = 0x3333,
            Reset = 0x7777
        ],
        CODE OFFSET(16) NUMBITS(16) []
    ]
];

register_structs! {
    /// The finisher register.
    pub TestDeviceRegisters {
        (0x0 => finisher: WriteOnly<u32, FINISHER::Register>),
        (0x4 => @END),
    }
}

/// How QEMU should end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// QEMU exits with status 0.
    Pass,
    /// QEMU exits with this status (1..=0xffff; 0 becomes 1).
    Fail(u16),
}

/// The value written to the finisher for `status`.
pub const fn finisher_value(status: ExitStatus) -> u32 {
    match status {
        ExitStatus::Pass => 0x5555,
        ExitStatus::Fail(code) => {
            let code = if code == 0 { 1 } else { code };
            ((code as u32) << 16) | 0x3333
        }
    }
}

/// The SiFive test device.
pub struct TestDevice {
    registers: &'static TestDeviceRegisters,
}

impl TestDevice {
    /// # Safety
    /// `base` must be the address of the test device (0x100000 on virt).
    pub const unsafe fn new(base: usize) -> Self {
        TestDevice {
            // SAFETY: the caller guarantees the device is mapped at `base`.
            registers: unsafe { &*(base as *const TestDeviceRegisters) },
        }
    }

    /// Ends the machine with `status`; a reset request restarts it.
    pub fn exit(&self, status: ExitStatus) -> ! {
        mask_interrupts();
        self.registers.finisher.set(finisher_value(status));
        halt()
    }

    /// Resets the machine (QEMU reboots with the same flash file).
    pub fn reset(&self) -> ! {
        mask_interrupts();
        self.registers.finisher.write(FINISHER::STATUS::Reset);
        halt()
    }
}

/// Masks every interrupt source (`mie` = 0), so that nothing wakes
/// [`halt`]'s `wfi` and the loop's branch never runs a variable number of
/// times: a run's instruction count then ends on the same instruction.
fn mask_interrupts() {
    #[cfg(target_arch = "riscv32")]
    // SAFETY: the machine is about to stop; no interrupt is needed again.
    unsafe {
        core::arch::asm!("csrw mie, zero")
    };
}

/// Waits for QEMU to act on the finisher write. Only `wfi` runs here, so
/// instruction counts do not depend on how soon QEMU stops the CPU.
fn halt() -> ! {
    loop {
        #[cfg(target_arch = "riscv32")]
        // SAFETY: wfi only stalls the hart.
        unsafe {
            core::arch::asm!("wfi")
        };
        #[cfg(not(target_arch = "riscv32"))]
        core::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_values_follow_the_sifive_encoding() {
        assert_eq!(finisher_value(ExitStatus::Pass), 0x5555);
        assert_eq!(finisher_value(ExitStatus::Fail(3)), 0x0003_3333);
        assert_eq!(finisher_value(ExitStatus::Fail(0)), 0x0001_3333);
    }
}
