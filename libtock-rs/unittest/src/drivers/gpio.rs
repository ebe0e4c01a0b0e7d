//! Fake GPIO (driver 0x4): pins with a mode, a level and an interrupt edge.

use crate::{schedule_upcall, Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::Cell;

const NUMBER: u32 = DriverNumber::GPIO.0;

/// How a fake pin is configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinMode {
    /// Not configured (or disabled).
    Disabled,
    /// Driven by the app.
    Output,
    /// Read by the app, with pull mode 0 (none), 1 (up) or 2 (down).
    Input(u32),
}

struct Pin {
    mode: Cell<PinMode>,
    level: Cell<bool>,
    /// Interrupt edge: 0 either, 1 rising, 2 falling.
    interrupt: Cell<Option<u32>>,
}

/// `count` fake pins, disabled and low.
pub struct Gpio {
    pins: Vec<Pin>,
}

impl Gpio {
    /// `count` pins.
    pub fn new(count: usize) -> Gpio {
        let pin = || Pin {
            mode: Cell::new(PinMode::Disabled),
            level: Cell::new(false),
            interrupt: Cell::new(None),
        };
        Gpio {
            pins: (0..count).map(|_| pin()).collect(),
        }
    }

    /// Pin `index`'s mode.
    pub fn mode(&self, index: usize) -> PinMode {
        self.pins[index].mode.get()
    }

    /// Pin `index`'s level.
    pub fn level(&self, index: usize) -> bool {
        self.pins[index].level.get()
    }

    /// Drives input pin `index` from outside; schedules `(index, level)` if
    /// its interrupt edge matches.
    pub fn set_input_level(&self, index: usize, level: bool) {
        let pin = &self.pins[index];
        let rising = !pin.level.replace(level) && level;
        let falling = !level && !rising;
        let fire = match pin.interrupt.get() {
            Some(0) => true,
            Some(1) => rising,
            Some(2) => falling,
            _ => false,
        };
        if fire {
            schedule_upcall(NUMBER, 0, (index as u32, u32::from(level), 0));
        }
    }

    fn pin_command(&self, pin: &Pin, command: u32, argument1: u32) -> CommandReturn {
        match command {
            1 => pin.mode.set(PinMode::Output),
            2 => pin.level.set(true),
            3 => pin.level.set(false),
            4 => pin.level.set(!pin.level.get()),
            5 if argument1 <= 2 => pin.mode.set(PinMode::Input(argument1)),
            6 => return CommandReturn::success_u32(u32::from(pin.level.get())),
            7 if argument1 <= 2 => pin.interrupt.set(Some(argument1)),
            8 => pin.interrupt.set(None),
            9 => {
                pin.mode.set(PinMode::Disabled);
                pin.interrupt.set(None);
            }
            5 | 7 => return CommandReturn::failure(ErrorCode::NoSupport),
            _ => return CommandReturn::failure(ErrorCode::NoSupport),
        }
        CommandReturn::success()
    }
}

impl Driver for Gpio {
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
    fn command(&self, command: u32, index: u32, argument1: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            10 => CommandReturn::success_u32(self.pins.len() as u32),
            1..=9 => match self.pins.get(index as usize) {
                Some(pin) => self.pin_command(pin, command, argument1),
                None => CommandReturn::failure(ErrorCode::Inval),
            },
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
