//! The emulator's test driver: lets integration tests end QEMU with an
//! exit code, probe every return variant, wake processes for benchmarks,
//! and exercise the flash driver. Only emulator boards offer it.

use crate::test_device::{ExitStatus, TestDevice};

/// Driver number of [`TestExitDriver`] (defined in `kernel-abi`).
pub const TEST_EXIT_DRIVER: u32 = kernel_abi::DriverNumber::EMULATOR_TEST.0;

/// A system-call driver for integration tests on the emulator. Commands:
/// - 1 (status): end QEMU now; status 0 passes, anything else fails with it;
/// - 2 (status): the same, once every other process has terminated or
///   faulted for good; BUSY while one still lives;
/// - 3 (variant, seed): return that return variant with values derived
///   from `seed` by [`probe_values`] (proves every variant reaches the
///   process intact);
/// - 4 (slot): schedule upcall 0 of this driver on the process in that
///   slot (benchmarks wake each other with it; wait with yield-wait-for);
/// - 5 (value): erase the last 256 KiB block of flash, program `value` at
///   its start and read it back (Success, or FAIL with the status);
/// - 6: read the word at the start of that block (Success with it).
///
/// Only emulator boards offer it.
pub struct TestExitDriver {
    device: &'static TestDevice,
    kernel: &'static kernel::Kernel,
    grant: TestGrant,
    flash: &'static crate::pflash::Pflash,
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
        flash: &'static crate::pflash::Pflash,
    ) -> Self {
        TestExitDriver {
            device,
            kernel,
            grant,
            flash,
        }
    }

    fn scratch_block(&self) -> usize {
        self.flash.size() - crate::pflash::BLOCK_SIZE
    }

    fn flash_round_trip(&self, value: u32) -> kernel::CommandReturn {
        let offset = self.scratch_block();
        let written = self
            .flash
            .erase_block(offset)
            .and_then(|()| self.flash.program(offset, &value.to_le_bytes()));
        let mut read = [0u8; 4];
        match written.and_then(|()| self.flash.read(offset, &mut read)) {
            Ok(()) if u32::from_le_bytes(read) == value => kernel::CommandReturn::success(),
            Ok(()) => kernel::CommandReturn::failure_u32(
                kernel::ErrorCode::Fail,
                u32::from_le_bytes(read),
            ),
            Err(crate::pflash::FlashError::Device(status)) => {
                kernel::CommandReturn::failure_u32(kernel::ErrorCode::Fail, status)
            }
            Err(_) => kernel::CommandReturn::failure(kernel::ErrorCode::Inval),
        }
    }

    fn flash_read(&self) -> kernel::CommandReturn {
        let mut read = [0u8; 4];
        match self.flash.read(self.scratch_block(), &mut read) {
            Ok(()) => kernel::CommandReturn::success_u32(u32::from_le_bytes(read)),
            Err(_) => kernel::CommandReturn::failure(kernel::ErrorCode::Fail),
        }
    }

    fn notify(&self, slot: u32) -> kernel::CommandReturn {
        let target = self
            .kernel
            .process_ids()
            .find(|id| id.index == slot as usize);
        let scheduled = target.map(|id| {
            self.grant.enter(id, |_, kernel_data| {
                kernel_data.schedule_upcall(0, (slot, 0, 0))
            })
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
            status => self
                .device
                .exit(ExitStatus::Fail(status.min(0xffff) as u16)),
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
            5 => self.flash_round_trip(argument0),
            6 => self.flash_read(),
            _ => kernel::CommandReturn::failure(kernel::ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: kernel::ProcessId) -> Result<(), kernel::ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(|_| kernel::ErrorCode::NoMem)
    }
}
