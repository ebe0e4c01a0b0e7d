//! A flash in host memory for tests: completes an operation only when
//! told, and can lose power partway through the n-th write or erase.

extern crate std;

use core::cell::{Cell, RefCell};
use std::vec;
use std::vec::Vec;

use kernel::hil::flash::{Flash, FlashClient};
use kernel::ErrorCode;

use super::format::PAGE_BYTES;

enum Completion {
    Read(&'static mut [u8]),
    Write(&'static mut [u8]),
    Erase,
}

/// The fake flash.
pub struct FakeFlash {
    /// The contents (persist across "reboots" by sharing this).
    pub memory: &'static RefCell<Vec<u8>>,
    erase_pages: usize,
    in_flight: Cell<Option<Completion>>,
    client: Cell<Option<&'static dyn FlashClient>>,
    /// Writes and erases left before the power fails (None: never).
    pub power_budget: Cell<Option<usize>>,
    /// True once the power has failed: nothing completes any more.
    pub dead: Cell<bool>,
    /// Operations started.
    pub operations: Cell<usize>,
}

impl FakeFlash {
    /// `pages` erased pages.
    pub fn erased(pages: usize) -> &'static RefCell<Vec<u8>> {
        std::boxed::Box::leak(std::boxed::Box::new(RefCell::new(vec![
            0xFF;
            pages * PAGE_BYTES
        ])))
    }

    /// A device over `memory`.
    pub fn new(memory: &'static RefCell<Vec<u8>>, erase_pages: usize) -> &'static FakeFlash {
        std::boxed::Box::leak(std::boxed::Box::new(FakeFlash {
            memory,
            erase_pages,
            in_flight: Cell::new(None),
            client: Cell::new(None),
            power_budget: Cell::new(None),
            dead: Cell::new(false),
            operations: Cell::new(0),
        }))
    }

    /// Completes the operation in flight; false if there was none.
    pub fn complete(&self) -> bool {
        if self.dead.get() {
            return false;
        }
        let (Some(completion), Some(client)) = (self.in_flight.take(), self.client.get()) else {
            return false;
        };
        match completion {
            Completion::Read(buffer) => client.read_complete(buffer, Ok(())),
            Completion::Write(buffer) => client.write_complete(buffer, Ok(())),
            Completion::Erase => client.erase_complete(Ok(())),
        }
        true
    }

    /// Spends one unit of power; true if the power fails now.
    fn power_fails(&self) -> bool {
        match self.power_budget.get() {
            Some(0) => {
                self.dead.set(true);
                true
            }
            Some(left) => {
                self.power_budget.set(Some(left - 1));
                false
            }
            None => false,
        }
    }

    fn start(&self, completion: Completion) -> Result<(), Completion> {
        if self.dead.get() {
            return Ok(());
        }
        let busy = self.in_flight.take();
        if let Some(busy) = busy {
            self.in_flight.set(Some(busy));
            return Err(completion);
        }
        self.operations.set(self.operations.get() + 1);
        self.in_flight.set(Some(completion));
        Ok(())
    }

    fn range(&self, page: usize, pages: usize) -> Result<core::ops::Range<usize>, ErrorCode> {
        let start = page * PAGE_BYTES;
        let end = start + pages * PAGE_BYTES;
        if end > self.memory.borrow().len() {
            return Err(ErrorCode::Inval);
        }
        Ok(start..end)
    }
}

fn refused(completion: Completion) -> (ErrorCode, &'static mut [u8]) {
    match completion {
        Completion::Read(buffer) | Completion::Write(buffer) => (ErrorCode::Busy, buffer),
        Completion::Erase => unreachable!("erase carries no buffer"),
    }
}

impl Flash<'static> for FakeFlash {
    fn set_client(&self, client: &'static dyn FlashClient) {
        self.client.set(Some(client));
    }
    fn page_size(&self) -> usize {
        PAGE_BYTES
    }
    fn erase_size(&self) -> usize {
        PAGE_BYTES * self.erase_pages
    }
    fn read_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        let range = match self.range(page, 1) {
            Ok(range) => range,
            Err(error) => return Err((error, buffer)),
        };
        buffer[..PAGE_BYTES].copy_from_slice(&self.memory.borrow()[range]);
        self.start(Completion::Read(buffer)).map_err(refused)
    }
    fn write_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        let range = match self.range(page, 1) {
            Ok(range) => range,
            Err(error) => return Err((error, buffer)),
        };
        let length = if self.power_fails() {
            PAGE_BYTES / 2
        } else {
            PAGE_BYTES
        };
        let mut memory = self.memory.borrow_mut();
        for (stored, &byte) in memory[range].iter_mut().zip(&buffer[..length]) {
            // Programming only clears bits, as on a real flash.
            *stored &= byte;
        }
        drop(memory);
        self.start(Completion::Write(buffer)).map_err(refused)
    }
    fn erase_page(&self, page: usize) -> Result<(), ErrorCode> {
        let block = page - page % self.erase_pages;
        let range = self.range(block, self.erase_pages)?;
        let length = if self.power_fails() {
            range.len() / 2 + 7
        } else {
            range.len()
        };
        self.memory.borrow_mut()[range.start..range.start + length].fill(0xFF);
        self.start(Completion::Erase).map_err(|_| ErrorCode::Busy)
    }
}
