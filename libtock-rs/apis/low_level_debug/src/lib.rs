//! Low-level debug (driver 0x8): print numbers and alert codes without any
//! buffer, as upstream's low-level-debug capsule offers them. Useful when
//! nothing else works (the panic handler uses it).
//!
//! Guarantees: never blocks; every failure is an error value.
//! Must never: panic or allocate.
#![no_std]
#![forbid(unsafe_code)]

use core::marker::PhantomData;
use libtock_platform::{DriverNumber, ErrorCode, Syscalls};

/// The low-level-debug driver number.
pub const DRIVER_NUM: u32 = DriverNumber::LOW_LEVEL_DEBUG.0;

/// Command numbers.
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// Print alert code `argument0`.
    pub const ALERT_CODE: u32 = 1;
    /// Print `argument0`.
    pub const PRINT_1: u32 = 2;
    /// Print `argument0` and `argument1`.
    pub const PRINT_2: u32 = 3;
}

/// Alert codes the kernel knows by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum AlertCode {
    /// The app panicked.
    Panic = 0x01,
    /// The app was started at the wrong address.
    WrongLocation = 0x02,
}

/// Low-level debug, over the system calls `S`.
pub struct LowLevelDebug<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> LowLevelDebug<S> {
    /// `Ok` if the kernel has the driver.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// Prints an alert code.
    pub fn print_alert_code(code: AlertCode) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::ALERT_CODE, code as u32, 0).to_result()
    }

    /// Prints one number.
    pub fn print_1(value: u32) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::PRINT_1, value, 0).to_result()
    }

    /// Prints two numbers.
    pub fn print_2(first: u32, second: u32) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::PRINT_2, first, second).to_result()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::drivers::{self, LowLevelDebugMessage as Message};
    use libtock_unittest::{Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type Debug = LowLevelDebug<Fake>;

    #[test]
    fn messages_reach_the_kernel_in_order() {
        let kernel = Kernel::new();
        let debug = Rc::new(drivers::LowLevelDebug::new());
        kernel.add_driver(&debug);
        assert_eq!(Debug::exists(), Ok(()));
        Debug::print_alert_code(AlertCode::Panic).unwrap();
        Debug::print_1(5).unwrap();
        Debug::print_2(6, 7).unwrap();
        let expected = [Message::Alert(1), Message::Print1(5), Message::Print2(6, 7)];
        assert_eq!(debug.take_messages(), expected);
    }

    #[test]
    fn missing_driver_and_refused_command_are_errors() {
        let kernel = Kernel::new();
        assert_eq!(Debug::print_1(1), Err(ErrorCode::NoDevice));
        kernel.add_driver(&Rc::new(drivers::LowLevelDebug::new()));
        let call = SyscallMatch::Command {
            driver: DRIVER_NUM,
            command: command::PRINT_2,
        };
        kernel.inject_failure(call, ErrorCode::Busy);
        assert_eq!(Debug::print_2(1, 2), Err(ErrorCode::Busy));
    }
}
