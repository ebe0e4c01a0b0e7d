//! The platform-level interrupt controller, context 0 (hart 0, machine
//! mode). Sources used here: the UART (10) and virtio-mmio slots (1..=8).

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite};

register_structs! {
    /// PLIC registers for context 0.
    pub PlicRegisters {
        (0x000000 => priority: [ReadWrite<u32>; 1024]),
        (0x001000 => pending: [ReadOnly<u32>; 32]),
        (0x001080 => _reserved0),
        (0x002000 => enable: [ReadWrite<u32>; 32]),
        (0x002080 => _reserved1),
        (0x200000 => threshold: ReadWrite<u32>),
        (0x200004 => claim: ReadWrite<u32>),
        (0x200008 => @END),
    }
}

/// The PLIC.
pub struct Plic {
    registers: &'static PlicRegisters,
}

impl Plic {
    /// # Safety
    /// `base` must be the PLIC's address (0x0c00_0000 on virt).
    pub const unsafe fn new(base: usize) -> Self {
        Plic {
            // SAFETY: the caller guarantees the PLIC is mapped at `base`.
            registers: unsafe { &*(base as *const PlicRegisters) },
        }
    }

    /// Enables `source` for context 0 with priority 1 (threshold is 0).
    pub fn enable(&self, source: u32) {
        let Some(priority) = self.registers.priority.get(source as usize) else {
            return;
        };
        priority.set(1);
        let word = &self.registers.enable[(source / 32) as usize];
        word.set(word.get() | 1 << (source % 32));
        self.registers.threshold.set(0);
    }

    /// The highest-priority pending source, claimed, or `None`.
    pub fn claim(&self) -> Option<u32> {
        match self.registers.claim.get() {
            0 => None,
            source => Some(source),
        }
    }

    /// Tells the PLIC that `source` has been handled.
    pub fn complete(&self, source: u32) {
        self.registers.claim.set(source);
    }
}
