//! Fake hardware for capsule tests.

extern crate std;

use core::cell::{Cell, RefCell};
use std::vec::Vec;

use kernel::hil::gpio::{Input, InterruptClient, InterruptEdge, InterruptPin, Output};
use kernel::hil::time::{Alarm, AlarmClient, Time};
use kernel::ErrorCode;

/// A pin that remembers its level.
#[derive(Default)]
pub struct FakePin {
    level: Cell<bool>,
    pub interrupts: Cell<Option<InterruptEdge>>,
    client: Cell<Option<(&'static dyn InterruptClient, usize)>>,
}

impl FakePin {
    /// Change the input level and fire the interrupt if enabled.
    pub fn press(&self, level: bool) {
        self.level.set(level);
        if let (Some(_), Some((client, identifier))) = (self.interrupts.get(), self.client.get()) {
            client.fired(identifier);
        }
    }
}

impl Output for FakePin {
    fn set(&self) {
        self.level.set(true);
    }
    fn clear(&self) {
        self.level.set(false);
    }
    fn toggle(&self) -> bool {
        self.level.set(!self.level.get());
        self.level.get()
    }
    fn is_set(&self) -> bool {
        self.level.get()
    }
}

impl Input for FakePin {
    fn read(&self) -> bool {
        self.level.get()
    }
}

impl InterruptPin<'static> for FakePin {
    fn set_client(&self, client: &'static dyn InterruptClient, identifier: usize) {
        self.client.set(Some((client, identifier)));
    }
    fn enable_interrupts(&self, edge: InterruptEdge) {
        self.interrupts.set(Some(edge));
    }
    fn disable_interrupts(&self) {
        self.interrupts.set(None);
    }
}

/// An alarm whose time the test moves.
#[derive(Default)]
pub struct FakeAlarm {
    pub now: Cell<u32>,
    pub armed_at: Cell<Option<u32>>,
    pub history: RefCell<Vec<u32>>,
    client: Cell<Option<&'static dyn AlarmClient>>,
}

impl FakeAlarm {
    /// Move time to `now` and fire if the alarm is due.
    pub fn advance_to(&self, now: u32) {
        self.now.set(now);
        if let Some(at) = self.armed_at.get() {
            if now.wrapping_sub(at) < u32::MAX / 2 {
                self.armed_at.set(None);
                if let Some(client) = self.client.get() {
                    client.alarm();
                }
            }
        }
    }
}

impl Time for FakeAlarm {
    fn frequency(&self) -> u32 {
        1_000_000
    }
    fn now(&self) -> u32 {
        self.now.get()
    }
}

impl Alarm<'static> for FakeAlarm {
    fn set_alarm_client(&self, client: &'static dyn AlarmClient) {
        self.client.set(Some(client));
    }
    fn set_alarm(&self, reference: u32, dt: u32) {
        let at = reference.wrapping_add(dt);
        self.armed_at.set(Some(at));
        self.history.borrow_mut().push(at);
    }
    fn get_alarm(&self) -> u32 {
        self.armed_at.get().unwrap_or(0)
    }
    fn disarm(&self) -> Result<(), ErrorCode> {
        self.armed_at.set(None);
        Ok(())
    }
    fn is_armed(&self) -> bool {
        self.armed_at.get().is_some()
    }
    fn minimum_dt(&self) -> u32 {
        1
    }
}

use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};

/// A UART that records what is sent and completes only when told.
#[derive(Default)]
pub struct FakeUart {
    pub sent: RefCell<Vec<u8>>,
    in_flight: Cell<Option<(&'static mut [u8], usize)>>,
    receiving: Cell<Option<(&'static mut [u8], usize)>>,
    transmit_client: Cell<Option<&'static dyn TransmitClient>>,
    receive_client: Cell<Option<&'static dyn ReceiveClient>>,
}

impl FakeUart {
    /// Finish the transmission in flight (as the interrupt would).
    /// Returns false if nothing was in flight.
    pub fn complete_transmit(&self) -> bool {
        let Some((buffer, length)) = self.in_flight.take() else {
            return false;
        };
        self.sent.borrow_mut().extend_from_slice(&buffer[..length]);
        if let Some(client) = self.transmit_client.get() {
            client.transmitted_buffer(buffer, length, Ok(()));
        }
        true
    }

    /// Complete every transmission, including those they start.
    pub fn drain(&self) {
        while self.complete_transmit() {}
    }

    /// Everything sent so far, as text.
    pub fn text(&self) -> std::string::String {
        std::string::String::from_utf8_lossy(&self.sent.borrow()).into_owned()
    }

    /// Receive `bytes` one by one while a receive is outstanding.
    pub fn type_bytes(&self, bytes: &[u8]) {
        for &byte in bytes {
            let Some((buffer, _length)) = self.receiving.take() else {
                return;
            };
            buffer[0] = byte;
            if let Some(client) = self.receive_client.get() {
                client.received_buffer(buffer, 1, Ok(()));
            }
        }
    }
}

impl Transmit<'static> for FakeUart {
    fn set_transmit_client(&self, client: &'static dyn TransmitClient) {
        self.transmit_client.set(Some(client));
    }
    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        match self.in_flight.take() {
            Some(busy) => {
                self.in_flight.set(Some(busy));
                Err((ErrorCode::Busy, buffer))
            }
            None => {
                self.in_flight.set(Some((buffer, length)));
                Ok(())
            }
        }
    }
    fn transmit_abort(&self) -> Result<(), ErrorCode> {
        Err(ErrorCode::NoSupport)
    }
}

impl Receive<'static> for FakeUart {
    fn set_receive_client(&self, client: &'static dyn ReceiveClient) {
        self.receive_client.set(Some(client));
    }
    fn receive_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        self.receiving.set(Some((buffer, length)));
        Ok(())
    }
    fn receive_abort(&self) -> Result<(), ErrorCode> {
        Ok(())
    }
}

/// A `'static` zeroed buffer.
pub fn buffer(length: usize) -> &'static mut [u8] {
    std::boxed::Box::leak(std::vec![0u8; length].into_boxed_slice())
}
