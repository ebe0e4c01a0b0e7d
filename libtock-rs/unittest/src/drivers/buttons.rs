//! Fake buttons (driver 0x3): the test presses and releases them.

use crate::{schedule_upcall, Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::Cell;

const NUMBER: u32 = DriverNumber::BUTTON.0;

#[derive(Default)]
struct Button {
    pressed: Cell<bool>,
    interrupts: Cell<bool>,
}

/// `count` fake buttons, released, interrupts off.
pub struct Buttons {
    buttons: Vec<Button>,
}

impl Buttons {
    /// `count` buttons.
    pub fn new(count: usize) -> Buttons {
        Buttons {
            buttons: (0..count).map(|_| Button::default()).collect(),
        }
    }

    /// Presses (`true`) or releases button `index`; schedules the upcall
    /// `(index, pressed)` if its interrupts are on and the state changed.
    pub fn set_pressed(&self, index: usize, pressed: bool) {
        let button = &self.buttons[index];
        if button.pressed.replace(pressed) != pressed && button.interrupts.get() {
            schedule_upcall(NUMBER, 0, (index as u32, u32::from(pressed), 0));
        }
    }

    /// Whether interrupts are on for button `index`.
    pub fn interrupts_enabled(&self, index: usize) -> bool {
        self.buttons[index].interrupts.get()
    }
}

impl Driver for Buttons {
    fn number(&self) -> u32 {
        NUMBER
    }
    fn slots(&self) -> Slots {
        Slots {
            upcalls: 1,
            allow_ro: 0,
            allow_rw: 0,
            allow_userspace_readable: 0,
        }
    }
    fn command(&self, command: u32, index: u32, _: u32) -> CommandReturn {
        if command == 0 {
            return CommandReturn::success_u32(self.buttons.len() as u32);
        }
        let Some(button) = self.buttons.get(index as usize) else {
            return CommandReturn::failure(ErrorCode::Inval);
        };
        match command {
            1 => button.interrupts.set(true),
            2 => button.interrupts.set(false),
            3 => return CommandReturn::success_u32(u32::from(button.pressed.get())),
            _ => return CommandReturn::failure(ErrorCode::NoSupport),
        }
        CommandReturn::success()
    }
}
