//! UARTE0: chunked EasyDMA transmissions, reception and its abort.

use core::cell::Cell;

use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;

use super::{buffer, FakeRegisters};
use crate::uarte::{Uarte, MAXIMUM_TRANSFER};

const START_RECEIVE: usize = 0x000;
const STOP_RECEIVE: usize = 0x004;
const START_TRANSMIT: usize = 0x008;
const END_RECEIVE: usize = 0x110;
const END_TRANSMIT: usize = 0x120;
const RECEIVE_POINTER: usize = 0x534;
const RECEIVE_MAXIMUM: usize = 0x538;
const RECEIVE_AMOUNT: usize = 0x53c;
const TRANSMIT_POINTER: usize = 0x544;
const TRANSMIT_MAXIMUM: usize = 0x548;
const TRANSMIT_AMOUNT: usize = 0x54c;

#[derive(Default)]
struct Heard {
    transmitted: Cell<Option<(usize, Result<(), ErrorCode>)>>,
    received: Cell<Option<(usize, Result<(), ErrorCode>)>>,
}

impl TransmitClient for Heard {
    fn transmitted_buffer(
        &self,
        _: &'static mut [u8],
        length: usize,
        result: Result<(), ErrorCode>,
    ) {
        self.transmitted.set(Some((length, result)));
    }
}

impl ReceiveClient for Heard {
    fn received_buffer(&self, _: &'static mut [u8], length: usize, result: Result<(), ErrorCode>) {
        self.received.set(Some((length, result)));
    }
}

fn uarte() -> (FakeRegisters, &'static Uarte, &'static Heard) {
    let registers = FakeRegisters::new(0x570);
    // SAFETY: the fake block is as large as UARTE's registers, zeroed,
    // and used by this driver only.
    let uarte: &'static Uarte = Box::leak(Box::new(unsafe { Uarte::new(registers.base()) }));
    let heard: &'static Heard = Box::leak(Box::default());
    uarte.set_transmit_client(heard);
    uarte.set_receive_client(heard);
    (registers, uarte, heard)
}

/// The hardware ends the DMA in flight having moved `amount` bytes.
fn end_dma(registers: &FakeRegisters, event: usize, amount_register: usize, amount: u32) {
    registers.set(amount_register, amount);
    registers.set(event, 1);
}

#[test]
fn a_transmission_longer_than_one_dma_goes_in_two_chunks_then_calls_back() {
    let (registers, uarte, heard) = uarte();
    let data = buffer(70_000);
    let start = data.as_ptr() as usize;
    assert!(uarte.transmit_buffer(data, 70_000).is_ok());
    assert_eq!(registers.get(START_TRANSMIT), 1);
    assert_eq!(registers.get(TRANSMIT_POINTER), start as u32);
    assert_eq!(registers.get(TRANSMIT_MAXIMUM), MAXIMUM_TRANSFER as u32);
    // A second transmission while one is in flight is refused.
    let (code, _) = uarte.transmit_buffer(buffer(4), 4).unwrap_err();
    assert_eq!(code, ErrorCode::Busy);

    end_dma(
        &registers,
        END_TRANSMIT,
        TRANSMIT_AMOUNT,
        MAXIMUM_TRANSFER as u32,
    );
    uarte.handle_interrupt();
    assert_eq!(registers.get(END_TRANSMIT), 0, "the event is cleared");
    assert_eq!(heard.transmitted.get(), None, "not done after one chunk");
    assert_eq!(
        registers.get(TRANSMIT_POINTER),
        (start + MAXIMUM_TRANSFER) as u32
    );
    assert_eq!(
        registers.get(TRANSMIT_MAXIMUM),
        (70_000 - MAXIMUM_TRANSFER) as u32
    );

    end_dma(&registers, END_TRANSMIT, TRANSMIT_AMOUNT, 4465);
    uarte.handle_interrupt();
    assert_eq!(heard.transmitted.get(), Some((70_000, Ok(()))));
    assert!(uarte.transmit_buffer(buffer(4), 4).is_ok(), "idle again");
}

#[test]
fn bad_lengths_are_refused_with_size() {
    let (_registers, uarte, _heard) = uarte();
    assert_eq!(
        uarte.transmit_buffer(buffer(4), 5).unwrap_err().0,
        ErrorCode::Size
    );
    assert_eq!(
        uarte.transmit_buffer(buffer(4), 0).unwrap_err().0,
        ErrorCode::Size
    );
    assert_eq!(
        uarte.receive_buffer(buffer(4), 5).unwrap_err().0,
        ErrorCode::Size
    );
}

#[test]
fn a_reception_ends_when_its_buffer_is_full() {
    let (registers, uarte, heard) = uarte();
    let data = buffer(10);
    let start = data.as_ptr() as usize;
    assert!(uarte.receive_buffer(data, 10).is_ok());
    assert_eq!(registers.get(START_RECEIVE), 1);
    assert_eq!(registers.get(RECEIVE_POINTER), start as u32);
    assert_eq!(registers.get(RECEIVE_MAXIMUM), 10);
    end_dma(&registers, END_RECEIVE, RECEIVE_AMOUNT, 10);
    uarte.handle_interrupt();
    assert_eq!(heard.received.get(), Some((10, Ok(()))));
}

#[test]
fn an_aborted_reception_returns_what_arrived_with_cancel() {
    let (registers, uarte, heard) = uarte();
    assert_eq!(uarte.receive_abort(), Err(ErrorCode::Already));
    assert!(uarte.receive_buffer(buffer(10), 10).is_ok());
    assert_eq!(uarte.receive_abort(), Ok(()));
    assert_eq!(registers.get(STOP_RECEIVE), 1);
    assert_eq!(heard.received.get(), None, "the callback waits for ENDRX");
    end_dma(&registers, END_RECEIVE, RECEIVE_AMOUNT, 3);
    uarte.handle_interrupt();
    assert_eq!(heard.received.get(), Some((3, Err(ErrorCode::Cancel))));
}
