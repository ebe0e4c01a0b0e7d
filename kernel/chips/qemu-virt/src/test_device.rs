//! The SiFive test device ("finisher") at 0x100000: writing to it ends
//! QEMU with an exit status.

use tock_registers::interfaces::Writeable;
use tock_registers::register_structs;
use tock_registers::registers::WriteOnly;
use tock_registers::register_bitfields;

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
        self.registers.finisher.set(finisher_value(status));
        halt()
    }

    /// Resets the machine (QEMU reboots with the same flash file).
    pub fn reset(&self) -> ! {
        self.registers.finisher.write(FINISHER::STATUS::Reset);
        halt()
    }
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

/// Driver number of [`TestExitDriver`]: outside upstream's allocated
/// ranges, for emulator boards only.
pub const TEST_EXIT_DRIVER: u32 = 0xE_0000;

/// A system-call driver for integration tests on the emulator. Commands:
/// - 1 (status): end QEMU now; status 0 passes, anything else fails with it;
/// - 2 (status): the same, once every other process has terminated or
///   faulted for good; BUSY while one still lives;
/// - 3 (variant, seed): return that return variant with values derived
///   from `seed` by [`probe_values`] (proves every variant reaches the
///   process intact);
/// - 4 (slot): schedule upcall 0 of this driver on the process in that
///   slot (benchmarks wake each other with it; wait with yield-wait-for).
///
/// Only emulator boards offer it.
pub struct TestExitDriver {
    device: &'static TestDevice,
    kernel: &'static kernel::Kernel,
    grant: TestGrant,
}

/// The driver's per-process state: one upcall slot, nothing else.
pub type TestGrant = kernel::grant::Grant<(), 1, 0, 0>;

/// The values the variant probe returns for `seed`: an error code and
/// three words.
pub fn probe_values(seed: u32) -> (kernel::ErrorCode, u32, u32, u32) {
    let error = kernel::ErrorCode::from_u32(seed % 13 + 1).unwrap_or(kernel::ErrorCode::Fail);
    (error, seed, !seed, seed.rotate_left(8))
}

/// The command return of `variant` for `seed`, if `variant` is one.
pub fn probe_return(variant: u32, seed: u32) -> Option<kernel::CommandReturn> {
    use kernel::CommandReturn as Return;
    use kernel_abi::ReturnVariant as Variant;
    let (error, first, second, third) = probe_values(seed);
    let wide = (u64::from(second) << 32) | u64::from(first);
    Some(match Variant::from_u32(variant)? {
        Variant::Failure => Return::failure(error),
        Variant::FailureU32 => Return::failure_u32(error, first),
        Variant::FailureU32U32 => Return::failure_u32_u32(error, first, second),
        Variant::FailureU64 => Return::failure_u64(error, wide),
        Variant::Success => Return::success(),
        Variant::SuccessU32 => Return::success_u32(first),
        Variant::SuccessU32U32 => Return::success_u32_u32(first, second),
        Variant::SuccessU64 => Return::success_u64(wide),
        Variant::SuccessU32U32U32 => Return::success_u32_u32_u32(first, second, third),
        Variant::SuccessU32U64 => Return::success_u32_u64(third, wide),
    })
}

impl TestExitDriver {
    /// The driver over `device`, watching `kernel`'s processes.
    pub const fn new(
        device: &'static TestDevice,
        kernel: &'static kernel::Kernel,
        grant: TestGrant,
    ) -> Self {
        TestExitDriver {
            device,
            kernel,
            grant,
        }
    }

    fn notify(&self, slot: u32) -> kernel::CommandReturn {
        let target = self.kernel.process_ids().find(|id| id.index == slot as usize);
        let scheduled = target.map(|id| {
            self.grant
                .enter(id, |_, kernel_data| kernel_data.schedule_upcall(0, (slot, 0, 0)))
        });
        match scheduled {
            Some(Ok(Ok(()))) => kernel::CommandReturn::success(),
            Some(Ok(Err(_))) => kernel::CommandReturn::failure(kernel::ErrorCode::Busy),
            Some(Err(_)) => kernel::CommandReturn::failure(kernel::ErrorCode::NoMem),
            None => kernel::CommandReturn::failure(kernel::ErrorCode::Inval),
        }
    }

    fn exit(&self, status: u32) -> ! {
        match status {
            0 => self.device.exit(ExitStatus::Pass),
            status => self.device.exit(ExitStatus::Fail(status.min(0xffff) as u16)),
        }
    }

    fn others_done(&self, caller: kernel::ProcessId) -> bool {
        self.kernel
            .process_ids()
            .filter(|id| id.index != caller.index)
            .all(|id| self.kernel.process(id).is_none())
    }
}

impl kernel::driver::SyscallDriver for TestExitDriver {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        argument1: u32,
        process: kernel::ProcessId,
    ) -> kernel::CommandReturn {
        match command {
            0 => kernel::CommandReturn::success(),
            1 => self.exit(argument0),
            2 if self.others_done(process) => self.exit(argument0),
            2 => kernel::CommandReturn::failure(kernel::ErrorCode::Busy),
            3 => probe_return(argument0, argument1)
                .unwrap_or(kernel::CommandReturn::failure(kernel::ErrorCode::Inval)),
            4 => self.notify(argument0),
            _ => kernel::CommandReturn::failure(kernel::ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: kernel::ProcessId) -> Result<(), kernel::ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(|_| kernel::ErrorCode::NoMem)
    }
}
