//! One UART shared by several kernel users (the console driver, the
//! process console, ...): each gets a [`VirtualUart`] with the full UART
//! HIL.
//!
//! Transmissions are queued and sent one whole buffer at a time, taking
//! devices in turn (fair). Received bytes go to every device with a
//! receive outstanding, byte by byte. An abort completes from a deferred
//! call, never from inside `receive_abort`.

use core::cell::Cell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient, Uart};
use kernel::ErrorCode;

/// Devices one mux can serve.
pub const MAX_VIRTUAL_UARTS: usize = 4;

/// The multiplexer over the hardware UART.
pub struct UartMux<'a> {
    uart: &'a dyn Uart<'a>,
    devices: [Cell<Option<&'a VirtualUart<'a>>>; MAX_VIRTUAL_UARTS],
    count: Cell<usize>,
    transmitting: Cell<Option<usize>>,
    last_transmitter: Cell<usize>,
    receive_byte: Cell<Option<&'static mut [u8]>>,
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
            deferred_call,
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
        let wanted = (0..self.count.get())
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
            for index in 0..self.count.get() {
                if let Some(device) = self.device(index) {
                    device.deliver(byte);
                }
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
