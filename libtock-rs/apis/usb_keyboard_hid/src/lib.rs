//! USB keyboard HID (driver 0x90005): send key reports to the USB host, as
//! upstream's USB HID driver offers it.
//!
//! Guarantees: every failure is an error value; reports are lent only for
//! the call.
//! Must never: panic.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::marker::PhantomData;
use libtock_platform::share::{scope, Handle};
use libtock_platform::{wait_for_upcall, AllowRw, DriverNumber, ErrorCode, Subscribe, Syscalls};

/// The driver number.
pub const DRIVER_NUM: u32 = DriverNumber::USB_KEYBOARD_HID.0;

/// Buffer numbers (both read-write, 64 bytes).
pub mod buffer {
    /// Where a received report is written.
    pub const RECEIVE: u32 = 0;
    /// The report to send.
    pub const SEND: u32 = 1;
}

/// Subscribe number of the upcall `(direction, 0, 0)`.
pub const SUBSCRIBE_NUM: u32 = 0;
/// Upcall direction: a report arrived.
pub const RECEIVED: u32 = 0;
/// Upcall direction: the report went out.
pub const TRANSMITTED: u32 = 1;

/// One HID report.
pub type Report = [u8; 64];

/// The endpoint, over the system calls `S`.
pub struct UsbKeyboardHid<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> UsbKeyboardHid<S> {
    /// Lends `report` as buffer `BUFFER`, runs `command` and waits for the
    /// upcall with `direction`.
    fn transfer<const BUFFER: u32>(
        report: &mut Report,
        command: u32,
        direction: u32,
    ) -> Result<(), ErrorCode> {
        let event: Cell<Option<(u32,)>> = Cell::new(None);
        type Shares<'share, S, const BUFFER: u32> = (
            AllowRw<'share, S, DRIVER_NUM, BUFFER>,
            Subscribe<'share, S, DRIVER_NUM, SUBSCRIBE_NUM>,
        );
        scope::<Shares<S, BUFFER>, _, _>(|handle| {
            let (allow, subscribe): (Handle<_>, Handle<_>) = handle.split();
            S::allow_rw(allow, report)?;
            S::subscribe(subscribe, &event)?;
            S::command(DRIVER_NUM, command, 0, 0).to_result::<()>()?;
            while wait_for_upcall::<S, _>(&event).0 != direction {}
            Ok(())
        })
    }

    /// Sends `report` and waits until it is transmitted.
    pub fn send(report: &mut Report) -> Result<(), ErrorCode> {
        Self::transfer::<{ buffer::SEND }>(report, command::SEND, TRANSMITTED)
    }

    /// Waits for a report from the host into `report`.
    pub fn receive(report: &mut Report) -> Result<(), ErrorCode> {
        Self::transfer::<{ buffer::RECEIVE }>(report, command::RECEIVE, RECEIVED)
    }
}

/// Command numbers.
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// Send read-write buffer 1.
    pub const SEND: u32 = 1;
    /// Receive into read-write buffer 0.
    pub const RECEIVE: u32 = 2;
    /// Cancel a send.
    pub const CANCEL_SEND: u32 = 3;
    /// Cancel a receive.
    pub const CANCEL_RECEIVE: u32 = 4;
    /// Start a receive, then send.
    pub const SEND_OR_RECEIVE: u32 = 5;
}

impl<S: Syscalls> UsbKeyboardHid<S> {
    /// `Ok` if the kernel has the driver.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// Presses and releases one key: a boot-keyboard report with
    /// `modifiers` and `keycode` (USB HID usage), then an empty report.
    pub fn press_key(modifiers: u8, keycode: u8) -> Result<(), ErrorCode> {
        let mut report = [0u8; 64];
        report[0] = modifiers;
        report[2] = keycode;
        Self::send(&mut report)?;
        Self::send(&mut [0u8; 64])
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type Keyboard = UsbKeyboardHid<Fake>;

    #[test]
    fn a_key_press_is_a_report_then_a_release() {
        let kernel = Kernel::new();
        let usb = Rc::new(drivers::UsbKeyboardHid::new());
        kernel.add_driver(&usb);
        assert_eq!(Keyboard::exists(), Ok(()));
        assert_eq!(Keyboard::press_key(0x02, 0x04), Ok(()));
        let sent = usb.take_sent();
        assert_eq!(sent.len(), 2);
        assert_eq!(&sent[0][..3], &[0x02, 0, 0x04]);
        assert_eq!(sent[1], [0u8; 64]);
        let mut incoming = [0u8; 64];
        incoming[0] = 0x01;
        usb.push_incoming(incoming);
        let mut report = [0u8; 64];
        assert_eq!(Keyboard::receive(&mut report), Ok(()));
        assert_eq!(report[0], 0x01);
    }

    #[test]
    fn errors_are_returned() {
        let kernel = Kernel::new();
        assert_eq!(Keyboard::press_key(0, 4), Err(ErrorCode::NoDevice));
        kernel.add_driver(&Rc::new(drivers::UsbKeyboardHid::new()));
        let calls = [
            SyscallMatch::AllowRw {
                driver: DRIVER_NUM,
                buffer: buffer::SEND,
            },
            SyscallMatch::Subscribe {
                driver: DRIVER_NUM,
                subscribe: SUBSCRIBE_NUM,
            },
            SyscallMatch::Command {
                driver: DRIVER_NUM,
                command: command::SEND,
            },
        ];
        for call in calls {
            kernel.inject_failure(call, ErrorCode::Busy);
            assert_eq!(Keyboard::send(&mut [0u8; 64]), Err(ErrorCode::Busy));
        }
        let receive = SyscallMatch::AllowRw {
            driver: DRIVER_NUM,
            buffer: buffer::RECEIVE,
        };
        kernel.inject_failure(receive, ErrorCode::Inval);
        assert_eq!(Keyboard::receive(&mut [0u8; 64]), Err(ErrorCode::Inval));
    }
}
