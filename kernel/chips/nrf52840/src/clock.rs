//! The CLOCK block at 0x4000_0000: starts the 64 MHz crystal (HFXO, for an
//! accurate UART baud rate) and the 32.768 kHz crystal (LFXO, which clocks
//! the RTC) at boot.
//!
//! Start-up waits by polling the STARTED events: it runs once, before the
//! kernel loop, and takes well under a millisecond for the HFXO and up to
//! about 0.25 s for the LFXO on the DK.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields![u32,
    Task [
        TRIGGER OFFSET(0) NUMBITS(1) []
    ],
    Event [
        GENERATED OFFSET(0) NUMBITS(1) []
    ],
    LowFrequencySource [
        SOURCE OFFSET(0) NUMBITS(2) [
            InternalRc = 0,
            Crystal = 1,
            Synthesized = 2
        ]
    ],
    HighFrequencyStatus [
        SOURCE OFFSET(0) NUMBITS(1) [Rc = 0, Crystal = 1],
        RUNNING OFFSET(16) NUMBITS(1) []
    ],
    LowFrequencyStatus [
        SOURCE OFFSET(0) NUMBITS(2) [InternalRc = 0, Crystal = 1, Synthesized = 2],
        RUNNING OFFSET(16) NUMBITS(1) []
    ]
];

register_structs! {
    /// CLOCK registers (nRF52840 product specification, CLOCK chapter).
    pub ClockRegisters {
        (0x000 => high_frequency_start: WriteOnly<u32, Task::Register>),
        (0x004 => _high_frequency_stop: WriteOnly<u32, Task::Register>),
        (0x008 => low_frequency_start: WriteOnly<u32, Task::Register>),
        (0x00c => _reserved0),
        (0x100 => high_frequency_started: ReadWrite<u32, Event::Register>),
        (0x104 => low_frequency_started: ReadWrite<u32, Event::Register>),
        (0x108 => _reserved1),
        (0x40c => high_frequency_status: ReadOnly<u32, HighFrequencyStatus::Register>),
        (0x410 => _reserved2),
        (0x418 => low_frequency_status: ReadOnly<u32, LowFrequencyStatus::Register>),
        (0x41c => _reserved3),
        (0x518 => low_frequency_source: ReadWrite<u32, LowFrequencySource::Register>),
        (0x51c => @END),
    }
}

/// The clock controller.
pub struct Clock {
    registers: &'static ClockRegisters,
}

impl Clock {
    /// # Safety
    /// `base` must be the CLOCK block's address (0x4000_0000 on nRF52840).
    pub const unsafe fn new(base: usize) -> Self {
        Clock {
            // SAFETY: the caller guarantees the CLOCK block is at `base`.
            registers: unsafe { &*(base as *const ClockRegisters) },
        }
    }

    /// Starts both crystals and waits until they run.
    pub fn start_crystals(&self) {
        let registers = self.registers;
        registers.high_frequency_started.set(0);
        registers.high_frequency_start.write(Task::TRIGGER::SET);
        while !registers.high_frequency_started.is_set(Event::GENERATED) {}
        registers
            .low_frequency_source
            .write(LowFrequencySource::SOURCE::Crystal);
        registers.low_frequency_started.set(0);
        registers.low_frequency_start.write(Task::TRIGGER::SET);
        while !registers.low_frequency_started.is_set(Event::GENERATED) {}
    }

    /// True once both crystals run (the board prints a warning otherwise).
    pub fn crystals_running(&self) -> bool {
        let high = self.registers.high_frequency_status.extract();
        let low = self.registers.low_frequency_status.extract();
        high.is_set(HighFrequencyStatus::RUNNING)
            && high.matches_all(HighFrequencyStatus::SOURCE::Crystal)
            && low.is_set(LowFrequencyStatus::RUNNING)
            && low.matches_all(LowFrequencyStatus::SOURCE::Crystal)
    }
}
