//! Buttons (driver 0x3): count, read, and wait for presses, as upstream's
//! button capsule offers them.
//!
//! Guarantees: a bad button index is `Inval`; interrupts enabled by
//! [`Buttons::wait_for_press`] are disabled again before it returns.
//! Must never: panic.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::marker::PhantomData;
use libtock_platform::share::scope;
use libtock_platform::{wait_for_upcall, DriverNumber, ErrorCode, Subscribe, Syscalls};

/// The button driver number.
pub const DRIVER_NUM: u32 = DriverNumber::BUTTON.0;

/// Command numbers.
pub mod command {
    /// Existence check; returns the number of buttons (`SuccessU32`).
    pub const COUNT: u32 = 0;
    /// Enable upcalls for button `argument0`.
    pub const ENABLE_INTERRUPTS: u32 = 1;
    /// Disable upcalls for button `argument0`.
    pub const DISABLE_INTERRUPTS: u32 = 2;
    /// Read button `argument0` (`SuccessU32`: 1 pressed, 0 released).
    pub const READ: u32 = 3;
}

/// Subscribe number of the upcall `(button, 1 pressed / 0 released, 0)`.
pub const SUBSCRIBE_NUM: u32 = 0;

/// Whether a button is down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ButtonState {
    /// Down.
    Pressed,
    /// Up.
    Released,
}

impl From<u32> for ButtonState {
    fn from(value: u32) -> Self {
        if value == 0 {
            ButtonState::Released
        } else {
            ButtonState::Pressed
        }
    }
}

/// The buttons, over the system calls `S`.
pub struct Buttons<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Buttons<S> {
    /// How many buttons the board has (also the existence check).
    pub fn count() -> Result<u32, ErrorCode> {
        S::command(DRIVER_NUM, command::COUNT, 0, 0).to_result()
    }

    /// Reads button `index`.
    pub fn read(index: u32) -> Result<ButtonState, ErrorCode> {
        S::command(DRIVER_NUM, command::READ, index, 0)
            .to_result::<u32>()
            .map(ButtonState::from)
    }

    /// Enables upcalls for button `index`.
    pub fn enable_interrupts(index: u32) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::ENABLE_INTERRUPTS, index, 0).to_result()
    }

    /// Disables upcalls for button `index`.
    pub fn disable_interrupts(index: u32) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::DISABLE_INTERRUPTS, index, 0).to_result()
    }

    /// Blocks until button `index` changes to `Pressed`.
    pub fn wait_for_press(index: u32) -> Result<(), ErrorCode> {
        let event: Cell<Option<(u32, u32)>> = Cell::new(None);
        scope::<Subscribe<S, DRIVER_NUM, SUBSCRIBE_NUM>, _, _>(|handle| {
            S::subscribe(handle, &event)?;
            Self::enable_interrupts(index)?;
            loop {
                let (button, state) = wait_for_upcall::<S, _>(&event);
                if button == index && ButtonState::from(state) == ButtonState::Pressed {
                    break;
                }
            }
            Self::disable_interrupts(index)
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type Buttons = super::Buttons<Fake>;

    fn setup() -> (Kernel, Rc<drivers::Buttons>) {
        let kernel = Kernel::new();
        let buttons = Rc::new(drivers::Buttons::new(2));
        kernel.add_driver(&buttons);
        (kernel, buttons)
    }

    #[test]
    fn read_and_count() {
        let (_kernel, buttons) = setup();
        assert_eq!(Buttons::count(), Ok(2));
        assert_eq!(Buttons::read(1), Ok(ButtonState::Released));
        buttons.set_pressed(1, true);
        assert_eq!(Buttons::read(1), Ok(ButtonState::Pressed));
    }

    #[test]
    fn wait_for_press_ignores_other_buttons_and_releases() {
        let (kernel, buttons) = setup();
        buttons.set_pressed(0, true);
        // Interrupts are off, so the press above produced no upcall.
        assert_eq!(kernel.pending_upcalls(), 0);
        Buttons::enable_interrupts(0).unwrap();
        let fake = buttons.clone();
        kernel.when_idle(move || fake.set_pressed(0, false));
        let fake = buttons.clone();
        kernel.when_idle(move || fake.set_pressed(1, true));
        assert_eq!(Buttons::wait_for_press(1), Ok(()));
        assert!(!buttons.interrupts_enabled(1));
        assert!(!kernel.is_subscribed(DRIVER_NUM, SUBSCRIBE_NUM));
    }

    #[test]
    fn errors_are_returned() {
        let (kernel, _buttons) = setup();
        assert_eq!(Buttons::read(5), Err(ErrorCode::Inval));
        assert_eq!(Buttons::enable_interrupts(5), Err(ErrorCode::Inval));
        assert_eq!(Buttons::wait_for_press(5), Err(ErrorCode::Inval));
        let call = SyscallMatch::Subscribe {
            driver: DRIVER_NUM,
            subscribe: SUBSCRIBE_NUM,
        };
        kernel.inject_failure(call, ErrorCode::NoMem);
        assert_eq!(Buttons::wait_for_press(0), Err(ErrorCode::NoMem));
        drop(kernel);
        let _kernel = Kernel::new();
        assert_eq!(Buttons::count(), Err(ErrorCode::NoDevice));
    }
}
