//! The system-call side of a HID interface, upstream's `usb_hid_driver`
//! interface, shared by the CTAP (0x40004) and USB keyboard HID (0x90005)
//! drivers:
//!
//! - read-write buffer 0: where a received report is written; 1: the
//!   report to send (64 bytes each)
//! - command 0: exists; 1 send buffer 1; 2 receive into buffer 0;
//!   3 cancel a send not yet on its way; 4 cancel the receive; 5 start a
//!   receive, then send (ALREADY if a receive is outstanding)
//! - subscribe 0: `(0, 0, 0)` a report was received, `(1, 0, 0)` one was
//!   sent
//!
//! As upstream, one process owns the interface: the first to use it.
//! Others get BUSY until the owner is gone (then the next caller takes
//! over, and whatever the old owner left outstanding is cancelled).

use core::cell::Cell;

use kernel::grant::Grant;
use kernel::hil::hid::{HidClient, HidEndpoint, REPORT_BYTES};
use kernel::{CommandReturn, ErrorCode, ProcessId};

/// Read-write allow numbers.
const RECEIVE: usize = 0;
const SEND: usize = 1;
/// Upcall directions.
const RECEIVED: u32 = 0;
const SENT: u32 = 1;

/// Per-process state (none beyond the grant's slots).
#[derive(Default)]
pub struct HidApp;

/// The grant: one upcall, two read-write buffers.
pub type HidGrant = Grant<HidApp, 1, 0, 2>;

/// The driver.
pub struct HidDriver<'a> {
    endpoint: &'a dyn HidEndpoint<'a>,
    grant: HidGrant,
    owner: Cell<Option<ProcessId>>,
    send_buffer: Cell<Option<&'static mut [u8]>>,
    receive_buffer: Cell<Option<&'static mut [u8]>>,
}

impl<'a> HidDriver<'a> {
    /// A driver on `endpoint` (make it the endpoint's client).
    pub fn new(
        endpoint: &'a dyn HidEndpoint<'a>,
        grant: HidGrant,
        send_buffer: &'static mut [u8; REPORT_BYTES],
        receive_buffer: &'static mut [u8; REPORT_BYTES],
    ) -> Self {
        HidDriver {
            endpoint,
            grant,
            owner: Cell::new(None),
            send_buffer: Cell::new(Some(send_buffer)),
            receive_buffer: Cell::new(Some(receive_buffer)),
        }
    }

    /// May `process` use the interface? Takes it over from a dead owner.
    fn claim(&self, process: ProcessId) -> Result<(), ErrorCode> {
        match self.owner.get() {
            Some(owner) if owner == process => return Ok(()),
            Some(owner) if self.grant.enter(owner, |_, _| ()).is_ok() => {
                return Err(ErrorCode::Busy)
            }
            Some(_) => {
                if let Ok(buffer) = self.endpoint.cancel_receive() {
                    self.receive_buffer.set(Some(buffer));
                }
                if let Ok(buffer) = self.endpoint.cancel_send() {
                    self.send_buffer.set(Some(buffer));
                }
            }
            None => {}
        }
        self.owner.set(Some(process));
        Ok(())
    }

    fn send(&self, process: ProcessId) -> Result<(), ErrorCode> {
        let buffer = self.send_buffer.take().ok_or(ErrorCode::Busy)?;
        let copied = self.grant.enter(process, |_, kernel_data| {
            kernel_data
                .read_write_buffer(SEND)
                .map(|report| report.copy_to(0, &mut buffer[..REPORT_BYTES]))
        });
        match copied {
            Ok(Ok(length)) if length == REPORT_BYTES => {}
            Ok(Ok(_)) => {
                self.send_buffer.set(Some(buffer));
                return Err(ErrorCode::Size);
            }
            Ok(Err(error)) => {
                self.send_buffer.set(Some(buffer));
                return Err(error);
            }
            Err(error) => {
                self.send_buffer.set(Some(buffer));
                return Err(error.into());
            }
        }
        self.endpoint
            .send_report(buffer)
            .map_err(|(error, buffer)| {
                self.send_buffer.set(Some(buffer));
                error
            })
    }

    fn receive(&self, already: ErrorCode) -> Result<(), ErrorCode> {
        let buffer = self.receive_buffer.take().ok_or(already)?;
        self.endpoint
            .receive_report(buffer)
            .map_err(|(error, buffer)| {
                self.receive_buffer.set(Some(buffer));
                error
            })
    }

    fn upcall(&self, direction: u32, report: Option<&[u8]>) {
        let Some(owner) = self.owner.get() else {
            return;
        };
        let _ = self.grant.enter(owner, |_, kernel_data| {
            if let (Some(report), Ok(destination)) =
                (report, kernel_data.read_write_buffer(RECEIVE))
            {
                destination.copy_from(0, report);
            }
            let _ = kernel_data.schedule_upcall(0, (direction, 0, 0));
        });
    }
}

impl kernel::driver::SyscallDriver for HidDriver<'_> {
    fn command(&self, command: u32, _: u32, _: u32, process: ProcessId) -> CommandReturn {
        if command == 0 {
            return CommandReturn::success();
        }
        if command > 5 {
            return CommandReturn::failure(ErrorCode::NoSupport);
        }
        if let Err(error) = self.claim(process) {
            return CommandReturn::failure(error);
        }
        let result = match command {
            1 => self.send(process),
            2 => self.receive(ErrorCode::Busy),
            3 => self
                .endpoint
                .cancel_send()
                .map(|buffer| self.send_buffer.set(Some(buffer))),
            4 => self
                .endpoint
                .cancel_receive()
                .map(|buffer| self.receive_buffer.set(Some(buffer))),
            _ => self
                .receive(ErrorCode::Already)
                .and_then(|()| self.send(process)),
        };
        match result {
            Ok(()) => CommandReturn::success(),
            Err(error) => CommandReturn::failure(error),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl HidClient for HidDriver<'_> {
    fn report_received(&self, report: &'static mut [u8], result: Result<(), ErrorCode>) {
        if result.is_ok() {
            self.upcall(RECEIVED, Some(&report[..REPORT_BYTES]));
        }
        self.receive_buffer.set(Some(report));
    }

    fn report_sent(&self, report: &'static mut [u8], result: Result<(), ErrorCode>) {
        self.send_buffer.set(Some(report));
        if result.is_ok() {
            self.upcall(SENT, None);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::hid_link::{HidLink, LinkEndpoint, FRAME_BYTES, INTERFACE_FIDO, INTERFACE_KEYBOARD};
    use core::cell::RefCell;
    use kernel::deferred_call::DeferredCalls;
    use kernel::driver::SyscallDriver;
    use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
    use kernel::testing::{TestCapability, TestKernel};
    use std::boxed::Box;
    use std::vec::Vec;

    const CTAP: u32 = kernel_abi::DriverNumber::CTAP.0;
    const KEYBOARD: u32 = kernel_abi::DriverNumber::USB_KEYBOARD_HID.0;

    /// The host end of the link.
    #[derive(Default)]
    struct FakeSerial {
        wire: RefCell<Vec<Vec<u8>>>,
        sending: Cell<Option<(&'static mut [u8], usize)>>,
        receiving: Cell<Option<&'static mut [u8]>>,
        transmit_client: Cell<Option<&'static dyn TransmitClient>>,
        receive_client: Cell<Option<&'static dyn ReceiveClient>>,
    }

    impl FakeSerial {
        fn finish_send(&self) -> bool {
            let Some((buffer, length)) = self.sending.take() else {
                return false;
            };
            self.wire.borrow_mut().push(buffer[..length].to_vec());
            self.transmit_client
                .get()
                .unwrap()
                .transmitted_buffer(buffer, length, Ok(()));
            true
        }
        fn host_sends(&self, interface: u8, byte: u8) {
            let buffer = self.receiving.take().expect("the link always receives");
            buffer[0] = interface;
            buffer[1..FRAME_BYTES].fill(byte);
            self.receive_client
                .get()
                .unwrap()
                .received_buffer(buffer, FRAME_BYTES, Ok(()));
        }
    }

    impl Transmit<'static> for FakeSerial {
        fn set_transmit_client(&self, client: &'static dyn TransmitClient) {
            self.transmit_client.set(Some(client));
        }
        fn transmit_buffer(
            &self,
            buffer: &'static mut [u8],
            length: usize,
        ) -> Result<(), (ErrorCode, &'static mut [u8])> {
            self.sending.set(Some((buffer, length)));
            Ok(())
        }
        fn transmit_abort(&self) -> Result<(), ErrorCode> {
            Err(ErrorCode::NoSupport)
        }
    }

    impl Receive<'static> for FakeSerial {
        fn set_receive_client(&self, client: &'static dyn ReceiveClient) {
            self.receive_client.set(Some(client));
        }
        fn receive_buffer(
            &self,
            buffer: &'static mut [u8],
            _length: usize,
        ) -> Result<(), (ErrorCode, &'static mut [u8])> {
            self.receiving.set(Some(buffer));
            Ok(())
        }
        fn receive_abort(&self) -> Result<(), ErrorCode> {
            Ok(())
        }
    }

    struct Rig {
        test: TestKernel,
        serial: &'static FakeSerial,
        calls: &'static DeferredCalls,
        ctap: &'static HidDriver<'static>,
        keyboard: &'static HidDriver<'static>,
    }

    fn leak<T>(value: T) -> &'static T {
        Box::leak(Box::new(value))
    }

    fn rig() -> Rig {
        let test = TestKernel::new(2, 4096);
        let serial: &'static FakeSerial = leak(FakeSerial::default());
        let calls: &'static DeferredCalls = leak(DeferredCalls::new());
        let link: &'static HidLink<'static> = leak(HidLink::new(
            serial,
            serial,
            Box::leak(Box::new([0; FRAME_BYTES])),
            Box::leak(Box::new([0; FRAME_BYTES])),
        ));
        serial.set_transmit_client(link);
        serial.set_receive_client(link);
        let mut drivers = Vec::new();
        let mut endpoints: Vec<&'static LinkEndpoint<'static>> = Vec::new();
        for (interface, number) in [(INTERFACE_FIDO, CTAP), (INTERFACE_KEYBOARD, KEYBOARD)] {
            let call = calls.allocate();
            let endpoint: &'static LinkEndpoint<'static> =
                leak(LinkEndpoint::new(link, interface, call));
            call.register(endpoint);
            let driver: &'static HidDriver<'static> = leak(HidDriver::new(
                endpoint,
                test.kernel.create_grant(number, &TestCapability),
                Box::leak(Box::new([0; REPORT_BYTES])),
                Box::leak(Box::new([0; REPORT_BYTES])),
            ));
            endpoint.set_client(driver);
            endpoints.push(endpoint);
            drivers.push(driver);
        }
        link.set_endpoints(Box::leak(endpoints.into_boxed_slice()));
        link.start().unwrap();
        Rig {
            test,
            serial,
            calls,
            ctap: drivers[0],
            keyboard: drivers[1],
        }
    }

    #[test]
    fn a_sent_report_goes_out_as_one_frame_of_its_interface() {
        let rig = rig();
        let (report, _) = rig.test.allow_read_write(0, KEYBOARD, rig.keyboard, 1, 64);
        rig.test.write(report, &[0xA5; 64]);
        rig.test.subscribe(0, KEYBOARD, rig.keyboard, 0);
        let process = rig.test.process_id(0);
        assert_eq!(
            rig.keyboard.command(1, 0, 0, process),
            CommandReturn::success()
        );
        assert!(
            rig.test.take_upcalls(0).is_empty(),
            "not from inside the call"
        );
        assert!(rig.serial.finish_send());
        let wire = rig.serial.wire.borrow();
        assert_eq!(wire[0][0], INTERFACE_KEYBOARD);
        assert_eq!(wire[0][1..], [0xA5; 64]);
        assert_eq!(rig.test.take_upcalls(0)[0].arguments, [SENT, 0, 0]);
    }

    #[test]
    fn host_reports_reach_the_waiting_or_later_receiver() {
        let rig = rig();
        let process = rig.test.process_id(0);
        let (inbox, _) = rig.test.allow_read_write(0, CTAP, rig.ctap, 0, 64);
        rig.test.subscribe(0, CTAP, rig.ctap, 0);
        assert_eq!(rig.ctap.command(2, 0, 0, process), CommandReturn::success());
        rig.serial.host_sends(INTERFACE_FIDO, 0x11);
        assert_eq!(rig.test.take_upcalls(0)[0].arguments, [RECEIVED, 0, 0]);
        assert_eq!(rig.test.read(inbox, 64), [0x11; 64]);
        // Arrives before anyone asks: held (the link stops reading until
        // it is taken), then delivered from a deferred call. A frame of
        // another interface does not mix in.
        rig.serial.host_sends(INTERFACE_FIDO, 0x22);
        assert!(rig.serial.receiving.take().is_none(), "paused while held");
        assert_eq!(rig.ctap.command(2, 0, 0, process), CommandReturn::success());
        assert!(rig.test.take_upcalls(0).is_empty());
        rig.serial.host_sends(0x7f, 0x33);
        while rig.calls.service_next() {}
        assert_eq!(rig.test.take_upcalls(0)[0].arguments, [RECEIVED, 0, 0]);
        assert_eq!(rig.test.read(inbox, 64), [0x22; 64]);
    }

    #[test]
    fn one_process_owns_an_interface_until_it_is_gone() {
        let rig = rig();
        let first = rig.test.process_id(0);
        let second = rig.test.process_id(1);
        assert_eq!(rig.ctap.command(2, 0, 0, first), CommandReturn::success());
        assert_eq!(
            rig.ctap.command(2, 0, 0, second),
            CommandReturn::failure(ErrorCode::Busy)
        );
        assert_eq!(
            rig.ctap.command(5, 0, 0, first),
            CommandReturn::failure(ErrorCode::Already),
            "a receive is already outstanding"
        );
        assert_eq!(rig.ctap.command(4, 0, 0, first), CommandReturn::success());
        rig.test.restart(0);
        assert_eq!(
            rig.ctap.command(2, 0, 0, second),
            CommandReturn::success(),
            "the old owner's incarnation is gone"
        );
        assert_eq!(
            rig.ctap.command(9, 0, 0, second),
            CommandReturn::failure(ErrorCode::NoSupport)
        );
    }
}
