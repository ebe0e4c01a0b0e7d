//! The 16550 UART at 0x1000_0000 (PLIC source 10), interrupt driven in
//! both directions, plus a polled writer for panics and kernel messages.
//!
//! Split-phase: `transmit` takes a buffer and returns at once; bytes go out
//! from the THR-empty interrupt and the client gets the buffer back when
//! the last one is written. `receive` works the same way on the
//! received-data interrupt.
#![allow(
    clippy::modulo_one,
    reason = "register_structs! checks the alignment of u8 registers with `% 1`"
)]

use core::cell::Cell;

use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

/// PLIC source of the UART on virt.
pub const UART_IRQ: u32 = 10;

register_bitfields![u8,
    IER [
        RECEIVED_DATA OFFSET(0) NUMBITS(1) [],
        TRANSMIT_EMPTY OFFSET(1) NUMBITS(1) []
    ],
    FCR [
        ENABLE OFFSET(0) NUMBITS(1) [],
        CLEAR_RECEIVE OFFSET(1) NUMBITS(1) [],
        CLEAR_TRANSMIT OFFSET(2) NUMBITS(1) []
    ],
    LCR [
        WORD_LENGTH OFFSET(0) NUMBITS(2) [EightBits = 3],
        DIVISOR_LATCH OFFSET(7) NUMBITS(1) []
    ],
    MCR [
        OUT2 OFFSET(3) NUMBITS(1) []
    ],
    LSR [
        DATA_READY OFFSET(0) NUMBITS(1) [],
        TRANSMIT_HOLDING_EMPTY OFFSET(5) NUMBITS(1) []
    ]
];

register_structs! {
    /// 16550 registers (one byte apart on virt).
    pub UartRegisters {
        (0x0 => data: ReadWrite<u8>),
        (0x1 => ier: ReadWrite<u8, IER::Register>),
        (0x2 => fcr: ReadWrite<u8, FCR::Register>),
        (0x3 => lcr: ReadWrite<u8, LCR::Register>),
        (0x4 => mcr: ReadWrite<u8, MCR::Register>),
        (0x5 => lsr: ReadOnly<u8, LSR::Register>),
        (0x6 => _modem_status: ReadOnly<u8>),
        (0x7 => _scratch: ReadWrite<u8>),
        (0x8 => @END),
    }
}

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

/// The UART.
pub struct Uart {
    registers: &'static UartRegisters,
    transmit_client: Cell<Option<&'static dyn TransmitClient>>,
    receive_client: Cell<Option<&'static dyn ReceiveClient>>,
    transmit: Cell<Transfer>,
    receive: Cell<Transfer>,
    receive_aborted: Cell<bool>,
}

impl Uart {
    /// # Safety
    /// `base` must be the address of a 16550 (0x1000_0000 on virt).
    pub const unsafe fn new(base: usize) -> Self {
        Uart {
            // SAFETY: the caller guarantees a 16550 is mapped at `base`.
            registers: unsafe { &*(base as *const UartRegisters) },
            transmit_client: Cell::new(None),
            receive_client: Cell::new(None),
            transmit: Cell::new(Transfer::idle()),
            receive: Cell::new(Transfer::idle()),
            receive_aborted: Cell::new(false),
        }
    }

    /// 8N1, FIFOs on and cleared, interrupts off until a transfer starts.
    /// (QEMU ignores the divisor; it is left at reset.)
    pub fn initialize(&self) {
        self.registers.ier.set(0);
        self.registers.lcr.write(LCR::WORD_LENGTH::EightBits);
        self.registers
            .fcr
            .write(FCR::ENABLE::SET + FCR::CLEAR_RECEIVE::SET + FCR::CLEAR_TRANSMIT::SET);
        self.registers.mcr.write(MCR::OUT2::SET);
    }

    /// Writes `text` by polling, for panics and kernel messages. Waits
    /// for an interrupt-driven transmission to leave the THR first only
    /// byte by byte, so output may interleave with it but never drops.
    pub fn write_polled(&self, text: &[u8]) {
        for byte in text {
            while !self.registers.lsr.is_set(LSR::TRANSMIT_HOLDING_EMPTY) {}
            self.registers.data.set(*byte);
        }
    }

    /// The UART's PLIC interrupt: move bytes, then report finished
    /// transfers.
    pub fn handle_interrupt(&self) {
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
        let mut transfer = self.transmit.replace(Transfer::idle());
        let Some(buffer) = transfer.buffer.take() else {
            self.registers.ier.modify(IER::TRANSMIT_EMPTY::CLEAR);
            return;
        };
        // The FIFO takes 16 bytes once the THR is empty.
        let mut room = 16;
        while transfer.done < transfer.length
            && room > 0
            && self.registers.lsr.is_set(LSR::TRANSMIT_HOLDING_EMPTY)
        {
            self.registers.data.set(buffer[transfer.done]);
            transfer.done += 1;
            room -= 1;
        }
        if transfer.done < transfer.length {
            transfer.buffer = Some(buffer);
            self.transmit.set(transfer);
            return;
        }
        self.registers.ier.modify(IER::TRANSMIT_EMPTY::CLEAR);
        if let Some(client) = self.transmit_client.get() {
            client.transmitted_buffer(buffer, transfer.length, Ok(()));
        }
    }

    fn service_receive(&self) {
        let mut transfer = self.receive.replace(Transfer::idle());
        let Some(buffer) = transfer.buffer.take() else {
            // Nobody listens: leave the bytes in the FIFO for the next
            // receive; with the interrupt off they raise nothing.
            self.registers.ier.modify(IER::RECEIVED_DATA::CLEAR);
            return;
        };
        while transfer.done < transfer.length && self.registers.lsr.is_set(LSR::DATA_READY) {
            buffer[transfer.done] = self.registers.data.get();
            transfer.done += 1;
        }
        if transfer.done < transfer.length {
            transfer.buffer = Some(buffer);
            self.receive.set(transfer);
            return;
        }
        self.registers.ier.modify(IER::RECEIVED_DATA::CLEAR);
        if let Some(client) = self.receive_client.get() {
            client.received_buffer(buffer, transfer.length, Ok(()));
        }
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

impl Transmit<'static> for Uart {
    fn set_transmit_client(&self, client: &'static dyn TransmitClient) {
        self.transmit_client.set(Some(client));
    }

    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        start_transfer(&self.transmit, buffer, length)?;
        // The THR-empty interrupt fires at once and moves the bytes, so
        // the client always hears back from interrupt context.
        self.registers.ier.modify(IER::TRANSMIT_EMPTY::SET);
        Ok(())
    }

    fn transmit_abort(&self) -> Result<(), ErrorCode> {
        // Transmissions finish within one FIFO's worth of interrupts.
        Err(ErrorCode::Busy)
    }
}

impl Receive<'static> for Uart {
    fn set_receive_client(&self, client: &'static dyn ReceiveClient) {
        self.receive_client.set(Some(client));
    }

    fn receive_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        start_transfer(&self.receive, buffer, length)?;
        self.registers.ier.modify(IER::RECEIVED_DATA::SET);
        Ok(())
    }

    fn receive_abort(&self) -> Result<(), ErrorCode> {
        self.registers.ier.modify(IER::RECEIVED_DATA::CLEAR);
        self.receive_aborted.set(true);
        // The callback comes from the next interrupt: THR-empty raises one
        // at once (the transmit path switches it off again when idle).
        self.registers.ier.modify(IER::TRANSMIT_EMPTY::SET);
        Ok(())
    }
}

impl kernel::platform::DebugOutput for Uart {
    fn write_text(&self, text: &str) {
        self.write_polled(text.as_bytes());
    }
}
