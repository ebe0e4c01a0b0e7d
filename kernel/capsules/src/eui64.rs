//! EUI-64 driver (0x30006, upstream's interface): the board's 64-bit
//! extended unique identifier, fixed when the board is built.
//!
//! - command 0: exists
//! - command 1: the EUI-64 (Success with u64)
//!
//! No buffers, no upcalls: the identifier is a constant, so there is no
//! operation to split into phases.

use kernel::{CommandReturn, ErrorCode, ProcessId};

/// The EUI-64 driver.
pub struct Eui64 {
    identifier: u64,
}

impl Eui64 {
    /// A driver answering `identifier`.
    pub const fn new(identifier: u64) -> Self {
        Eui64 { identifier }
    }
}

impl kernel::driver::SyscallDriver for Eui64 {
    fn command(&self, command: u32, _: u32, _: u32, _: ProcessId) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => CommandReturn::success_u64(self.identifier),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::driver::SyscallDriver;
    use kernel::testing::TestKernel;

    #[test]
    fn command_1_returns_the_board_identifier_as_one_u64() {
        let test = TestKernel::new(1, 1024);
        let driver = Eui64::new(0x0123_4567_89ab_cdef);
        let process = test.process_id(0);
        assert_eq!(driver.command(0, 0, 0, process), CommandReturn::success());
        assert_eq!(
            driver.command(1, 0, 0, process),
            CommandReturn::success_u64(0x0123_4567_89ab_cdef)
        );
        assert_eq!(
            driver.command(2, 0, 0, process),
            CommandReturn::failure(ErrorCode::NoSupport)
        );
    }
}
