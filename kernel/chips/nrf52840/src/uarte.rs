//! UARTE0 at 0x4000_2000 (NVIC 2): the console and loader link, 115200
//! 8N1, EasyDMA in both directions, plus a polled writer for panics and
//! kernel messages.
//!
//! EasyDMA reads and writes RAM only and counts at most 65535 bytes per
//! transfer (MAXCNT is 16 bits on the nRF52840), so longer buffers go out
//! in chunks. HIL buffers are `&'static mut`, hence in RAM. The polled
//! writer copies text (which may sit in flash) through a small RAM
//! buffer of its own.
//!
//! Reception: `receive_buffer` starts a DMA of `length` bytes; ENDRX ends
//! it. Between one ENDRX and the next STARTRX the UARTE keeps receiving
//! into its small hardware FIFO, so a client that re-arms from its
//! callback (the UART mux does) loses nothing at 115200 baud. An abort
//! triggers STOPRX: ENDRX follows with the bytes received so far, and the
//! client hears `Err(Cancel)`.

use core::cell::Cell;
use core::sync::atomic::{compiler_fence, Ordering};

use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

use crate::gpio::Pin;

/// NVIC line of UARTE0.
pub const UARTE0_IRQ: u32 = 2;
/// The longest single EasyDMA transfer.
pub const MAXIMUM_TRANSFER: usize = 0xffff;

register_bitfields![u32,
    Task [
        TRIGGER OFFSET(0) NUMBITS(1) []
    ],
    Event [
        GENERATED OFFSET(0) NUMBITS(1) []
    ],
    Interrupts [
        END_RECEIVE OFFSET(4) NUMBITS(1) [],
        END_TRANSMIT OFFSET(8) NUMBITS(1) [],
        RECEIVE_TIMEOUT OFFSET(17) NUMBITS(1) []
    ],
    Enable [
        ENABLE OFFSET(0) NUMBITS(4) [Disabled = 0, Enabled = 8]
    ],
    PinSelect [
        PIN OFFSET(0) NUMBITS(6) [],
        DISCONNECTED OFFSET(31) NUMBITS(1) []
    ]
];

register_structs! {
    /// UARTE registers (nRF52840 product specification, UARTE chapter).
    pub UarteRegisters {
        (0x000 => start_receive: WriteOnly<u32, Task::Register>),
        (0x004 => stop_receive: WriteOnly<u32, Task::Register>),
        (0x008 => start_transmit: WriteOnly<u32, Task::Register>),
        (0x00c => stop_transmit: WriteOnly<u32, Task::Register>),
        (0x010 => _reserved0),
        (0x110 => end_receive: ReadWrite<u32, Event::Register>),
        (0x114 => _reserved1),
        (0x120 => end_transmit: ReadWrite<u32, Event::Register>),
        (0x124 => error: ReadWrite<u32, Event::Register>),
        (0x128 => _reserved2),
        (0x144 => receive_timeout: ReadWrite<u32, Event::Register>),
        (0x148 => _reserved3),
        (0x304 => interrupt_enable_set: ReadWrite<u32, Interrupts::Register>),
        (0x308 => interrupt_enable_clear: ReadWrite<u32, Interrupts::Register>),
        (0x30c => _reserved4),
        (0x480 => error_source: ReadWrite<u32>),
        (0x484 => _reserved5),
        (0x500 => enable: ReadWrite<u32, Enable::Register>),
        (0x504 => _reserved6),
        (0x508 => select_rts: ReadWrite<u32, PinSelect::Register>),
        (0x50c => select_txd: ReadWrite<u32, PinSelect::Register>),
        (0x510 => select_cts: ReadWrite<u32, PinSelect::Register>),
        (0x514 => select_rxd: ReadWrite<u32, PinSelect::Register>),
        (0x518 => _reserved7),
        (0x524 => baud_rate: ReadWrite<u32>),
        (0x528 => _reserved8),
        (0x534 => receive_pointer: ReadWrite<u32>),
        (0x538 => receive_maximum: ReadWrite<u32>),
        (0x53c => receive_amount: ReadOnly<u32>),
        (0x540 => _reserved9),
        (0x544 => transmit_pointer: ReadWrite<u32>),
        (0x548 => transmit_maximum: ReadWrite<u32>),
        (0x54c => transmit_amount: ReadOnly<u32>),
        (0x550 => _reserved10),
        (0x56c => configuration: ReadWrite<u32>),
        (0x570 => @END),
    }
}

/// The BAUDRATE register value for `baud`, from the product
/// specification's table (the register is not a plain divider).
pub fn baud_rate_register(baud: u32) -> Option<u32> {
    let value = match baud {
        9600 => 0x0027_5000,
        19200 => 0x004e_a000,
        38400 => 0x009d_5000,
        57600 => 0x00eb_f000,
        115_200 => 0x01d7_e000,
        230_400 => 0x03af_b000,
        460_800 => 0x075f_7000,
        921_600 => 0x0ebe_d000,
        1_000_000 => 0x1000_0000,
        _ => return None,
    };
    Some(value)
}

/// The next DMA chunk of a transfer of `length` bytes with `done` sent:
/// `(offset, count)`, or `None` when it is complete.
pub fn next_chunk(length: usize, done: usize) -> Option<(usize, usize)> {
    (done < length).then(|| (done, (length - done).min(MAXIMUM_TRANSFER)))
}

/// The pins of the link (`None` for flow-control pins not used).
#[derive(Clone, Copy, Debug)]
pub struct UartPins {
    /// Transmit.
    pub transmit: Pin,
    /// Receive.
    pub receive: Pin,
    /// Clear to send, if flow control is wired.
    pub clear_to_send: Option<Pin>,
    /// Request to send, if flow control is wired.
    pub request_to_send: Option<Pin>,
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

/// UARTE0.
pub struct Uarte {
    registers: &'static UarteRegisters,
    transmit_client: Cell<Option<&'static dyn TransmitClient>>,
    receive_client: Cell<Option<&'static dyn ReceiveClient>>,
    transmit: Cell<Transfer>,
    receive: Cell<Transfer>,
    receive_aborting: Cell<bool>,
    /// The amount of a client chunk that ended while the polled writer
    /// ran (its ENDTX was consumed there).
    interrupted_transmit_amount: Cell<Option<usize>>,
}

fn pin_select(pin: Option<Pin>) -> u32 {
    match pin {
        Some(pin) => pin.number(),
        None => 1 << 31,
    }
}

impl Uarte {
    /// # Safety
    /// `base` must be a UARTE's address (UARTE0: 0x4000_2000), used by
    /// nothing else while the kernel runs.
    pub const unsafe fn new(base: usize) -> Self {
        Uarte {
            // SAFETY: the caller guarantees a UARTE is at `base`.
            registers: unsafe { &*(base as *const UarteRegisters) },
            transmit_client: Cell::new(None),
            receive_client: Cell::new(None),
            transmit: Cell::new(Transfer::idle()),
            receive: Cell::new(Transfer::idle()),
            receive_aborting: Cell::new(false),
            interrupted_transmit_amount: Cell::new(None),
        }
    }

    /// 8N1 at `baud` (one of [`baud_rate_register`]'s rates) on `pins`,
    /// no parity, no flow control; the end-of-transfer interrupts on.
    pub fn initialize(&self, pins: UartPins, baud: u32) -> Result<(), ErrorCode> {
        let rate = baud_rate_register(baud).ok_or(ErrorCode::Inval)?;
        let registers = self.registers;
        // Stop transfers a previous user (a bootloader, or the kernel
        // before a panic) left running before switching the block off.
        registers.stop_transmit.write(Task::TRIGGER::SET);
        registers.stop_receive.write(Task::TRIGGER::SET);
        registers.enable.write(Enable::ENABLE::Disabled);
        registers.select_txd.set(pin_select(Some(pins.transmit)));
        registers.select_rxd.set(pin_select(Some(pins.receive)));
        registers.select_cts.set(pin_select(pins.clear_to_send));
        registers.select_rts.set(pin_select(pins.request_to_send));
        registers.baud_rate.set(rate);
        registers.configuration.set(0);
        registers.end_transmit.set(0);
        registers.end_receive.set(0);
        registers.enable.write(Enable::ENABLE::Enabled);
        registers.interrupt_enable_set.write(
            Interrupts::END_TRANSMIT::SET
                + Interrupts::END_RECEIVE::SET
                + Interrupts::RECEIVE_TIMEOUT::SET,
        );
        Ok(())
    }

    fn start_transmit_chunk(&self, buffer: &[u8], offset: usize, count: usize) {
        // The DMA must see every byte written to the buffer before this.
        compiler_fence(Ordering::Release);
        let registers = self.registers;
        registers.end_transmit.set(0);
        registers
            .transmit_pointer
            .set(buffer[offset..].as_ptr() as u32);
        registers.transmit_maximum.set(count as u32);
        registers.start_transmit.write(Task::TRIGGER::SET);
    }

    fn start_receive_chunk(&self, buffer: &mut [u8], offset: usize, count: usize) {
        let registers = self.registers;
        registers.end_receive.set(0);
        registers
            .receive_pointer
            .set(buffer[offset..].as_mut_ptr() as u32);
        registers.receive_maximum.set(count as u32);
        registers.start_receive.write(Task::TRIGGER::SET);
    }

    /// Writes `text` by polling, for panics and kernel messages, through
    /// a RAM buffer (EasyDMA cannot read flash). A client transmission in
    /// flight is let finish first; its amount is kept for the interrupt
    /// path and the last polled chunk's ENDTX event is left set, so the
    /// interrupt still comes and the client hears back from it.
    pub fn write_polled(&self, text: &[u8]) {
        let registers = self.registers;
        let client_in_flight = self.transmit_in_flight();
        if client_in_flight && self.interrupted_transmit_amount.get().is_none() {
            while !registers.end_transmit.is_set(Event::GENERATED) {}
            self.interrupted_transmit_amount
                .set(Some(registers.transmit_amount.get() as usize));
        }
        let mut staging = [0u8; 32];
        for piece in text.chunks(staging.len()) {
            staging[..piece.len()].copy_from_slice(piece);
            self.start_transmit_chunk(&staging, 0, piece.len());
            while !registers.end_transmit.is_set(Event::GENERATED) {}
            compiler_fence(Ordering::Acquire);
        }
        if !client_in_flight {
            registers.end_transmit.set(0);
        }
    }

    fn transmit_in_flight(&self) -> bool {
        let current = self.transmit.replace(Transfer::idle());
        let in_flight = current.buffer.is_some();
        self.transmit.set(current);
        in_flight
    }

    /// UARTE0's interrupt: continue or finish the transfers whose DMA
    /// ended.
    pub fn handle_interrupt(&self) {
        let registers = self.registers;
        if registers.error.is_set(Event::GENERATED) {
            // Framing or overrun: the byte is dropped; the clients see the
            // gap (the loader protocol's CRC catches it).
            registers.error.set(0);
            registers.error_source.set(registers.error_source.get());
        }
        if registers.end_transmit.is_set(Event::GENERATED) {
            registers.end_transmit.set(0);
            compiler_fence(Ordering::Acquire);
            let amount = self
                .interrupted_transmit_amount
                .take()
                .unwrap_or(registers.transmit_amount.get() as usize);
            self.transmit_ended(amount);
        }
        if registers.end_receive.is_set(Event::GENERATED) {
            registers.end_receive.set(0);
            compiler_fence(Ordering::Acquire);
            self.receive_ended(registers.receive_amount.get() as usize);
        }
        if registers.receive_timeout.is_set(Event::GENERATED) {
            registers.receive_timeout.set(0);
        }
    }

    fn transmit_ended(&self, amount: usize) {
        let mut transfer = self.transmit.replace(Transfer::idle());
        let Some(buffer) = transfer.buffer.take() else {
            return;
        };
        transfer.done += amount;
        if let Some((offset, count)) = next_chunk(transfer.length, transfer.done) {
            self.start_transmit_chunk(buffer, offset, count);
            transfer.buffer = Some(buffer);
            self.transmit.set(transfer);
            return;
        }
        if let Some(client) = self.transmit_client.get() {
            client.transmitted_buffer(buffer, transfer.length, Ok(()));
        }
    }

    fn receive_ended(&self, amount: usize) {
        let mut transfer = self.receive.replace(Transfer::idle());
        let Some(buffer) = transfer.buffer.take() else {
            return;
        };
        transfer.done += amount;
        let result = if self.receive_aborting.replace(false) {
            Err(ErrorCode::Cancel)
        } else if let Some((offset, count)) = next_chunk(transfer.length, transfer.done) {
            self.start_receive_chunk(buffer, offset, count);
            transfer.buffer = Some(buffer);
            self.receive.set(transfer);
            return;
        } else {
            Ok(())
        };
        if let Some(client) = self.receive_client.get() {
            client.received_buffer(buffer, transfer.done, result);
        }
    }
}

/// Takes `slot` for a new transfer unless one is in progress.
fn claim(
    slot: &Cell<Transfer>,
    buffer: &'static mut [u8],
    length: usize,
) -> Result<&'static mut [u8], (ErrorCode, &'static mut [u8])> {
    if length == 0 || length > buffer.len() {
        return Err((ErrorCode::Size, buffer));
    }
    let current = slot.replace(Transfer::idle());
    let busy = current.buffer.is_some();
    slot.set(current);
    if busy {
        return Err((ErrorCode::Busy, buffer));
    }
    Ok(buffer)
}

impl Transmit<'static> for Uarte {
    fn set_transmit_client(&self, client: &'static dyn TransmitClient) {
        self.transmit_client.set(Some(client));
    }

    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        let buffer = claim(&self.transmit, buffer, length)?;
        let (offset, count) = (0, length.min(MAXIMUM_TRANSFER));
        self.start_transmit_chunk(buffer, offset, count);
        self.transmit.set(Transfer {
            buffer: Some(buffer),
            length,
            done: 0,
        });
        Ok(())
    }

    fn transmit_abort(&self) -> Result<(), ErrorCode> {
        // Transmissions end on their own within a few milliseconds.
        Err(ErrorCode::Busy)
    }
}

impl Receive<'static> for Uarte {
    fn set_receive_client(&self, client: &'static dyn ReceiveClient) {
        self.receive_client.set(Some(client));
    }

    fn receive_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        let buffer = claim(&self.receive, buffer, length)?;
        self.receive_aborting.set(false);
        self.start_receive_chunk(buffer, 0, length.min(MAXIMUM_TRANSFER));
        self.receive.set(Transfer {
            buffer: Some(buffer),
            length,
            done: 0,
        });
        Ok(())
    }

    fn receive_abort(&self) -> Result<(), ErrorCode> {
        let current = self.receive.replace(Transfer::idle());
        let active = current.buffer.is_some();
        self.receive.set(current);
        if !active {
            return Err(ErrorCode::Already);
        }
        // ENDRX follows STOPRX with what arrived; the callback comes from
        // that interrupt.
        self.receive_aborting.set(true);
        self.registers.stop_receive.write(Task::TRIGGER::SET);
        Ok(())
    }
}

impl kernel::platform::DebugOutput for Uarte {
    fn write_text(&self, text: &str) {
        self.write_polled(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baud_rates_come_from_the_specification_table() {
        assert_eq!(baud_rate_register(115_200), Some(0x01d7_e000));
        assert_eq!(baud_rate_register(9600), Some(0x0027_5000));
        assert_eq!(baud_rate_register(1_000_000), Some(0x1000_0000));
        assert_eq!(baud_rate_register(115_201), None);
        assert_eq!(baud_rate_register(0), None);
    }

    #[test]
    fn long_transfers_go_in_chunks_of_at_most_65535() {
        assert_eq!(next_chunk(10, 0), Some((0, 10)));
        assert_eq!(next_chunk(10, 4), Some((4, 6)));
        assert_eq!(next_chunk(10, 10), None);
        assert_eq!(next_chunk(70_000, 0), Some((0, MAXIMUM_TRANSFER)));
        assert_eq!(
            next_chunk(70_000, MAXIMUM_TRANSFER),
            Some((MAXIMUM_TRANSFER, 70_000 - MAXIMUM_TRANSFER))
        );
    }

    #[test]
    fn unused_flow_control_pins_are_disconnected() {
        assert_eq!(pin_select(None), 0x8000_0000);
        assert_eq!(pin_select(Some(Pin::new(0, 6))), 6);
        assert_eq!(pin_select(Some(Pin::new(1, 2))), 34);
    }
}
