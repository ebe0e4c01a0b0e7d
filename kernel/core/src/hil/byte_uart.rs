//! The transmit and receive buffering of a byte-at-a-time UART, shared by
//! the chips whose UARTs move one byte per register access (the 16550,
//! the CMSDK UART). A chip keeps its registers and says how to reach them
//! through [`ByteUartRegisters`]; [`ByteUart`] is the UART HIL over them:
//! it keeps the transfers and the clients and moves the bytes when the
//! chip's interrupt handler calls [`ByteUart::handle_interrupt`].
//!
//! ```text
//!  transmit_buffer --> take the buffer --> registers.transmit_started()
//!  interrupt --> receive: read while a byte waits, until `length`
//!                transmit: write up to TRANSMIT_BATCH while ready
//!                finished? disable that interrupt, call the client
//! ```
//!
//! Guarantees: one transfer per direction at a time (a second gets BUSY);
//! clients hear back only from [`ByteUart::handle_interrupt`], never from
//! inside `transmit_buffer`, `receive_buffer` or `receive_abort`.

use core::cell::Cell;

use crate::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use crate::platform::DebugOutput;
use crate::ErrorCode;

/// What a chip's byte UART registers can do.
pub trait ByteUartRegisters {
    /// Bytes the transmitter takes in a row once it is ready (FIFO depth).
    const TRANSMIT_BATCH: usize;
    /// `true`: a transfer is reported finished only at an interrupt after
    /// its last byte was written, once the transmitter is ready again
    /// (the byte has left). `false`: as soon as its last byte is written.
    const REPORT_AFTER_LAST_BYTE_LEFT: bool;

    /// May a byte be written now?
    fn transmit_ready(&self) -> bool;
    /// Writes one byte to the transmitter.
    fn write_byte(&self, byte: u8);
    /// Is a received byte waiting?
    fn byte_waiting(&self) -> bool;
    /// Reads one received byte.
    fn read_byte(&self) -> u8;
    /// Turns the transmit interrupt on or off.
    fn set_transmit_interrupt(&self, enabled: bool);
    /// Turns the receive interrupt on or off.
    fn set_receive_interrupt(&self, enabled: bool);
    /// A reception was aborted: raise an interrupt soon, so the client
    /// hears about it from interrupt context.
    fn request_interrupt(&self);

    /// First thing at each interrupt (such as clearing latched status).
    fn acknowledge_interrupt(&self) {}
    /// A transmission was taken: make its interrupts come.
    fn transmit_started(&self) {
        self.set_transmit_interrupt(true);
    }
    /// A reception was taken: make its interrupts come.
    fn receive_started(&self) {
        self.set_receive_interrupt(true);
    }
}

/// A buffer being moved: bytes wanted, bytes done.
struct Transfer {
    buffer: Option<&'static mut [u8]>,
    length: usize,
    done: usize,
}

impl Transfer {
    const fn idle() -> Self {
        Transfer {
            buffer: None,
            length: 0,
            done: 0,
        }
    }
}

/// A byte UART: the chip's registers, the transfers and the clients.
pub struct ByteUart<R> {
    registers: R,
    transmit_client: Cell<Option<&'static dyn TransmitClient>>,
    receive_client: Cell<Option<&'static dyn ReceiveClient>>,
    transmit: Cell<Transfer>,
    receive: Cell<Transfer>,
    receive_aborted: Cell<bool>,
}

impl<R: ByteUartRegisters> ByteUart<R> {
    /// The UART over `registers`: idle in both directions, no clients.
    pub const fn new(registers: R) -> Self {
        ByteUart {
            registers,
            transmit_client: Cell::new(None),
            receive_client: Cell::new(None),
            transmit: Cell::new(Transfer::idle()),
            receive: Cell::new(Transfer::idle()),
            receive_aborted: Cell::new(false),
        }
    }

    /// The chip's registers (for the set-up the chip does itself).
    pub fn registers(&self) -> &R {
        &self.registers
    }

    /// Writes `text` by polling (panics, kernel messages). It may
    /// interleave with an interrupt-driven transmission, byte by byte,
    /// but never drops.
    pub fn write_polled(&self, text: &[u8]) {
        for &byte in text {
            while !self.registers.transmit_ready() {}
            self.registers.write_byte(byte);
        }
    }

    /// The UART's interrupt: finish an aborted reception, move bytes in
    /// both directions, then report finished transfers.
    pub fn handle_interrupt(&self) {
        self.registers.acknowledge_interrupt();
        if self.receive_aborted.replace(false) {
            let transfer = self.receive.replace(Transfer::idle());
            if let (Some(buffer), Some(client)) = (transfer.buffer, self.receive_client.get()) {
                client.received_buffer(buffer, transfer.done, Err(ErrorCode::Cancel));
            }
        }
        self.service_receive();
        self.service_transmit();
    }

    fn service_transmit(&self) {
        let registers = &self.registers;
        let mut transfer = self.transmit.replace(Transfer::idle());
        let Some(buffer) = transfer.buffer.take() else {
            registers.set_transmit_interrupt(false);
            return;
        };
        let mut written = 0;
        while transfer.done < transfer.length
            && written < R::TRANSMIT_BATCH
            && registers.transmit_ready()
        {
            registers.write_byte(buffer[transfer.done]);
            transfer.done += 1;
            written += 1;
        }
        let last_byte_pending =
            R::REPORT_AFTER_LAST_BYTE_LEFT && (written > 0 || !registers.transmit_ready());
        if transfer.done < transfer.length || last_byte_pending {
            transfer.buffer = Some(buffer);
            self.transmit.set(transfer);
            return;
        }
        registers.set_transmit_interrupt(false);
        if let Some(client) = self.transmit_client.get() {
            client.transmitted_buffer(buffer, transfer.length, Ok(()));
        }
    }

    fn service_receive(&self) {
        let registers = &self.registers;
        let mut transfer = self.receive.replace(Transfer::idle());
        let Some(buffer) = transfer.buffer.take() else {
            // Nobody listens: bytes wait in the UART for the next receive;
            // with the interrupt off they raise nothing.
            registers.set_receive_interrupt(false);
            return;
        };
        while transfer.done < transfer.length && registers.byte_waiting() {
            buffer[transfer.done] = registers.read_byte();
            transfer.done += 1;
        }
        if transfer.done < transfer.length {
            transfer.buffer = Some(buffer);
            self.receive.set(transfer);
            return;
        }
        registers.set_receive_interrupt(false);
        if let Some(client) = self.receive_client.get() {
            client.received_buffer(buffer, transfer.length, Ok(()));
        }
    }
}

impl<R: ByteUartRegisters> Transmit<'static> for ByteUart<R> {
    fn set_transmit_client(&self, client: &'static dyn TransmitClient) {
        self.transmit_client.set(Some(client));
    }

    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        start_transfer(&self.transmit, buffer, length)?;
        self.registers.transmit_started();
        Ok(())
    }

    fn transmit_abort(&self) -> Result<(), ErrorCode> {
        // Transmissions finish within a few interrupts.
        Err(ErrorCode::Busy)
    }
}

impl<R: ByteUartRegisters> Receive<'static> for ByteUart<R> {
    fn set_receive_client(&self, client: &'static dyn ReceiveClient) {
        self.receive_client.set(Some(client));
    }

    fn receive_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        start_transfer(&self.receive, buffer, length)?;
        self.registers.receive_started();
        Ok(())
    }

    fn receive_abort(&self) -> Result<(), ErrorCode> {
        self.registers.set_receive_interrupt(false);
        self.receive_aborted.set(true);
        self.registers.request_interrupt();
        Ok(())
    }
}

impl<R: ByteUartRegisters> DebugOutput for ByteUart<R> {
    fn write_text(&self, text: &str) {
        self.write_polled(text.as_bytes());
    }
}

/// Starts a transfer in `slot` unless one is in progress.
fn start_transfer(
    slot: &Cell<Transfer>,
    buffer: &'static mut [u8],
    length: usize,
) -> Result<(), (ErrorCode, &'static mut [u8])> {
    if length > buffer.len() || length == 0 {
        return Err((ErrorCode::Size, buffer));
    }
    let current = slot.replace(Transfer::idle());
    if current.buffer.is_some() {
        slot.set(current);
        return Err((ErrorCode::Busy, buffer));
    }
    slot.set(Transfer {
        buffer: Some(buffer),
        length,
        done: 0,
    });
    Ok(())
}

#[cfg(test)]
#[path = "byte_uart_tests.rs"]
mod tests;
