//! The CMSDK APB UART at 0x4000_4000 (RX interrupt 0, TX interrupt 1),
//! interrupt driven in both directions, plus a polled writer for panics
//! and kernel messages.
//!
//! The TX interrupt fires when a byte has left the one-byte buffer, so a
//! transmission writes its first byte at once and the rest from
//! interrupts; the client hears back from interrupt context. Interrupt
//! status bits latch until written to INTCLEAR (the NVIC line stays high
//! until then).

use core::cell::Cell;

use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

/// NVIC line of received data.
pub const RECEIVE_IRQ: u32 = 0;
/// NVIC line of a transmitted byte.
pub const TRANSMIT_IRQ: u32 = 1;
/// BAUDDIV: QEMU refuses to transmit below 16.
const BAUD_DIVISOR: u32 = 16;

register_bitfields![u32,
    STATE [
        TRANSMIT_FULL OFFSET(0) NUMBITS(1) [],
        RECEIVE_FULL OFFSET(1) NUMBITS(1) []
    ],
    CTRL [
        TRANSMIT_ENABLE OFFSET(0) NUMBITS(1) [],
        RECEIVE_ENABLE OFFSET(1) NUMBITS(1) [],
        TRANSMIT_INTERRUPT OFFSET(2) NUMBITS(1) [],
        RECEIVE_INTERRUPT OFFSET(3) NUMBITS(1) []
    ],
    INTERRUPT [
        TRANSMIT OFFSET(0) NUMBITS(1) [],
        RECEIVE OFFSET(1) NUMBITS(1) []
    ]
];

register_structs! {
    /// CMSDK UART registers.
    pub UartRegisters {
        (0x00 => data: ReadWrite<u32>),
        (0x04 => state: ReadWrite<u32, STATE::Register>),
        (0x08 => ctrl: ReadWrite<u32, CTRL::Register>),
        (0x0c => interrupt: ReadWrite<u32, INTERRUPT::Register>),
        (0x10 => baud_divisor: ReadWrite<u32>),
        (0x14 => _reserved),
        (0xfe0 => _identification: [ReadOnly<u32>; 8]),
        (0x1000 => @END),
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
    /// `base` must be the address of a CMSDK UART (0x4000_4000 on mps2).
    pub const unsafe fn new(base: usize) -> Self {
        Uart {
            // SAFETY: the caller guarantees the UART is mapped at `base`.
            registers: unsafe { &*(base as *const UartRegisters) },
            transmit_client: Cell::new(None),
            receive_client: Cell::new(None),
            transmit: Cell::new(Transfer::idle()),
            receive: Cell::new(Transfer::idle()),
            receive_aborted: Cell::new(false),
        }
    }

    /// Both directions on, interrupts off until a transfer starts.
    pub fn initialize(&self) {
        self.registers.baud_divisor.set(BAUD_DIVISOR);
        self.registers
            .ctrl
            .write(CTRL::TRANSMIT_ENABLE::SET + CTRL::RECEIVE_ENABLE::SET);
        self.registers
            .interrupt
            .write(INTERRUPT::TRANSMIT::SET + INTERRUPT::RECEIVE::SET);
    }

    /// Writes `text` by polling (panics, kernel messages). It may
    /// interleave with an interrupt-driven transmission but never drops.
    pub fn write_polled(&self, text: &[u8]) {
        for byte in text {
            while self.registers.state.is_set(STATE::TRANSMIT_FULL) {}
            self.registers.data.set(u32::from(*byte));
        }
    }

    /// Either UART interrupt: move bytes, then report finished transfers.
    pub fn handle_interrupt(&self) {
        self.registers
            .interrupt
            .write(INTERRUPT::TRANSMIT::SET + INTERRUPT::RECEIVE::SET);
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
            self.registers.ctrl.modify(CTRL::TRANSMIT_INTERRUPT::CLEAR);
            return;
        };
        if transfer.done < transfer.length && !self.registers.state.is_set(STATE::TRANSMIT_FULL) {
            self.registers.data.set(u32::from(buffer[transfer.done]));
            transfer.done += 1;
            // Completion is reported at the interrupt of the last byte.
            transfer.buffer = Some(buffer);
            self.transmit.set(transfer);
            return;
        }
        if transfer.done < transfer.length || self.registers.state.is_set(STATE::TRANSMIT_FULL) {
            transfer.buffer = Some(buffer);
            self.transmit.set(transfer);
            return;
        }
        self.registers.ctrl.modify(CTRL::TRANSMIT_INTERRUPT::CLEAR);
        if let Some(client) = self.transmit_client.get() {
            client.transmitted_buffer(buffer, transfer.length, Ok(()));
        }
    }

    fn service_receive(&self) {
        let mut transfer = self.receive.replace(Transfer::idle());
        let Some(buffer) = transfer.buffer.take() else {
            // Nobody listens: the byte waits in the UART for the next receive.
            self.registers.ctrl.modify(CTRL::RECEIVE_INTERRUPT::CLEAR);
            return;
        };
        while transfer.done < transfer.length && self.registers.state.is_set(STATE::RECEIVE_FULL) {
            buffer[transfer.done] = self.registers.data.get() as u8;
            transfer.done += 1;
        }
        if transfer.done < transfer.length {
            transfer.buffer = Some(buffer);
            self.receive.set(transfer);
            return;
        }
        self.registers.ctrl.modify(CTRL::RECEIVE_INTERRUPT::CLEAR);
        if let Some(client) = self.receive_client.get() {
            client.received_buffer(buffer, transfer.length, Ok(()));
        }
    }

    /// True if a byte waits to be read (the RX interrupt is edge-like:
    /// a byte that arrived while nobody listened raises none later).
    fn byte_waiting(&self) -> bool {
        self.registers.state.is_set(STATE::RECEIVE_FULL)
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

/// Pends an NVIC line so the kernel services the device from its loop
/// (the callback must never come from inside the downcall).
fn pend(irq: u32) {
    #[cfg(target_arch = "arm")]
    arch_cortex_m::nvic::set_pending(irq);
    #[cfg(not(target_arch = "arm"))]
    let _ = irq;
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
        self.registers.ctrl.modify(CTRL::TRANSMIT_INTERRUPT::SET);
        pend(TRANSMIT_IRQ);
        Ok(())
    }

    fn transmit_abort(&self) -> Result<(), ErrorCode> {
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
        self.registers.ctrl.modify(CTRL::RECEIVE_INTERRUPT::SET);
        if self.byte_waiting() {
            pend(RECEIVE_IRQ);
        }
        Ok(())
    }

    fn receive_abort(&self) -> Result<(), ErrorCode> {
        self.registers.ctrl.modify(CTRL::RECEIVE_INTERRUPT::CLEAR);
        self.receive_aborted.set(true);
        pend(RECEIVE_IRQ);
        Ok(())
    }
}

impl kernel::platform::DebugOutput for Uart {
    fn write_text(&self, text: &str) {
        self.write_polled(text.as_bytes());
    }
}
