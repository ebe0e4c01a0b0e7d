//! The emulator's test driver on mps2, with the same driver number and
//! commands as qemu-rv32-virt's (see `chip_qemu_virt::test_driver`), so
//! the same test apps run on both. Exit codes go out by semihosting.
//! Commands 5 and 6 (flash round trip) answer NOSUPPORT: mps2 has no
//! flash controller.

use chip_qemu_virt::test_driver::probe_return;
pub use chip_qemu_virt::test_driver::TEST_EXIT_DRIVER;
use kernel::{CommandReturn, ErrorCode, Kernel, ProcessId};

/// The driver's per-process state: one upcall slot.
pub type TestGrant = kernel::grant::Grant<(), 1, 0, 0>;

/// The test driver.
pub struct TestExitDriver {
    kernel: &'static Kernel,
    grant: TestGrant,
}

impl TestExitDriver {
    /// The driver watching `kernel`'s processes.
    pub const fn new(kernel: &'static Kernel, grant: TestGrant) -> Self {
        TestExitDriver { kernel, grant }
    }

    fn notify(&self, slot: u32) -> CommandReturn {
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
            Some(Ok(Ok(()))) => CommandReturn::success(),
            Some(Ok(Err(_))) => CommandReturn::failure(ErrorCode::Busy),
            Some(Err(_)) => CommandReturn::failure(ErrorCode::NoMem),
            None => CommandReturn::failure(ErrorCode::Inval),
        }
    }

    fn others_done(&self, caller: ProcessId) -> bool {
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
        process: ProcessId,
    ) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => crate::semihosting::exit(argument0),
            2 if self.others_done(process) => crate::semihosting::exit(argument0),
            2 => CommandReturn::failure(ErrorCode::Busy),
            3 => probe_return(argument0, argument1)
                .unwrap_or(CommandReturn::failure(ErrorCode::Inval)),
            4 => self.notify(argument0),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(|_| ErrorCode::NoMem)
    }
}
