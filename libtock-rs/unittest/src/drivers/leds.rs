//! Fake LEDs (driver 0x2).

use crate::{Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::Cell;

/// `count` fake LEDs, all off.
pub struct Leds {
    states: Vec<Cell<bool>>,
}

impl Leds {
    /// `count` LEDs, all off.
    pub fn new(count: usize) -> Leds {
        Leds {
            states: (0..count).map(|_| Cell::new(false)).collect(),
        }
    }

    /// Whether LED `index` is on (None if there is no such LED).
    pub fn is_on(&self, index: usize) -> Option<bool> {
        self.states.get(index).map(Cell::get)
    }
}

impl Driver for Leds {
    fn number(&self) -> u32 {
        DriverNumber::LED.0
    }
    fn slots(&self) -> Slots {
        Slots::default()
    }
    fn command(&self, command: u32, index: u32, _: u32) -> CommandReturn {
        if command == 0 {
            return CommandReturn::success_u32(self.states.len() as u32);
        }
        let Some(led) = self.states.get(index as usize) else {
            return CommandReturn::failure(ErrorCode::Inval);
        };
        match command {
            1 => led.set(true),
            2 => led.set(false),
            3 => led.set(!led.get()),
            _ => return CommandReturn::failure(ErrorCode::NoSupport),
        }
        CommandReturn::success()
    }
}
