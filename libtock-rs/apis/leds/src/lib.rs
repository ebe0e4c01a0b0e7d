//! LEDs (driver 0x2): count, switch on, off and toggle, as upstream's LED
//! capsule offers them.
//!
//! Guarantees: a bad LED index is an error value (`Inval`), never a panic.
//! Must never: panic.
#![no_std]
#![forbid(unsafe_code)]

use core::marker::PhantomData;
use libtock_platform::{DriverNumber, ErrorCode, Syscalls};

/// The LED driver number.
pub const DRIVER_NUM: u32 = DriverNumber::LED.0;

/// Command numbers.
pub mod command {
    /// Existence check; returns the number of LEDs (`SuccessU32`).
    pub const COUNT: u32 = 0;
    /// Switch LED `argument0` on.
    pub const ON: u32 = 1;
    /// Switch LED `argument0` off.
    pub const OFF: u32 = 2;
    /// Toggle LED `argument0`.
    pub const TOGGLE: u32 = 3;
}

/// The LEDs, over the system calls `S`.
pub struct Leds<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Leds<S> {
    /// How many LEDs the board has (also the existence check).
    pub fn count() -> Result<u32, ErrorCode> {
        S::command(DRIVER_NUM, command::COUNT, 0, 0).to_result()
    }

    /// Switches LED `index` on.
    pub fn on(index: u32) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::ON, index, 0).to_result()
    }

    /// Switches LED `index` off.
    pub fn off(index: u32) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::OFF, index, 0).to_result()
    }

    /// Toggles LED `index`.
    pub fn toggle(index: u32) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::TOGGLE, index, 0).to_result()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type Leds = super::Leds<Fake>;

    #[test]
    fn leds_switch_and_toggle() {
        let kernel = Kernel::new();
        let leds = Rc::new(drivers::Leds::new(4));
        kernel.add_driver(&leds);
        assert_eq!(Leds::count(), Ok(4));
        assert_eq!(Leds::on(2), Ok(()));
        assert_eq!(leds.is_on(2), Some(true));
        assert_eq!(Leds::toggle(2), Ok(()));
        assert_eq!(Leds::toggle(3), Ok(()));
        assert_eq!(Leds::off(1), Ok(()));
        assert_eq!(
            (leds.is_on(1), leds.is_on(2), leds.is_on(3)),
            (Some(false), Some(false), Some(true))
        );
    }

    #[test]
    fn bad_index_missing_driver_and_refused_command_are_errors() {
        let kernel = Kernel::new();
        assert_eq!(Leds::count(), Err(ErrorCode::NoDevice));
        assert_eq!(Leds::on(0), Err(ErrorCode::NoDevice));
        kernel.add_driver(&Rc::new(drivers::Leds::new(1)));
        assert_eq!(Leds::on(1), Err(ErrorCode::Inval));
        assert_eq!(Leds::off(7), Err(ErrorCode::Inval));
        assert_eq!(Leds::toggle(9), Err(ErrorCode::Inval));
        kernel.inject_failure(
            SyscallMatch::Command {
                driver: DRIVER_NUM,
                command: command::ON,
            },
            ErrorCode::Off,
        );
        assert_eq!(Leds::on(0), Err(ErrorCode::Off));
    }
}
