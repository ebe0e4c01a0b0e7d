//! Fake USB HID endpoints: the keyboard (0x90005) and CTAP (0x40004), both
//! moving 64-byte reports through read-write buffers 0 (receive) and 1
//! (send), with upcall 0 `(direction, 0, 0)`: 0 received, 1 transmitted.

use crate::{schedule_upcall, with_rw_buffer, Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

/// A report as the host sees it.
pub type Report = [u8; 64];

const RECEIVED: u32 = 0;
const TRANSMITTED: u32 = 1;

/// The transfer machinery both fakes share.
struct Endpoint {
    number: u32,
    sent: RefCell<Vec<Report>>,
    incoming: RefCell<VecDeque<Report>>,
    receiving: Cell<bool>,
}

impl Endpoint {
    fn new(number: u32) -> Self {
        Endpoint {
            number,
            sent: RefCell::default(),
            incoming: RefCell::default(),
            receiving: Cell::new(false),
        }
    }

    fn send(&self) -> CommandReturn {
        let report = with_rw_buffer(self.number, 1, |buffer| {
            let mut report = [0u8; 64];
            let length = buffer.len().min(64);
            report[..length].copy_from_slice(&buffer[..length]);
            (length > 0).then_some(report)
        });
        let Some(report) = report else {
            return CommandReturn::failure(ErrorCode::Reserve);
        };
        self.sent.borrow_mut().push(report);
        schedule_upcall(self.number, 0, (TRANSMITTED, 0, 0));
        CommandReturn::success()
    }

    fn start_receive(&self) -> CommandReturn {
        if self.receiving.replace(true) {
            return CommandReturn::failure(ErrorCode::Busy);
        }
        self.try_deliver();
        CommandReturn::success()
    }

    fn cancel_receive(&self) -> CommandReturn {
        if !self.receiving.replace(false) {
            return CommandReturn::failure(ErrorCode::Already);
        }
        CommandReturn::success()
    }

    fn try_deliver(&self) {
        if !self.receiving.get() {
            return;
        }
        let Some(report) = self.incoming.borrow_mut().pop_front() else {
            return;
        };
        self.receiving.set(false);
        with_rw_buffer(self.number, 0, |buffer| {
            let length = buffer.len().min(64);
            buffer[..length].copy_from_slice(&report[..length]);
        });
        schedule_upcall(self.number, 0, (RECEIVED, 0, 0));
    }

    fn push_incoming(&self, report: Report) {
        self.incoming.borrow_mut().push_back(report);
        self.try_deliver();
    }
}

const USB_SLOTS: Slots = Slots {
    upcalls: 1,
    allow_ro: 0,
    allow_rw: 2,
    allow_userspace_readable: 0,
};

/// Fake USB keyboard HID: command 0 exists, 1 send, 2 receive, 3 cancel
/// send, 4 cancel receive, 5 receive then send.
pub struct UsbKeyboardHid(Endpoint);

impl UsbKeyboardHid {
    /// An idle keyboard endpoint.
    pub fn new() -> Self {
        UsbKeyboardHid(Endpoint::new(DriverNumber::USB_KEYBOARD_HID.0))
    }

    /// Every report the app sent; clears the record.
    pub fn take_sent(&self) -> Vec<Report> {
        std::mem::take(&mut self.0.sent.borrow_mut())
    }

    /// A report from the host (e.g. LED state) for the app to receive.
    pub fn push_incoming(&self, report: Report) {
        self.0.push_incoming(report);
    }
}

impl Default for UsbKeyboardHid {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver for UsbKeyboardHid {
    fn number(&self) -> u32 {
        self.0.number
    }
    fn slots(&self) -> Slots {
        USB_SLOTS
    }
    fn command(&self, command: u32, _: u32, _: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => self.0.send(),
            2 => self.0.start_receive(),
            3 => CommandReturn::success(),
            4 => self.0.cancel_receive(),
            5 => match self.0.start_receive() {
                result if result.is_success() => self.0.send(),
                failure => failure,
            },
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}

/// Fake CTAP HID transport, with the USB HID driver's commands: 0 exists,
/// 1 send, 2 receive, 3 cancel send, 4 cancel receive, 5 receive then send.
pub struct Ctap(Endpoint);

impl Ctap {
    /// An idle CTAP endpoint.
    pub fn new() -> Self {
        Ctap(Endpoint::new(DriverNumber::CTAP.0))
    }

    /// Every packet the app sent; clears the record.
    pub fn take_sent(&self) -> Vec<Report> {
        std::mem::take(&mut self.0.sent.borrow_mut())
    }

    /// A packet from the host for the app to receive.
    pub fn push_incoming(&self, report: Report) {
        self.0.push_incoming(report);
    }
}

impl Default for Ctap {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver for Ctap {
    fn number(&self) -> u32 {
        self.0.number
    }
    fn slots(&self) -> Slots {
        USB_SLOTS
    }
    fn command(&self, command: u32, _: u32, _: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => self.0.send(),
            2 => self.0.start_receive(),
            3 => CommandReturn::success(),
            4 => self.0.cancel_receive(),
            5 => match self.0.start_receive() {
                result if result.is_success() => self.0.send(),
                failure => failure,
            },
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
