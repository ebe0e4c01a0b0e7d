//! The RNG at 0x4000_D000 (NVIC 13): a true random number generator
//! (thermal noise) giving one byte per VALRDY event, with the hardware's
//! bias correction on. Four bytes make one word for the entropy HIL.
//!
//! The client is called once per word, from the interrupt's bottom half,
//! and says whether it wants more; the generator stops when it does not.

use core::cell::Cell;

use kernel::hil::entropy::{Continue, Entropy32, Entropy32Client};
use kernel::ErrorCode;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

/// NVIC line of the RNG.
pub const RNG_IRQ: u32 = 13;

register_bitfields![u32,
    Task [
        TRIGGER OFFSET(0) NUMBITS(1) []
    ],
    Event [
        GENERATED OFFSET(0) NUMBITS(1) []
    ],
    Interrupts [
        VALUE_READY OFFSET(0) NUMBITS(1) []
    ],
    Configuration [
        BIAS_CORRECTION OFFSET(0) NUMBITS(1) []
    ]
];

register_structs! {
    /// RNG registers (nRF52840 product specification, RNG chapter).
    pub RngRegisters {
        (0x000 => start: WriteOnly<u32, Task::Register>),
        (0x004 => stop: WriteOnly<u32, Task::Register>),
        (0x008 => _reserved0),
        (0x100 => value_ready: ReadWrite<u32, Event::Register>),
        (0x104 => _reserved1),
        (0x304 => interrupt_enable_set: ReadWrite<u32, Interrupts::Register>),
        (0x308 => interrupt_enable_clear: ReadWrite<u32, Interrupts::Register>),
        (0x30c => _reserved2),
        (0x504 => configuration: ReadWrite<u32, Configuration::Register>),
        (0x508 => value: ReadOnly<u32>),
        (0x50c => @END),
    }
}

/// Collects bytes into little-endian words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WordAssembler {
    word: u32,
    bytes: u8,
}

impl WordAssembler {
    /// Adds `byte`; returns the word once it holds four bytes (and starts
    /// the next one empty).
    pub fn push(&mut self, byte: u8) -> Option<u32> {
        self.word |= u32::from(byte) << (8 * u32::from(self.bytes));
        self.bytes += 1;
        if self.bytes < 4 {
            return None;
        }
        let word = self.word;
        *self = WordAssembler::default();
        Some(word)
    }
}

/// The RNG.
pub struct Rng {
    registers: &'static RngRegisters,
    client: Cell<Option<&'static dyn Entropy32Client>>,
    assembler: Cell<WordAssembler>,
    running: Cell<bool>,
}

impl Rng {
    /// # Safety
    /// `base` must be the RNG's address (0x4000_D000), used by nothing
    /// else.
    pub const unsafe fn new(base: usize) -> Self {
        Rng {
            // SAFETY: the caller guarantees the RNG is at `base`.
            registers: unsafe { &*(base as *const RngRegisters) },
            client: Cell::new(None),
            assembler: Cell::new(WordAssembler { word: 0, bytes: 0 }),
            running: Cell::new(false),
        }
    }

    fn halt(&self) {
        self.running.set(false);
        self.registers.stop.write(Task::TRIGGER::SET);
        self.registers
            .interrupt_enable_clear
            .write(Interrupts::VALUE_READY::SET);
    }

    /// The RNG's interrupt: take the byte; hand over each full word.
    pub fn handle_interrupt(&self) {
        if !self.registers.value_ready.is_set(Event::GENERATED) {
            return;
        }
        self.registers.value_ready.set(0);
        let byte = (self.registers.value.get() & 0xff) as u8;
        if !self.running.get() {
            return;
        }
        let mut assembler = self.assembler.get();
        let word = assembler.push(byte);
        self.assembler.set(assembler);
        let (Some(word), Some(client)) = (word, self.client.get()) else {
            return;
        };
        if client.entropy_available(&mut core::iter::once(word), Ok(())) == Continue::Done {
            self.halt();
        }
    }
}

impl Entropy32<'static> for Rng {
    fn set_client(&self, client: &'static dyn Entropy32Client) {
        self.client.set(Some(client));
    }

    fn get(&self) -> Result<(), ErrorCode> {
        if self.running.replace(true) {
            return Ok(());
        }
        let registers = self.registers;
        registers
            .configuration
            .write(Configuration::BIAS_CORRECTION::SET);
        registers.value_ready.set(0);
        registers
            .interrupt_enable_set
            .write(Interrupts::VALUE_READY::SET);
        registers.start.write(Task::TRIGGER::SET);
        Ok(())
    }

    fn cancel(&self) -> Result<(), ErrorCode> {
        self.halt();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_bytes_make_a_little_endian_word() {
        let mut assembler = WordAssembler::default();
        assert_eq!(assembler.push(0x78), None);
        assert_eq!(assembler.push(0x56), None);
        assert_eq!(assembler.push(0x34), None);
        assert_eq!(assembler.push(0x12), Some(0x1234_5678));
        // The next word starts empty.
        for byte in [1, 0, 0] {
            assert_eq!(assembler.push(byte), None);
        }
        assert_eq!(assembler.push(0), Some(1));
    }
}
