//! GPIO (driver 0x4): configure, drive, read and watch pins, as upstream's
//! GPIO capsule offers them.
//!
//! Guarantees: a bad pin index is `Inval`; an unsupported pull or edge mode
//! is `NoSupport`; each is an error value.
//! Must never: panic.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::marker::PhantomData;
use libtock_platform::share::scope;
use libtock_platform::{wait_for_upcall, DriverNumber, ErrorCode, Subscribe, Syscalls};

/// The GPIO driver number.
pub const DRIVER_NUM: u32 = DriverNumber::GPIO.0;

/// Command numbers (`argument0` is the pin).
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// Make the pin an output.
    pub const ENABLE_OUTPUT: u32 = 1;
    /// Drive high.
    pub const SET: u32 = 2;
    /// Drive low.
    pub const CLEAR: u32 = 3;
    /// Invert.
    pub const TOGGLE: u32 = 4;
    /// Make the pin an input with pull mode `argument1`.
    pub const ENABLE_INPUT: u32 = 5;
    /// Read (`SuccessU32`).
    pub const READ: u32 = 6;
    /// Upcall on edge `argument1`.
    pub const ENABLE_INTERRUPTS: u32 = 7;
    /// No more upcalls.
    pub const DISABLE_INTERRUPTS: u32 = 8;
    /// Disable the pin.
    pub const DISABLE: u32 = 9;
    /// Number of pins (`SuccessU32`).
    pub const COUNT: u32 = 10;
}

/// Subscribe number of the upcall `(pin, level, 0)`.
pub const SUBSCRIBE_NUM: u32 = 0;

/// Input pull resistor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Pull {
    /// Floating.
    None = 0,
    /// Pulled up.
    Up = 1,
    /// Pulled down.
    Down = 2,
}

/// Which edges raise an upcall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Edge {
    /// Rising and falling.
    Either = 0,
    /// Low to high.
    Rising = 1,
    /// High to low.
    Falling = 2,
}

/// GPIO, over the system calls `S`.
pub struct Gpio<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Gpio<S> {
    fn pin_command(command: u32, pin: u32, argument: u32) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command, pin, argument).to_result()
    }

    /// `Ok` if the kernel has GPIO.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// How many pins apps may use.
    pub fn count() -> Result<u32, ErrorCode> {
        S::command(DRIVER_NUM, command::COUNT, 0, 0).to_result()
    }

    /// Makes `pin` an output.
    pub fn enable_output(pin: u32) -> Result<(), ErrorCode> {
        Self::pin_command(command::ENABLE_OUTPUT, pin, 0)
    }

    /// Drives `pin` high.
    pub fn set(pin: u32) -> Result<(), ErrorCode> {
        Self::pin_command(command::SET, pin, 0)
    }

    /// Drives `pin` low.
    pub fn clear(pin: u32) -> Result<(), ErrorCode> {
        Self::pin_command(command::CLEAR, pin, 0)
    }

    /// Inverts `pin`.
    pub fn toggle(pin: u32) -> Result<(), ErrorCode> {
        Self::pin_command(command::TOGGLE, pin, 0)
    }

    /// Makes `pin` an input.
    pub fn enable_input(pin: u32, pull: Pull) -> Result<(), ErrorCode> {
        Self::pin_command(command::ENABLE_INPUT, pin, pull as u32)
    }

    /// Reads `pin`: true for high.
    pub fn read(pin: u32) -> Result<bool, ErrorCode> {
        S::command(DRIVER_NUM, command::READ, pin, 0)
            .to_result::<u32>()
            .map(|level| level != 0)
    }

    /// Disables `pin`.
    pub fn disable(pin: u32) -> Result<(), ErrorCode> {
        Self::pin_command(command::DISABLE, pin, 0)
    }

    /// Blocks until `pin` sees `edge`; returns the level after it.
    pub fn wait_for_edge(pin: u32, edge: Edge) -> Result<bool, ErrorCode> {
        let event: Cell<Option<(u32, u32)>> = Cell::new(None);
        scope::<Subscribe<S, DRIVER_NUM, SUBSCRIBE_NUM>, _, _>(|handle| {
            S::subscribe(handle, &event)?;
            Self::pin_command(command::ENABLE_INTERRUPTS, pin, edge as u32)?;
            let level = loop {
                let (source, level) = wait_for_upcall::<S, _>(&event);
                if source == pin {
                    break level != 0;
                }
            };
            Self::pin_command(command::DISABLE_INTERRUPTS, pin, 0)?;
            Ok(level)
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::drivers::{self, PinMode};
    use libtock_unittest::{Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type Gpio = super::Gpio<Fake>;

    fn setup() -> (Kernel, Rc<drivers::Gpio>) {
        let kernel = Kernel::new();
        let gpio = Rc::new(drivers::Gpio::new(3));
        kernel.add_driver(&gpio);
        (kernel, gpio)
    }

    #[test]
    fn outputs_and_inputs_work() {
        let (_kernel, gpio) = setup();
        assert_eq!(Gpio::exists(), Ok(()));
        assert_eq!(Gpio::count(), Ok(3));
        Gpio::enable_output(0).unwrap();
        Gpio::set(0).unwrap();
        assert!(gpio.level(0));
        Gpio::toggle(0).unwrap();
        Gpio::set(0).unwrap();
        Gpio::clear(0).unwrap();
        assert_eq!((gpio.mode(0), gpio.level(0)), (PinMode::Output, false));
        Gpio::enable_input(1, Pull::Up).unwrap();
        assert_eq!(gpio.mode(1), PinMode::Input(1));
        gpio.set_input_level(1, true);
        assert_eq!(Gpio::read(1), Ok(true));
        Gpio::disable(1).unwrap();
        assert_eq!(gpio.mode(1), PinMode::Disabled);
    }

    #[test]
    fn wait_for_edge_returns_the_new_level() {
        let (kernel, gpio) = setup();
        Gpio::enable_input(2, Pull::None).unwrap();
        let pin = gpio.clone();
        kernel.when_idle(move || pin.set_input_level(2, true));
        let pin = gpio.clone();
        kernel.when_idle(move || pin.set_input_level(2, false));
        assert_eq!(Gpio::wait_for_edge(2, Edge::Falling), Ok(false));
        // The rising edge came first and raised nothing.
        assert_eq!(kernel.pending_upcalls(), 0);
        assert!(!kernel.is_subscribed(DRIVER_NUM, SUBSCRIBE_NUM));
    }

    #[test]
    fn errors_are_returned() {
        let (kernel, _gpio) = setup();
        assert_eq!(Gpio::set(7), Err(ErrorCode::Inval));
        assert_eq!(Gpio::read(7), Err(ErrorCode::Inval));
        assert_eq!(Gpio::wait_for_edge(7, Edge::Either), Err(ErrorCode::Inval));
        let call = SyscallMatch::Subscribe {
            driver: DRIVER_NUM,
            subscribe: SUBSCRIBE_NUM,
        };
        kernel.inject_failure(call, ErrorCode::Fail);
        assert_eq!(Gpio::wait_for_edge(0, Edge::Either), Err(ErrorCode::Fail));
        drop(kernel);
        let _kernel = Kernel::new();
        assert_eq!(Gpio::enable_output(0), Err(ErrorCode::NoDevice));
    }
}
