//! Low-level debug (driver 0x8, upstream's interface and messages): prints
//! numbers without any buffer, for bringing up apps.
//!
//! - command 1 (code): `LowLevelDebug: App 0x<id> alert code 0x<code>`
//! - command 2 (a): `LowLevelDebug: App 0x<id> prints 0x<a>`
//! - command 3 (a, b): `LowLevelDebug: App 0x<id> prints 0x<a> 0x<b>`
//!
//! `<id>` is the process's unique identifier, as upstream prints it. The
//! message goes to the kernel's debug output, synchronously, so nothing is
//! queued or dropped.

use kernel::platform::DebugOutput;
use kernel::{CommandReturn, ErrorCode, ProcessId};

/// The low-level debug driver.
pub struct LowLevelDebug<'a> {
    output: &'a dyn DebugOutput,
}

impl<'a> LowLevelDebug<'a> {
    /// A driver printing to `output`.
    pub fn new(output: &'a dyn DebugOutput) -> Self {
        LowLevelDebug { output }
    }

    fn print(&self, arguments: core::fmt::Arguments<'_>) {
        let _ = core::fmt::write(&mut kernel::platform::DebugWriter(self.output), arguments);
    }
}

impl kernel::driver::SyscallDriver for LowLevelDebug<'_> {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        argument1: u32,
        process: ProcessId,
    ) -> CommandReturn {
        let app = process.identifier;
        match command {
            0 => {}
            1 => self.print(format_args!(
                "LowLevelDebug: App {:#x} alert code {:#x}\n",
                app, argument0
            )),
            2 => self.print(format_args!(
                "LowLevelDebug: App {:#x} prints {:#x}\n",
                app, argument0
            )),
            3 => self.print(format_args!(
                "LowLevelDebug: App {:#x} prints {:#x} {:#x}\n",
                app, argument0, argument1
            )),
            _ => return CommandReturn::failure(ErrorCode::NoSupport),
        }
        CommandReturn::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::driver::SyscallDriver;
    use kernel::testing::TestKernel;

    #[test]
    fn prints_upstream_messages() {
        let test = TestKernel::new(2, 1024);
        let driver = LowLevelDebug::new(test.kernel.output());
        driver.command(1, 2, 0, test.process_id(1));
        driver.command(2, 0x1f, 0, test.process_id(0));
        driver.command(3, 1, 0xabc, test.process_id(0));
        assert_eq!(
            driver.command(4, 0, 0, test.process_id(0)),
            CommandReturn::failure(ErrorCode::NoSupport)
        );
        assert_eq!(
            test.take_output(),
            "LowLevelDebug: App 0x1 alert code 0x2\nLowLevelDebug: App 0x0 prints 0x1f\nLowLevelDebug: App 0x0 prints 0x1 0xabc\n"
        );
    }
}
