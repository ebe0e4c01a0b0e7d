//! Driver behaviour against fake register blocks: each driver is built
//! over zeroed host memory standing in for its peripheral, the test plays
//! the hardware's part (setting events and counters) and checks what the
//! driver programmed and what its client heard.

mod nvmc;
mod rtc;
mod uarte;

use core::cell::Cell;

/// Zeroed memory standing in for a peripheral's registers, word by word.
pub struct FakeRegisters(&'static [Cell<u32>]);

impl FakeRegisters {
    /// A block of `bytes` (rounded up to words), zeroed, leaked for the
    /// test's duration (drivers hold `&'static` registers).
    pub fn new(bytes: usize) -> Self {
        let words: Vec<Cell<u32>> = (0..bytes.div_ceil(4)).map(|_| Cell::new(0)).collect();
        FakeRegisters(Box::leak(words.into_boxed_slice()))
    }

    /// The address to hand to a driver's constructor.
    pub fn base(&self) -> usize {
        self.0.as_ptr() as usize
    }

    /// The register at byte `offset`.
    pub fn get(&self, offset: usize) -> u32 {
        self.0[offset / 4].get()
    }

    /// Set the register at byte `offset`, as the hardware would.
    pub fn set(&self, offset: usize, value: u32) {
        self.0[offset / 4].set(value);
    }
}

/// A `&'static mut` buffer of `length` bytes for split-phase calls.
pub fn buffer(length: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; length].into_boxed_slice())
}
