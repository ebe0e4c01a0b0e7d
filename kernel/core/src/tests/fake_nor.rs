//! A fake NOR flash for the power-cut tests of the flash journal and the
//! trust store: programming refuses to set bits, and the power goes after
//! a chosen number of operations (the cut operation is left half done:
//! half the bytes programmed, a third of the block erased). Once the power
//! is gone every operation fails until it comes back.

extern crate std;

use crate::flash_journal::{NorError, NorFlash};
use std::cell::{Cell, RefCell};
use std::vec::Vec;

pub(crate) struct FakeNor {
    pub(crate) bytes: RefCell<Vec<u8>>,
    block: usize,
    /// Whole operations left before the power goes; `None`: never.
    power_left: Cell<Option<usize>>,
    dead: Cell<bool>,
    /// Programs and erases so far (reads are not counted).
    pub(crate) operations: Cell<usize>,
}

impl FakeNor {
    /// A flash of `bytes` with erase blocks of `block` bytes, powered.
    pub(crate) fn new(block: usize, bytes: Vec<u8>) -> Self {
        FakeNor {
            bytes: RefCell::new(bytes),
            block,
            power_left: Cell::new(None),
            dead: Cell::new(false),
            operations: Cell::new(0),
        }
    }

    /// Power on, to be cut after `whole` more operations (`None`: never).
    pub(crate) fn power(&self, whole: Option<usize>) {
        self.dead.set(false);
        self.power_left.set(whole);
    }

    /// `Ok(true)`: do the whole operation; `Ok(false)`: do part of it and
    /// then fail; `Err`: the power is already off.
    fn spend(&self) -> Result<bool, NorError> {
        if self.dead.get() {
            return Err(NorError::Device(0xdead));
        }
        self.operations.set(self.operations.get() + 1);
        match self.power_left.get() {
            None => Ok(true),
            Some(0) => {
                self.dead.set(true);
                Ok(false)
            }
            Some(left) => {
                self.power_left.set(Some(left - 1));
                Ok(true)
            }
        }
    }
}

impl NorFlash for FakeNor {
    fn block_size(&self) -> usize {
        self.block
    }

    fn read(&self, offset: usize, buffer: &mut [u8]) -> Result<(), NorError> {
        if self.dead.get() {
            return Err(NorError::Device(0xdead));
        }
        let bytes = self.bytes.borrow();
        let source = bytes
            .get(offset..offset + buffer.len())
            .ok_or(NorError::OutOfRange)?;
        buffer.copy_from_slice(source);
        Ok(())
    }

    fn program(&self, offset: usize, data: &[u8]) -> Result<(), NorError> {
        let whole = self.spend()?;
        let mut bytes = self.bytes.borrow_mut();
        let target = bytes
            .get_mut(offset..offset + data.len())
            .ok_or(NorError::OutOfRange)?;
        for (old, new) in target.iter().zip(data) {
            assert_eq!(
                new & !*old,
                0,
                "programming would set bits at {offset:#x}: a NOR flash cannot"
            );
        }
        let count = if whole { data.len() } else { data.len() / 2 };
        for (old, new) in target.iter_mut().zip(data).take(count) {
            *old &= new;
        }
        whole.then_some(()).ok_or(NorError::Device(0xdead))
    }

    fn erase_block(&self, offset: usize) -> Result<(), NorError> {
        assert_eq!(offset % self.block, 0, "erase of a non-block address");
        let whole = self.spend()?;
        let mut bytes = self.bytes.borrow_mut();
        let block = bytes
            .get_mut(offset..offset + self.block)
            .ok_or(NorError::OutOfRange)?;
        let count = if whole { self.block } else { self.block / 3 };
        block[..count].fill(0xff);
        whole.then_some(()).ok_or(NorError::Device(0xdead))
    }
}
