//! One UART shared by several kernel users (the console driver, the
//! process console, ...): each gets a [`VirtualUart`] with the full UART
//! HIL.
//!
//! Transmissions are queued and sent one whole buffer at a time, taking
//! devices in turn (fair). Received bytes go to every device with a
//! receive outstanding, byte by byte. An abort completes from a deferred
//! call, never from inside `receive_abort`.
//!
//! A board may put one [`ReceiveFilter`] in front of the devices: it sees
//! each received byte first and decides which bytes the devices get. The
//! emulated button uses it, so that its serial sequences are taken off the
//! line here, once, and never reach the console or the process console.

use core::cell::Cell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient, Uart};
use kernel::ErrorCode;

/// Devices one mux can serve.
pub const MAX_VIRTUAL_UARTS: usize = 4;

/// A reader in front of the devices that may take bytes off the line.
pub trait ReceiveFilter {
    /// Sees `byte` before any device does and hands to `pass`, in order,
    /// the bytes the devices get now: none (it keeps the byte, for now or
    /// for good), the byte, or bytes it kept earlier followed by this one.
    fn filter(&self, byte: u8, pass: &mut dyn FnMut(u8));
}

/// The multiplexer over the hardware UART.
pub struct UartMux<'a> {
    uart: &'a dyn Uart<'a>,
    devices: [Cell<Option<&'a VirtualUart<'a>>>; MAX_VIRTUAL_UARTS],
    count: Cell<usize>,
    transmitting: Cell<Option<usize>>,
    last_transmitter: Cell<usize>,
    receive_byte: Cell<Option<&'static mut [u8]>>,
    filter: Cell<Option<&'a dyn ReceiveFilter>>,
    deferred_call: DeferredCall,
}

/// One user's view of the UART.
pub struct VirtualUart<'a> {
    mux: &'a UartMux<'a>,
    index: Cell<usize>,
    transmit_client: Cell<Option<&'a dyn TransmitClient>>,
    receive_client: Cell<Option<&'a dyn ReceiveClient>>,
    pending_transmit: Cell<Option<(&'static mut [u8], usize)>>,
    busy_transmitting: Cell<bool>,
    pending_receive: Cell<Option<(&'static mut [u8], usize, usize)>>,
    abort_requested: Cell<bool>,
}

impl<'a> UartMux<'a> {
    /// A mux over `uart`, receiving through `receive_byte` (at least one
    /// byte long). The board makes it the UART's client and the client of
    /// `deferred_call`.
    pub fn new(
        uart: &'a dyn Uart<'a>,
        receive_byte: &'static mut [u8],
        deferred_call: DeferredCall,
    ) -> Self {
        UartMux {
            uart,
            devices: [const { Cell::new(None) }; MAX_VIRTUAL_UARTS],
            count: Cell::new(0),
            transmitting: Cell::new(None),
            last_transmitter: Cell::new(MAX_VIRTUAL_UARTS - 1),
            receive_byte: Cell::new(Some(receive_byte)),
            filter: Cell::new(None),
            deferred_call,
        }
    }

    /// Puts `filter` in front of the devices and starts receiving: the
    /// filter hears the line even while no device is reading it.
    pub fn set_receive_filter(&self, filter: &'a dyn ReceiveFilter) {
        self.filter.set(Some(filter));
        self.start_receiving();
    }

    /// Gives `byte` to every device with a receive outstanding.
    fn deliver_to_devices(&self, byte: u8) {
        for index in 0..self.count.get() {
            if let Some(device) = self.device(index) {
                device.deliver(byte);
            }
        }
    }

    fn add(&self, device: &'a VirtualUart<'a>) {
        let duplicate = (0..self.count.get())
            .any(|index| self.device(index).is_some_and(|d| core::ptr::eq(d, device)));
        assert!(
            !duplicate,
            "a VirtualUart was attached twice (is one static used for two devices?)"
        );
        let index = self.count.get();
        assert!(
            index < MAX_VIRTUAL_UARTS,
            "too many virtual UARTs: raise MAX_VIRTUAL_UARTS"
        );
        self.devices[index].set(Some(device));
        device.index.set(index);
        self.count.set(index + 1);
    }

    fn device(&self, index: usize) -> Option<&'a VirtualUart<'a>> {
        self.devices.get(index).and_then(Cell::get)
    }

    /// Start the next queued transmission, taking devices in turn.
    fn start_transmission(&self) {
        if self.transmitting.get().is_some() {
            return;
        }
        let count = self.count.get();
        for offset in 1..=count {
            let index = (self.last_transmitter.get() + offset) % count;
            let Some(device) = self.device(index) else {
                continue;
            };
            let Some((buffer, length)) = device.pending_transmit.take() else {
                continue;
            };
            self.transmitting.set(Some(index));
            self.last_transmitter.set(index);
            if let Err((_, buffer)) = self.uart.transmit_buffer(buffer, length) {
                // The hardware refused; keep it queued for the next turn.
                self.transmitting.set(None);
                device.pending_transmit.set(Some((buffer, length)));
            }
            return;
        }
    }

    fn start_receiving(&self) {
        let wanted = self.filter.get().is_some()
            || (0..self.count.get())
                .any(|index| self.device(index).is_some_and(VirtualUart::is_receiving));
        if !wanted {
            return;
        }
        if let Some(byte) = self.receive_byte.take() {
            if let Err((_, byte)) = self.uart.receive_buffer(byte, 1) {
                self.receive_byte.set(Some(byte));
            }
        }
    }
}

impl<'a> VirtualUart<'a> {
    /// A virtual UART on `mux`; call [`VirtualUart::attach`] once it is static.
    pub fn new(mux: &'a UartMux<'a>) -> Self {
        VirtualUart {
            mux,
            index: Cell::new(0),
            transmit_client: Cell::new(None),
            receive_client: Cell::new(None),
            pending_transmit: Cell::new(None),
            busy_transmitting: Cell::new(false),
            pending_receive: Cell::new(None),
            abort_requested: Cell::new(false),
        }
    }

    /// Register with the mux.
    pub fn attach(&'a self) {
        self.mux.add(self);
    }

    fn is_receiving(&self) -> bool {
        let pending = self.pending_receive.take();
        let receiving = pending.is_some() && !self.abort_requested.get();
        self.pending_receive.set(pending);
        receiving
    }

    /// Take one received byte; true if this device's receive completed.
    fn deliver(&self, byte: u8) -> bool {
        let Some((buffer, wanted, mut received)) = self.pending_receive.take() else {
            return false;
        };
        if self.abort_requested.get() {
            self.pending_receive.set(Some((buffer, wanted, received)));
            return false;
        }
        buffer[received] = byte;
        received += 1;
        if received < wanted {
            self.pending_receive.set(Some((buffer, wanted, received)));
            return false;
        }
        if let Some(client) = self.receive_client.get() {
            client.received_buffer(buffer, received, Ok(()));
        }
        true
    }
}

impl<'a> Transmit<'a> for VirtualUart<'a> {
    fn set_transmit_client(&self, client: &'a dyn TransmitClient) {
        self.transmit_client.set(Some(client));
    }

    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if length > buffer.len() || length == 0 {
            return Err((ErrorCode::Size, buffer));
        }
        if self.busy_transmitting.get() {
            return Err((ErrorCode::Busy, buffer));
        }
        self.busy_transmitting.set(true);
        self.pending_transmit.set(Some((buffer, length)));
        self.mux.start_transmission();
        Ok(())
    }

    fn transmit_abort(&self) -> Result<(), ErrorCode> {
        Err(ErrorCode::NoSupport)
    }
}

impl<'a> Receive<'a> for VirtualUart<'a> {
    fn set_receive_client(&self, client: &'a dyn ReceiveClient) {
        self.receive_client.set(Some(client));
    }

    fn receive_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if length > buffer.len() || length == 0 {
            return Err((ErrorCode::Size, buffer));
        }
        match self.pending_receive.take() {
            Some(pending) => {
                self.pending_receive.set(Some(pending));
                Err((ErrorCode::Busy, buffer))
            }
            None => {
                self.pending_receive.set(Some((buffer, length, 0)));
                self.mux.start_receiving();
                Ok(())
            }
        }
    }

    fn receive_abort(&self) -> Result<(), ErrorCode> {
        if !self.is_receiving() {
            return Err(ErrorCode::Already);
        }
        self.abort_requested.set(true);
        self.mux.deferred_call.set();
        Ok(())
    }
}

impl TransmitClient for UartMux<'_> {
    fn transmitted_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        result: Result<(), ErrorCode>,
    ) {
        if let Some(device) = self
            .transmitting
            .take()
            .and_then(|index| self.device(index))
        {
            device.busy_transmitting.set(false);
            if let Some(client) = device.transmit_client.get() {
                client.transmitted_buffer(buffer, length, result);
            }
        }
        self.start_transmission();
    }
}

impl ReceiveClient for UartMux<'_> {
    fn received_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        _result: Result<(), ErrorCode>,
    ) {
        let byte = buffer[0];
        self.receive_byte.set(Some(buffer));
        if length == 1 {
            match self.filter.get() {
                Some(filter) => filter.filter(byte, &mut |passed| self.deliver_to_devices(passed)),
                None => self.deliver_to_devices(byte),
            }
        }
        self.start_receiving();
    }
}

impl DeferredCallClient for UartMux<'_> {
    fn handle_deferred_call(&self) {
        for index in 0..self.count.get() {
            let Some(device) = self.device(index) else {
                continue;
            };
            if !device.abort_requested.take() {
                continue;
            }
            if let Some((buffer, _, received)) = device.pending_receive.take() {
                if let Some(client) = device.receive_client.get() {
                    client.received_buffer(buffer, received, Err(ErrorCode::Cancel));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::test_support::{buffer, FakeUart};
    use kernel::deferred_call::DeferredCalls;
    use std::boxed::Box;
    use std::vec::Vec;

    /// A device that records every byte it receives, one at a time.
    #[derive(Default)]
    struct Reader {
        device: Cell<Option<&'static VirtualUart<'static>>>,
        received: core::cell::RefCell<Vec<u8>>,
    }

    impl ReceiveClient for Reader {
        fn received_buffer(
            &self,
            buffer: &'static mut [u8],
            length: usize,
            _result: Result<(), ErrorCode>,
        ) {
            self.received
                .borrow_mut()
                .extend_from_slice(&buffer[..length]);
            if let Some(device) = self.device.get() {
                let _ = device.receive_buffer(buffer, 1);
            }
        }
    }

    /// Keeps `#` to itself; keeps `!` until the next byte, then passes
    /// both (as the button's filter keeps an escape byte).
    #[derive(Default)]
    struct KeepHash {
        holding: Cell<bool>,
        seen: core::cell::RefCell<Vec<u8>>,
    }

    impl ReceiveFilter for KeepHash {
        fn filter(&self, byte: u8, pass: &mut dyn FnMut(u8)) {
            self.seen.borrow_mut().push(byte);
            if self.holding.replace(false) {
                pass(b'!');
            }
            match byte {
                b'#' => {}
                b'!' => self.holding.set(true),
                _ => pass(byte),
            }
        }
    }

    fn mux_with_readers(
        count: usize,
    ) -> (
        &'static FakeUart,
        &'static UartMux<'static>,
        Vec<&'static Reader>,
    ) {
        let uart: &'static FakeUart = Box::leak(Box::default());
        let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
        let mux: &'static UartMux<'static> =
            Box::leak(Box::new(UartMux::new(uart, buffer(1), calls.allocate())));
        uart.set_receive_client(mux);
        let readers = (0..count)
            .map(|_| {
                let device: &'static VirtualUart<'static> =
                    Box::leak(Box::new(VirtualUart::new(mux)));
                device.attach();
                let reader: &'static Reader = Box::leak(Box::default());
                reader.device.set(Some(device));
                device.set_receive_client(reader);
                device.receive_buffer(buffer(1), 1).unwrap();
                reader
            })
            .collect();
        (uart, mux, readers)
    }

    #[test]
    fn without_a_filter_every_device_gets_every_byte() {
        let (uart, _mux, readers) = mux_with_readers(2);
        uart.type_bytes(b"a#b");
        for reader in readers {
            assert_eq!(*reader.received.borrow(), b"a#b");
        }
    }

    #[test]
    fn bytes_the_filter_keeps_never_reach_a_device_and_the_rest_keep_their_order() {
        let (uart, mux, readers) = mux_with_readers(2);
        mux.set_receive_filter(Box::leak(Box::<KeepHash>::default()));
        uart.type_bytes(b"a#b!c#!#d");
        for reader in readers {
            assert_eq!(*reader.received.borrow(), b"ab!c!d");
        }
    }

    #[test]
    fn a_filter_hears_the_line_while_no_device_reads() {
        let (uart, mux, _readers) = mux_with_readers(0);
        let filter: &'static KeepHash = Box::leak(Box::default());
        mux.set_receive_filter(filter);
        uart.type_bytes(b"xy");
        assert_eq!(*filter.seen.borrow(), b"xy");
    }
}
