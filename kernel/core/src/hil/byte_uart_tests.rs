//! [`ByteUart`] against fake registers: a transmitter that takes bytes
//! while it has room and a receive FIFO the test fills.

extern crate std;

use std::boxed::Box;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::vec::Vec;

use super::{ByteUart, ByteUartRegisters};
use crate::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use crate::ErrorCode;

/// Registers whose transmitter takes `room` more bytes before it is full.
#[derive(Default)]
struct FakeRegisters<const BATCH: usize, const WAIT: bool> {
    room: Cell<usize>,
    sent: RefCell<Vec<u8>>,
    incoming: RefCell<VecDeque<u8>>,
    transmit_interrupt: Cell<bool>,
    receive_interrupt: Cell<bool>,
    interrupts_requested: Cell<usize>,
}

impl<const BATCH: usize, const WAIT: bool> ByteUartRegisters for FakeRegisters<BATCH, WAIT> {
    const TRANSMIT_BATCH: usize = BATCH;
    const REPORT_AFTER_LAST_BYTE_LEFT: bool = WAIT;

    fn transmit_ready(&self) -> bool {
        self.room.get() > 0
    }
    fn write_byte(&self, byte: u8) {
        self.room.set(self.room.get() - 1);
        self.sent.borrow_mut().push(byte);
    }
    fn byte_waiting(&self) -> bool {
        !self.incoming.borrow().is_empty()
    }
    fn read_byte(&self) -> u8 {
        self.incoming.borrow_mut().pop_front().unwrap_or(0)
    }
    fn set_transmit_interrupt(&self, enabled: bool) {
        self.transmit_interrupt.set(enabled);
    }
    fn set_receive_interrupt(&self, enabled: bool) {
        self.receive_interrupt.set(enabled);
    }
    fn request_interrupt(&self) {
        self.interrupts_requested
            .set(self.interrupts_requested.get() + 1);
    }
}

/// A finished reception: bytes reported, result, the bytes themselves.
type Reception = (usize, Result<(), ErrorCode>, Vec<u8>);

/// What the clients heard.
#[derive(Default)]
struct Recorder {
    transmitted: RefCell<Vec<(usize, Result<(), ErrorCode>)>>,
    received: RefCell<Vec<Reception>>,
}

impl TransmitClient for Recorder {
    fn transmitted_buffer(
        &self,
        _buffer: &'static mut [u8],
        length: usize,
        result: Result<(), ErrorCode>,
    ) {
        self.transmitted.borrow_mut().push((length, result));
    }
}

impl ReceiveClient for Recorder {
    fn received_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        result: Result<(), ErrorCode>,
    ) {
        let bytes = buffer[..length].to_vec();
        self.received.borrow_mut().push((length, result, bytes));
    }
}

type Uart<const BATCH: usize, const WAIT: bool> = ByteUart<FakeRegisters<BATCH, WAIT>>;

fn set_up<const BATCH: usize, const WAIT: bool>() -> (&'static Uart<BATCH, WAIT>, &'static Recorder)
{
    let uart: &'static Uart<BATCH, WAIT> =
        Box::leak(Box::new(ByteUart::new(FakeRegisters::default())));
    let recorder: &'static Recorder = Box::leak(Box::default());
    uart.set_transmit_client(recorder);
    uart.set_receive_client(recorder);
    (uart, recorder)
}

fn buffer(bytes: &[u8]) -> &'static mut [u8] {
    Box::leak(bytes.to_vec().into_boxed_slice())
}

#[test]
fn fifo_uart_sends_a_batch_per_interrupt_and_reports_at_the_last_byte() {
    let (uart, recorder) = set_up::<4, false>();
    let registers = uart.registers();
    assert!(uart.transmit_buffer(buffer(b"abcdefghij"), 6).is_ok());
    assert!(registers.transmit_interrupt.get());
    assert!(
        recorder.transmitted.borrow().is_empty(),
        "no callback from the downcall"
    );
    registers.room.set(100);
    uart.handle_interrupt();
    assert_eq!(&registers.sent.borrow()[..], b"abcd");
    assert!(recorder.transmitted.borrow().is_empty());
    uart.handle_interrupt();
    assert_eq!(&registers.sent.borrow()[..], b"abcdef");
    assert_eq!(&recorder.transmitted.borrow()[..], &[(6, Ok(()))]);
    assert!(!registers.transmit_interrupt.get());
}

#[test]
fn single_byte_uart_reports_only_after_the_last_byte_left() {
    let (uart, recorder) = set_up::<1, true>();
    let registers = uart.registers();
    assert!(uart.transmit_buffer(buffer(b"xy"), 2).is_ok());
    registers.room.set(1);
    uart.handle_interrupt();
    uart.handle_interrupt(); // still full: "x" has not left
    assert_eq!(&registers.sent.borrow()[..], b"x");
    registers.room.set(1);
    uart.handle_interrupt(); // writes "y": reported at a later interrupt
    assert!(recorder.transmitted.borrow().is_empty());
    uart.handle_interrupt(); // "y" is still in the transmitter
    assert!(recorder.transmitted.borrow().is_empty());
    registers.room.set(1);
    uart.handle_interrupt();
    assert_eq!(&recorder.transmitted.borrow()[..], &[(2, Ok(()))]);
}

#[test]
fn second_transfer_is_busy_and_bad_lengths_are_size_errors() {
    let (uart, _) = set_up::<16, false>();
    assert!(uart.receive_buffer(buffer(b"...."), 4).is_ok());
    let busy = uart.receive_buffer(buffer(b"...."), 4);
    assert_eq!(busy.map_err(|(error, _)| error), Err(ErrorCode::Busy));
    let too_long = uart.transmit_buffer(buffer(b".."), 3);
    assert_eq!(too_long.map_err(|(error, _)| error), Err(ErrorCode::Size));
    let empty = uart.transmit_buffer(buffer(b".."), 0);
    assert_eq!(empty.map_err(|(error, _)| error), Err(ErrorCode::Size));
}

#[test]
fn reception_completes_across_interrupts_with_the_bytes_in_order() {
    let (uart, recorder) = set_up::<16, false>();
    let registers = uart.registers();
    assert!(uart.receive_buffer(buffer(b"...."), 3).is_ok());
    assert!(registers.receive_interrupt.get());
    registers.incoming.borrow_mut().extend(b"ab");
    uart.handle_interrupt();
    assert!(recorder.received.borrow().is_empty());
    registers.incoming.borrow_mut().extend(b"cd");
    uart.handle_interrupt();
    assert_eq!(
        &recorder.received.borrow()[..],
        &[(3, Ok(()), b"abc".to_vec())]
    );
    assert_eq!(registers.incoming.borrow().len(), 1, "the 4th byte waits");
    assert!(!registers.receive_interrupt.get());
}

#[test]
fn aborted_reception_returns_the_bytes_so_far_with_cancel() {
    let (uart, recorder) = set_up::<16, false>();
    let registers = uart.registers();
    assert!(uart.receive_buffer(buffer(b"...."), 4).is_ok());
    registers.incoming.borrow_mut().extend(b"z");
    uart.handle_interrupt();
    assert!(uart.receive_abort().is_ok());
    assert!(
        recorder.received.borrow().is_empty(),
        "no callback from the downcall"
    );
    assert_eq!(registers.interrupts_requested.get(), 1);
    assert!(!registers.receive_interrupt.get());
    uart.handle_interrupt();
    assert_eq!(
        &recorder.received.borrow()[..],
        &[(1, Err(ErrorCode::Cancel), b"z".to_vec())]
    );
    assert!(
        uart.receive_buffer(buffer(b"...."), 4).is_ok(),
        "idle again"
    );
}

#[test]
fn polled_writes_wait_for_the_transmitter() {
    let (uart, _) = set_up::<1, true>();
    uart.registers().room.set(3);
    uart.write_polled(b"hi!");
    assert_eq!(&uart.registers().sent.borrow()[..], b"hi!");
}
