//! The CMSDK APB UART at 0x4000_4000 (RX interrupt 0, TX interrupt 1),
//! interrupt driven in both directions, plus a polled writer for panics
//! and kernel messages.
//!
//! The TX interrupt fires when a byte has left the one-byte buffer, so a
//! transmission writes its first byte at once and the rest from
//! interrupts; the client hears back from interrupt context. Interrupt
//! status bits latch until written to INTCLEAR (the NVIC line stays high
//! until then). The buffering is the kernel's shared [`ByteUart`]; this
//! file holds the registers.

use kernel::hil::byte_uart::{ByteUart, ByteUartRegisters};
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

/// The CMSDK UART's registers, as the kernel's shared [`ByteUart`] drives
/// them.
pub struct Cmsdk(&'static UartRegisters);

/// The UART: the shared byte-UART buffering over the CMSDK registers.
pub type Uart = ByteUart<Cmsdk>;

impl Cmsdk {
    /// # Safety
    /// `base` must be the address of a CMSDK UART (0x4000_4000 on mps2).
    pub const unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees the UART is mapped at `base`.
        Cmsdk(unsafe { &*(base as *const UartRegisters) })
    }

    /// Both directions on, interrupts off until a transfer starts.
    pub fn initialize(&self) {
        self.0.baud_divisor.set(BAUD_DIVISOR);
        self.0
            .ctrl
            .write(CTRL::TRANSMIT_ENABLE::SET + CTRL::RECEIVE_ENABLE::SET);
        self.acknowledge_interrupt();
    }
}

/// Pends an NVIC line so the kernel services the device from its loop
/// (the callback must never come from inside the downcall).
fn pend(irq: u32) {
    #[cfg(target_arch = "arm")]
    arch_cortex_m::nvic::set_pending(irq);
    #[cfg(not(target_arch = "arm"))]
    let _ = irq;
}

impl ByteUartRegisters for Cmsdk {
    /// One byte at a time: the transmit buffer holds one.
    const TRANSMIT_BATCH: usize = 1;
    /// Completion is reported at the interrupt after the last byte left.
    const REPORT_AFTER_LAST_BYTE_LEFT: bool = true;

    fn transmit_ready(&self) -> bool {
        !self.0.state.is_set(STATE::TRANSMIT_FULL)
    }
    fn write_byte(&self, byte: u8) {
        self.0.data.set(u32::from(byte));
    }
    fn byte_waiting(&self) -> bool {
        self.0.state.is_set(STATE::RECEIVE_FULL)
    }
    fn read_byte(&self) -> u8 {
        self.0.data.get() as u8
    }
    fn set_transmit_interrupt(&self, enabled: bool) {
        self.0.ctrl.modify(if enabled {
            CTRL::TRANSMIT_INTERRUPT::SET
        } else {
            CTRL::TRANSMIT_INTERRUPT::CLEAR
        });
    }
    fn set_receive_interrupt(&self, enabled: bool) {
        self.0.ctrl.modify(if enabled {
            CTRL::RECEIVE_INTERRUPT::SET
        } else {
            CTRL::RECEIVE_INTERRUPT::CLEAR
        });
    }
    fn request_interrupt(&self) {
        pend(RECEIVE_IRQ);
    }
    /// Status bits latch until written to INTCLEAR.
    fn acknowledge_interrupt(&self) {
        self.0
            .interrupt
            .write(INTERRUPT::TRANSMIT::SET + INTERRUPT::RECEIVE::SET);
    }
    fn transmit_started(&self) {
        self.set_transmit_interrupt(true);
        pend(TRANSMIT_IRQ);
    }
    /// The RX interrupt is edge-like: a byte that arrived while nobody
    /// listened raises none later.
    fn receive_started(&self) {
        self.set_receive_interrupt(true);
        if self.byte_waiting() {
            pend(RECEIVE_IRQ);
        }
    }
}
