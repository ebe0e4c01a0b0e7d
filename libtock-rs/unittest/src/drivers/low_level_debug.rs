//! Fake low-level debug (driver 0x8): records what the app printed.

use crate::{Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::RefCell;

/// One message, as the kernel would print it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LowLevelDebugMessage {
    /// An alert code (1 = panic, 2 = wrong location).
    Alert(u32),
    /// One number.
    Print1(u32),
    /// Two numbers.
    Print2(u32, u32),
}

/// Records every message.
#[derive(Default)]
pub struct LowLevelDebug {
    messages: RefCell<Vec<LowLevelDebugMessage>>,
}

impl LowLevelDebug {
    /// A recorder with nothing printed.
    pub fn new() -> LowLevelDebug {
        LowLevelDebug::default()
    }

    /// Every message so far, oldest first; clears the record.
    pub fn take_messages(&self) -> Vec<LowLevelDebugMessage> {
        std::mem::take(&mut self.messages.borrow_mut())
    }
}

impl Driver for LowLevelDebug {
    fn number(&self) -> u32 {
        DriverNumber::LOW_LEVEL_DEBUG.0
    }
    fn slots(&self) -> Slots {
        Slots::default()
    }
    fn command(&self, command: u32, argument0: u32, argument1: u32) -> CommandReturn {
        let message = match command {
            0 => return CommandReturn::success(),
            1 => LowLevelDebugMessage::Alert(argument0),
            2 => LowLevelDebugMessage::Print1(argument0),
            3 => LowLevelDebugMessage::Print2(argument0, argument1),
            _ => return CommandReturn::failure(ErrorCode::NoSupport),
        };
        self.messages.borrow_mut().push(message);
        CommandReturn::success()
    }
}
