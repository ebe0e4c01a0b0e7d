//! CTAP HID transport (driver 0x40004): 64-byte packets to and from a FIDO
//! host, with the command numbers of upstream's current `usb_hid_driver`
//! (which its CTAP driver shares, as libtock-c's `ctap.c` and this kernel's
//! capsule do): 0 exists, 1 send, 2 receive, 3 and 4 cancel, 5 receive
//! then send. (Upstream's first CTAP driver sent with command 0.)
//!
//! Guarantees: every failure is an error value; packets are lent only for
//! the call.
//! Must never: panic.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::marker::PhantomData;
use libtock_platform::share::{scope, Handle};
use libtock_platform::{wait_for_upcall, AllowRw, DriverNumber, ErrorCode, Subscribe, Syscalls};

/// The driver number.
pub const DRIVER_NUM: u32 = DriverNumber::CTAP.0;

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
pub struct Ctap<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Ctap<S> {
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

impl<S: Syscalls> Ctap<S> {
    /// `Ok` if the kernel has the driver.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type Ctap = super::Ctap<Fake>;

    #[test]
    fn packets_go_out_and_come_in() {
        let kernel = Kernel::new();
        let ctap = Rc::new(drivers::Ctap::new());
        kernel.add_driver(&ctap);
        let mut packet = [0xabu8; 64];
        assert_eq!(Ctap::exists(), Ok(()));
        assert_eq!(Ctap::send(&mut packet), Ok(()));
        assert_eq!(ctap.take_sent(), [[0xab; 64]]);
        let queued = ctap.clone();
        kernel.when_idle(move || queued.push_incoming([0x86; 64]));
        assert_eq!(Ctap::receive(&mut packet), Ok(()));
        assert_eq!(packet, [0x86; 64]);
        assert!(!kernel.is_allowed_rw(DRIVER_NUM, buffer::RECEIVE));
    }

    #[test]
    fn errors_are_returned() {
        let kernel = Kernel::new();
        assert_eq!(Ctap::exists(), Err(ErrorCode::NoDevice));
        assert_eq!(Ctap::send(&mut [0u8; 64]), Err(ErrorCode::NoDevice));
        kernel.add_driver(&Rc::new(drivers::Ctap::new()));
        let calls = [
            SyscallMatch::AllowRw {
                driver: DRIVER_NUM,
                buffer: buffer::RECEIVE,
            },
            SyscallMatch::Subscribe {
                driver: DRIVER_NUM,
                subscribe: SUBSCRIBE_NUM,
            },
            SyscallMatch::Command {
                driver: DRIVER_NUM,
                command: command::RECEIVE,
            },
        ];
        for call in calls {
            kernel.inject_failure(call, ErrorCode::Busy);
            assert_eq!(Ctap::receive(&mut [0u8; 64]), Err(ErrorCode::Busy));
        }
    }
}
