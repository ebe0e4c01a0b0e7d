//! HID reports over a serial link (the emulated boards' stand-in for
//! USB): 65-byte frames, byte 0 the interface, bytes 1..65 one report,
//! in both directions (the contract in docs/boards/qemu-rv32-virt.md).
//!
//! ```text
//!  host  <== [0x01 | 64-byte CTAPHID packet] ==>  endpoint 0 (FIDO)
//!        <== [0x02 | 64-byte keyboard report] ==> endpoint 1 (keyboard)
//! ```
//!
//! The link has a frame reception outstanding unless a report is held. A
//! received report goes to its endpoint's waiting buffer, or is held until
//! the endpoint asks; while it is held the link stops reading (the next
//! frames wait in the port, as a USB endpoint would NAK), so a host that
//! sends fast loses nothing. Frames for an unknown interface are dropped.
//! Sends are serialised, one frame on the wire at a time. Completions
//! reach clients from the UART's callbacks or from a deferred call,
//! never from inside the client's own call.

use core::cell::Cell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::hid::{HidClient, HidEndpoint, REPORT_BYTES};
use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;

/// Bytes per frame: interface byte and report.
pub const FRAME_BYTES: usize = 1 + REPORT_BYTES;
/// Interface byte of the FIDO CTAPHID endpoint.
pub const INTERFACE_FIDO: u8 = 0x01;
/// Interface byte of the keyboard endpoint.
pub const INTERFACE_KEYBOARD: u8 = 0x02;

/// The link: owns the frame buffers and the serial port.
pub struct HidLink<'a> {
    transmitter: &'a dyn Transmit<'a>,
    receiver: &'a dyn Receive<'a>,
    endpoints: Cell<&'a [&'a LinkEndpoint<'a>]>,
    transmit_frame: Cell<Option<&'static mut [u8]>>,
    receive_frame: Cell<Option<&'static mut [u8]>>,
    /// The endpoint whose report is on the wire.
    sending: Cell<Option<usize>>,
    connected: Cell<bool>,
    /// Reading stopped because an endpoint holds an unread report.
    paused: Cell<bool>,
}

impl<'a> HidLink<'a> {
    /// A link over a serial port, with two [`FRAME_BYTES`] buffers (make
    /// the link the port's transmit and receive client).
    pub fn new(
        transmitter: &'a dyn Transmit<'a>,
        receiver: &'a dyn Receive<'a>,
        transmit_frame: &'static mut [u8; FRAME_BYTES],
        receive_frame: &'static mut [u8; FRAME_BYTES],
    ) -> Self {
        HidLink {
            transmitter,
            receiver,
            endpoints: Cell::new(&[]),
            transmit_frame: Cell::new(Some(transmit_frame)),
            receive_frame: Cell::new(Some(receive_frame)),
            sending: Cell::new(None),
            connected: Cell::new(false),
            paused: Cell::new(false),
        }
    }

    /// The endpoints, each with its interface byte.
    pub fn set_endpoints(&self, endpoints: &'a [&'a LinkEndpoint<'a>]) {
        self.endpoints.set(endpoints);
    }

    /// Starts receiving frames. NODEVICE: the port has no device (the
    /// endpoints then refuse everything with NODEVICE).
    pub fn start(&self) -> Result<(), ErrorCode> {
        let frame = self.receive_frame.take().ok_or(ErrorCode::Already)?;
        match self.receiver.receive_buffer(frame, FRAME_BYTES) {
            Ok(()) => {
                self.connected.set(true);
                Ok(())
            }
            Err((error, frame)) => {
                self.receive_frame.set(Some(frame));
                Err(error)
            }
        }
    }

    /// Reads again after a held report was taken.
    fn resume(&self) {
        if !self.paused.take() {
            return;
        }
        let Some(frame) = self.receive_frame.take() else {
            return;
        };
        if let Err((_, frame)) = self.receiver.receive_buffer(frame, FRAME_BYTES) {
            self.receive_frame.set(Some(frame));
            self.connected.set(false);
        }
    }

    /// Puts the next queued report on the wire, if the wire is free.
    fn send_next(&self) {
        if self.sending.get().is_some() {
            return;
        }
        let endpoints = self.endpoints.get();
        for (index, endpoint) in endpoints.iter().enumerate() {
            let Some(report) = endpoint.queued.take() else {
                continue;
            };
            let Some(frame) = self.transmit_frame.take() else {
                endpoint.queued.set(Some(report));
                return;
            };
            frame[0] = endpoint.interface;
            frame[1..FRAME_BYTES].copy_from_slice(&report[..REPORT_BYTES]);
            endpoint.on_wire.set(Some(report));
            self.sending.set(Some(index));
            if let Err((error, frame)) = self.transmitter.transmit_buffer(frame, FRAME_BYTES) {
                self.transmit_frame.set(Some(frame));
                self.sending.set(None);
                // Reported later: this may run inside the endpoint's call.
                if let Some(report) = endpoint.on_wire.take() {
                    endpoint.owed_send.set(Some((report, Err(error))));
                    endpoint.deferred_call.set();
                }
            }
            return;
        }
    }
}

impl TransmitClient for HidLink<'_> {
    fn transmitted_buffer(
        &self,
        buffer: &'static mut [u8],
        _length: usize,
        result: Result<(), ErrorCode>,
    ) {
        self.transmit_frame.set(Some(buffer));
        let endpoint = self
            .sending
            .take()
            .and_then(|index| self.endpoints.get().get(index).copied());
        self.send_next();
        if let Some(endpoint) = endpoint {
            endpoint.finish_send(result);
        }
    }
}

impl ReceiveClient for HidLink<'_> {
    fn received_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        result: Result<(), ErrorCode>,
    ) {
        let mut held = false;
        if result.is_ok() && length == FRAME_BYTES {
            let interface = buffer[0];
            let endpoint = self
                .endpoints
                .get()
                .iter()
                .find(|endpoint| endpoint.interface == interface);
            if let Some(endpoint) = endpoint {
                held = endpoint.deliver(&buffer[1..FRAME_BYTES]);
            }
        }
        if held {
            // Nobody can take another report now: leave it in the port.
            self.receive_frame.set(Some(buffer));
            self.paused.set(true);
            return;
        }
        if let Err((_, buffer)) = self.receiver.receive_buffer(buffer, FRAME_BYTES) {
            self.receive_frame.set(Some(buffer));
            self.connected.set(false);
        }
    }
}

/// A sent (or refused) report and how it went.
type SendOutcome = (&'static mut [u8], Result<(), ErrorCode>);

/// One interface on the link.
pub struct LinkEndpoint<'a> {
    link: &'a HidLink<'a>,
    interface: u8,
    client: Cell<Option<&'a dyn HidClient>>,
    /// A report received while nobody was waiting.
    held: Cell<Option<[u8; REPORT_BYTES]>>,
    waiting: Cell<Option<&'static mut [u8]>>,
    queued: Cell<Option<&'static mut [u8]>>,
    on_wire: Cell<Option<&'static mut [u8]>>,
    /// Completions owed from a deferred call.
    owed_receive: Cell<Option<&'static mut [u8]>>,
    owed_send: Cell<Option<SendOutcome>>,
    deferred_call: DeferredCall,
}

impl<'a> LinkEndpoint<'a> {
    /// The endpoint of `interface` on `link` (register it as the deferred
    /// call's client).
    pub fn new(link: &'a HidLink<'a>, interface: u8, deferred_call: DeferredCall) -> Self {
        LinkEndpoint {
            link,
            interface,
            client: Cell::new(None),
            held: Cell::new(None),
            waiting: Cell::new(None),
            queued: Cell::new(None),
            on_wire: Cell::new(None),
            owed_receive: Cell::new(None),
            owed_send: Cell::new(None),
            deferred_call,
        }
    }

    /// Hands `report` to the waiting buffer, else holds it; true if held.
    fn deliver(&self, report: &[u8]) -> bool {
        match self.waiting.take() {
            Some(buffer) => {
                buffer[..REPORT_BYTES].copy_from_slice(report);
                if let Some(client) = self.client.get() {
                    client.report_received(buffer, Ok(()));
                }
                false
            }
            None => {
                // The link pauses while a report is held, so none is lost.
                let mut held = [0u8; REPORT_BYTES];
                held.copy_from_slice(report);
                self.held.set(Some(held));
                true
            }
        }
    }

    fn finish_send(&self, result: Result<(), ErrorCode>) {
        let Some(report) = self.on_wire.take() else {
            return;
        };
        if let Some(client) = self.client.get() {
            client.report_sent(report, result);
        }
    }

    fn sending(&self) -> bool {
        let queued = self.queued.take();
        let on_wire = self.on_wire.take();
        let owed = self.owed_send.take();
        let busy = queued.is_some() || on_wire.is_some() || owed.is_some();
        self.queued.set(queued);
        self.on_wire.set(on_wire);
        self.owed_send.set(owed);
        busy
    }
}

impl DeferredCallClient for LinkEndpoint<'_> {
    fn handle_deferred_call(&self) {
        let Some(client) = self.client.get() else {
            return;
        };
        if let Some(buffer) = self.owed_receive.take() {
            client.report_received(buffer, Ok(()));
        }
        if let Some((report, result)) = self.owed_send.take() {
            client.report_sent(report, result);
        }
    }
}

impl<'a> HidEndpoint<'a> for LinkEndpoint<'a> {
    fn set_client(&self, client: &'a dyn HidClient) {
        self.client.set(Some(client));
    }

    fn send_report(&self, report: &'static mut [u8]) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if !self.link.connected.get() {
            return Err((ErrorCode::NoDevice, report));
        }
        if report.len() < REPORT_BYTES {
            return Err((ErrorCode::Size, report));
        }
        if self.sending() {
            return Err((ErrorCode::Busy, report));
        }
        self.queued.set(Some(report));
        self.link.send_next();
        Ok(())
    }

    fn receive_report(
        &self,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if !self.link.connected.get() {
            return Err((ErrorCode::NoDevice, buffer));
        }
        if buffer.len() < REPORT_BYTES {
            return Err((ErrorCode::Size, buffer));
        }
        let waiting = self.waiting.take();
        let owed = self.owed_receive.take();
        let busy = waiting.is_some() || owed.is_some();
        self.waiting.set(waiting);
        self.owed_receive.set(owed);
        if busy {
            return Err((ErrorCode::Busy, buffer));
        }
        match self.held.take() {
            Some(report) => {
                buffer[..REPORT_BYTES].copy_from_slice(&report);
                self.owed_receive.set(Some(buffer));
                self.deferred_call.set();
                self.link.resume();
            }
            None => self.waiting.set(Some(buffer)),
        }
        Ok(())
    }

    fn cancel_receive(&self) -> Result<&'static mut [u8], ErrorCode> {
        self.waiting
            .take()
            .or_else(|| self.owed_receive.take())
            .ok_or(ErrorCode::Already)
    }

    fn cancel_send(&self) -> Result<&'static mut [u8], ErrorCode> {
        if let Some(report) = self.queued.take() {
            return Ok(report);
        }
        if self.sending() {
            Err(ErrorCode::Busy)
        } else {
            Err(ErrorCode::Already)
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use core::cell::RefCell;
    use kernel::deferred_call::DeferredCalls;
    use std::boxed::Box;
    use std::vec::Vec;

    /// The host end: frames the host has sent wait here until the link
    /// posts a reception, as bytes wait in the virtio queue.
    #[derive(Default)]
    struct FakePort {
        backlog: RefCell<Vec<[u8; FRAME_BYTES]>>,
        receiving: Cell<Option<&'static mut [u8]>>,
        client: Cell<Option<&'static dyn ReceiveClient>>,
    }

    impl FakePort {
        /// Delivers the oldest waiting frame if the link is reading.
        fn pump(&self) -> bool {
            if self.backlog.borrow().is_empty() {
                return false;
            }
            let Some(buffer) = self.receiving.take() else {
                return false;
            };
            let frame = self.backlog.borrow_mut().remove(0);
            buffer[..FRAME_BYTES].copy_from_slice(&frame);
            let client = self.client.get().unwrap();
            client.received_buffer(buffer, FRAME_BYTES, Ok(()));
            true
        }
    }

    impl<'a> Transmit<'a> for FakePort {
        fn set_transmit_client(&self, _: &'a dyn TransmitClient) {}
        fn transmit_buffer(
            &self,
            buffer: &'static mut [u8],
            _: usize,
        ) -> Result<(), (ErrorCode, &'static mut [u8])> {
            Err((ErrorCode::NoSupport, buffer))
        }
        fn transmit_abort(&self) -> Result<(), ErrorCode> {
            Err(ErrorCode::NoSupport)
        }
    }

    impl Receive<'static> for FakePort {
        fn set_receive_client(&self, client: &'static dyn ReceiveClient) {
            self.client.set(Some(client));
        }
        fn receive_buffer(
            &self,
            buffer: &'static mut [u8],
            _: usize,
        ) -> Result<(), (ErrorCode, &'static mut [u8])> {
            self.receiving.set(Some(buffer));
            Ok(())
        }
        fn receive_abort(&self) -> Result<(), ErrorCode> {
            Ok(())
        }
    }

    /// Records the first byte of every report received.
    #[derive(Default)]
    struct Recorder {
        received: RefCell<Vec<u8>>,
        buffer: Cell<Option<&'static mut [u8]>>,
    }

    impl HidClient for Recorder {
        fn report_received(&self, report: &'static mut [u8], result: Result<(), ErrorCode>) {
            assert_eq!(result, Ok(()));
            self.received.borrow_mut().push(report[0]);
            self.buffer.set(Some(report));
        }
        fn report_sent(&self, _: &'static mut [u8], _: Result<(), ErrorCode>) {}
    }

    fn leak<T>(value: T) -> &'static T {
        Box::leak(Box::new(value))
    }

    #[test]
    fn a_host_sending_faster_than_the_app_reads_loses_no_report() {
        let port: &'static FakePort = leak(FakePort::default());
        let calls: &'static DeferredCalls = leak(DeferredCalls::new());
        let link: &'static HidLink<'static> = leak(HidLink::new(
            port,
            port,
            Box::leak(Box::new([0; FRAME_BYTES])),
            Box::leak(Box::new([0; FRAME_BYTES])),
        ));
        port.set_receive_client(link);
        let call = calls.allocate();
        let endpoint: &'static LinkEndpoint<'static> =
            leak(LinkEndpoint::new(link, INTERFACE_FIDO, call));
        call.register(endpoint);
        let recorder: &'static Recorder = leak(Recorder::default());
        recorder
            .buffer
            .set(Some(Box::leak(Box::new([0; REPORT_BYTES]))));
        endpoint.set_client(recorder);
        link.set_endpoints(Box::leak(Box::new([endpoint])));
        link.start().unwrap();
        for index in 1..=5u8 {
            let mut frame = [index; FRAME_BYTES];
            frame[0] = INTERFACE_FIDO;
            port.backlog.borrow_mut().push(frame);
        }
        while port.pump() {}
        assert_eq!(port.backlog.borrow().len(), 4, "one held, four wait");
        for _ in 0..5 {
            let buffer = recorder.buffer.take().unwrap();
            assert!(endpoint.receive_report(buffer).is_ok());
            while calls.service_next() {}
            while port.pump() {}
        }
        assert_eq!(*recorder.received.borrow(), [1, 2, 3, 4, 5]);
        assert!(port.backlog.borrow().is_empty());
    }
}
