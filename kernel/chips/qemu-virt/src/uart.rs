//! The 16550 UART at 0x1000_0000 (PLIC source 10), interrupt driven in
//! both directions, plus a polled writer for panics and kernel messages.
//!
//! Split-phase: `transmit` takes a buffer and returns at once; bytes go out
//! from the THR-empty interrupt and the client gets the buffer back when
//! the last one is written. `receive` works the same way on the
//! received-data interrupt. The buffering is the kernel's shared
//! [`ByteUart`]; this file holds the registers.
#![allow(
    clippy::modulo_one,
    reason = "register_structs! checks the alignment of u8 registers with `% 1`"
)]

use kernel::hil::byte_uart::{ByteUart, ByteUartRegisters};
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

/// The 16550's registers, as the kernel's shared [`ByteUart`] drives them.
pub struct Ns16550(&'static UartRegisters);

/// The UART: the shared byte-UART buffering over the 16550's registers.
pub type Uart = ByteUart<Ns16550>;

impl Ns16550 {
    /// # Safety
    /// `base` must be the address of a 16550 (0x1000_0000 on virt).
    pub const unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees a 16550 is mapped at `base`.
        Ns16550(unsafe { &*(base as *const UartRegisters) })
    }

    /// 8N1, FIFOs on and cleared, interrupts off until a transfer starts.
    /// (QEMU ignores the divisor; it is left at reset.)
    pub fn initialize(&self) {
        self.0.ier.set(0);
        self.0.lcr.write(LCR::WORD_LENGTH::EightBits);
        self.0
            .fcr
            .write(FCR::ENABLE::SET + FCR::CLEAR_RECEIVE::SET + FCR::CLEAR_TRANSMIT::SET);
        self.0.mcr.write(MCR::OUT2::SET);
    }
}

impl ByteUartRegisters for Ns16550 {
    /// The FIFO takes 16 bytes once the THR is empty.
    const TRANSMIT_BATCH: usize = 16;
    const REPORT_AFTER_LAST_BYTE_LEFT: bool = false;

    fn transmit_ready(&self) -> bool {
        self.0.lsr.is_set(LSR::TRANSMIT_HOLDING_EMPTY)
    }
    fn write_byte(&self, byte: u8) {
        self.0.data.set(byte);
    }
    fn byte_waiting(&self) -> bool {
        self.0.lsr.is_set(LSR::DATA_READY)
    }
    fn read_byte(&self) -> u8 {
        self.0.data.get()
    }
    fn set_transmit_interrupt(&self, enabled: bool) {
        self.0.ier.modify(if enabled {
            IER::TRANSMIT_EMPTY::SET
        } else {
            IER::TRANSMIT_EMPTY::CLEAR
        });
    }
    fn set_receive_interrupt(&self, enabled: bool) {
        self.0.ier.modify(if enabled {
            IER::RECEIVED_DATA::SET
        } else {
            IER::RECEIVED_DATA::CLEAR
        });
    }
    /// THR-empty raises one at once (the transmit path switches it off
    /// again when idle). It also makes a new transmission start from
    /// interrupt context, so the client always hears back from there.
    fn request_interrupt(&self) {
        self.set_transmit_interrupt(true);
    }
}
