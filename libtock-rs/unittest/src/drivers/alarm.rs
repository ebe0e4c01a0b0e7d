//! Fake alarm (driver 0x0): a tick counter that jumps to the armed
//! expiration when the app blocks.

use crate::{schedule_upcall, Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::Cell;

const NUMBER: u32 = DriverNumber::ALARM.0;

/// A fake alarm running at `frequency` Hz.
pub struct Alarm {
    frequency: u32,
    now: Cell<u32>,
    armed: Cell<Option<u32>>,
}

impl Alarm {
    /// An alarm at `frequency` Hz, now = 0.
    pub fn new(frequency: u32) -> Alarm {
        Alarm {
            frequency,
            now: Cell::new(0),
            armed: Cell::new(None),
        }
    }

    /// The current tick count.
    pub fn now(&self) -> u32 {
        self.now.get()
    }

    /// Sets the tick count (e.g. to test wrap-around).
    pub fn set_now(&self, ticks: u32) {
        self.now.set(ticks);
    }

    /// The armed expiration, if any.
    pub fn armed(&self) -> Option<u32> {
        self.armed.get()
    }

    fn arm(&self, expiration: u32) -> CommandReturn {
        self.armed.set(Some(expiration));
        CommandReturn::success_u32(expiration)
    }
}

impl Driver for Alarm {
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
    fn command(&self, command: u32, argument0: u32, argument1: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => CommandReturn::success_u32(self.frequency),
            2 => CommandReturn::success_u32(self.now.get()),
            3 => match self.armed.take() {
                Some(_) => CommandReturn::success(),
                None => CommandReturn::failure(ErrorCode::Already),
            },
            5 => self.arm(self.now.get().wrapping_add(argument0)),
            6 => self.arm(argument0.wrapping_add(argument1)),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
    fn on_idle(&self) -> bool {
        let Some(expiration) = self.armed.take() else {
            return false;
        };
        self.now.set(expiration);
        schedule_upcall(NUMBER, 0, (expiration, expiration, 0));
        true
    }
}
