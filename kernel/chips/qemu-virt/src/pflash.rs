//! The CFI parallel flash (Intel command set) that QEMU backs with a
//! file: the device's persistent flash and its reset vector.
//!
//! Reads are plain memory reads. Program and erase put the bank in
//! command mode, during which it cannot be read or executed from, so the
//! routines that issue commands live in `.ramfunc` (copied to RAM at
//! boot by `_start`), see [`cfi`], and run with interrupts off (the
//! kernel never takes interrupts).
//!
//! Programming goes through the chips' write buffer (one command per
//! buffer window rather than one per word: QEMU persists each command to
//! the backing file, so this is what makes installs fast). A partial word
//! is programmed with the other bytes' current contents, which is right
//! both on real flash (programming can only clear bits) and on QEMU.

use core::cell::Cell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::flash_journal::{NorError, NorFlash};
use kernel::hil::flash::{Flash, FlashClient};
use kernel::ErrorCode;

pub use qemu_virt_pflash_cfi as cfi;

/// The erase block of QEMU virt's pflash.
pub const BLOCK_SIZE: usize = cfi::BLOCK_SIZE;
/// The page of the flash HIL (the tock-bootloader protocol's page).
pub const PAGE_SIZE: usize = 512;

/// Why a flash operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashError {
    /// The range is not inside the bank.
    OutOfRange,
    /// An erase address is not at the start of a 256 KiB block.
    NotBlockAligned,
    /// The chip reported an error; the status register value.
    Device(u32),
}

/// Bytes programmed per deferred call: a page write is split into steps
/// so that one kernel-loop step never programs more than this, and
/// interrupts are served between steps. One write-buffer command each.
pub const PROGRAM_STEP_BYTES: usize = PAGE_SIZE;

/// A finished operation waiting for its deferred callback, or a page
/// write in progress.
enum Completion {
    Read(&'static mut [u8], Result<(), ErrorCode>),
    /// Bytes `done..` of the page at `offset` remain to be programmed.
    Programming {
        buffer: &'static mut [u8],
        offset: usize,
        done: usize,
    },
    Erase(Result<(), ErrorCode>),
}

/// The range of a page write that the next step programs, or `None` when
/// the page is done.
pub fn next_program_step(done: usize) -> Option<core::ops::Range<usize>> {
    (done < PAGE_SIZE).then(|| done..(done + PROGRAM_STEP_BYTES).min(PAGE_SIZE))
}

/// The flash bank. Reads and erases run to completion at once (QEMU's
/// flash is never busy); a page write programs [`PROGRAM_STEP_BYTES`] per
/// deferred call. The HIL callback follows from a deferred call.
pub struct Pflash {
    base: usize,
    size: usize,
    deferred_call: Cell<Option<DeferredCall>>,
    client: Cell<Option<&'static dyn FlashClient>>,
    completion: Cell<Option<Completion>>,
    /// The write buffer size read from the CFI table; 0 until asked.
    write_buffer_bytes: Cell<usize>,
}

/// Checks that `[offset, offset + length)` lies in a bank of `size`.
pub fn check_range(size: usize, offset: usize, length: usize) -> Result<(), FlashError> {
    match offset.checked_add(length) {
        Some(end) if end <= size => Ok(()),
        _ => Err(FlashError::OutOfRange),
    }
}

/// Reads a status register value: ready and no error bit.
pub fn check_status(status: u32) -> Result<(), FlashError> {
    cfi::check_status(status).map_err(FlashError::from)
}

impl From<cfi::CfiError> for FlashError {
    fn from(error: cfi::CfiError) -> Self {
        match error {
            cfi::CfiError::Misaligned => FlashError::NotBlockAligned,
            cfi::CfiError::Device(status) => FlashError::Device(status),
        }
    }
}

impl Pflash {
    /// # Safety
    /// A CFI pflash bank of `size` bytes must be mapped at `base`, and no
    /// Rust reference may point into it while it is programmed or erased.
    pub const unsafe fn new(base: usize, size: usize) -> Self {
        Pflash {
            base,
            size,
            deferred_call: Cell::new(None),
            client: Cell::new(None),
            completion: Cell::new(None),
            write_buffer_bytes: Cell::new(0),
        }
    }

    /// Gives the driver its deferred call, needed by the HIL callbacks.
    pub fn set_deferred_call(&'static self, call: DeferredCall) {
        call.register(self);
        self.deferred_call.set(Some(call));
    }

    fn complete_later(&self, completion: Completion) -> Result<(), Completion> {
        let Some(call) = self.deferred_call.get() else {
            return Err(completion);
        };
        let previous = self.completion.replace(None);
        if previous.is_some() {
            self.completion.set(previous);
            return Err(completion);
        }
        self.completion.set(Some(completion));
        call.set();
        Ok(())
    }

    /// The bank's address.
    pub fn base(&self) -> usize {
        self.base
    }

    /// The bank's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Copies `buffer.len()` bytes from `offset` into `buffer`.
    pub fn read(&self, offset: usize, buffer: &mut [u8]) -> Result<(), FlashError> {
        check_range(self.size, offset, buffer.len())?;
        for (index, byte) in buffer.iter_mut().enumerate() {
            // SAFETY: in range, checked above; the bank is in read-array
            // mode outside the RAM routines.
            *byte = unsafe { ((self.base + offset + index) as *const u8).read_volatile() };
        }
        Ok(())
    }

    /// Writes `data` at `offset` (into erased flash, or over bits that only
    /// go from 1 to 0). `data` must be in RAM.
    pub fn program(&self, offset: usize, data: &[u8]) -> Result<(), FlashError> {
        check_range(self.size, offset, data.len())?;
        // Word programming (feature `write_buffer` off) needs no buffer.
        let buffer_bytes = if cfg!(feature = "write_buffer") {
            self.write_buffer_bytes()
        } else {
            cfi::DEFAULT_WRITE_BUFFER_BYTES
        };
        // SAFETY: the range is in the bank (checked above), `data` is a
        // RAM buffer (flash contents are never handed to the HIL as
        // `&mut`), and nothing else uses the bank while this runs.
        unsafe { cfi::program(self.base + offset, data, buffer_bytes) }.map_err(FlashError::from)
    }

    /// Erases the 256 KiB block starting at `offset` to 0xFF.
    pub fn erase_block(&self, offset: usize) -> Result<(), FlashError> {
        if !offset.is_multiple_of(BLOCK_SIZE) {
            return Err(FlashError::NotBlockAligned);
        }
        check_range(self.size, offset, BLOCK_SIZE)?;
        // SAFETY: a block start inside the bank (checked above).
        unsafe { cfi::erase_block(self.base + offset) }.map_err(FlashError::from)
    }

    /// The chips' write buffer in bytes (asked once, then remembered).
    pub fn write_buffer_bytes(&self) -> usize {
        if self.write_buffer_bytes.get() == 0 {
            // SAFETY: `base` is the bank's start (constructor contract).
            self.write_buffer_bytes
                .set(unsafe { cfi::write_buffer_bytes(self.base) });
        }
        self.write_buffer_bytes.get()
    }
}

/// Blocking access for the flash journal (`kernel::flash_journal`), which
/// rewrites whole erase blocks; `program` sources are its RAM buffer.
impl NorFlash for Pflash {
    fn block_size(&self) -> usize {
        BLOCK_SIZE
    }

    fn read(&self, offset: usize, buffer: &mut [u8]) -> Result<(), NorError> {
        Pflash::read(self, offset, buffer).map_err(NorError::from)
    }

    fn program(&self, offset: usize, data: &[u8]) -> Result<(), NorError> {
        Pflash::program(self, offset, data).map_err(NorError::from)
    }

    fn erase_block(&self, offset: usize) -> Result<(), NorError> {
        Pflash::erase_block(self, offset).map_err(NorError::from)
    }
}

impl From<FlashError> for NorError {
    fn from(error: FlashError) -> Self {
        match error {
            FlashError::OutOfRange | FlashError::NotBlockAligned => NorError::OutOfRange,
            FlashError::Device(status) => NorError::Device(status),
        }
    }
}

fn to_error_code(error: FlashError) -> ErrorCode {
    match error {
        FlashError::OutOfRange | FlashError::NotBlockAligned => ErrorCode::Inval,
        FlashError::Device(_) => ErrorCode::Fail,
    }
}

/// The byte offset of `page`, if the page lies in a bank of `size`.
pub fn page_offset(size: usize, page: usize) -> Result<usize, ErrorCode> {
    let offset = page.checked_mul(PAGE_SIZE).ok_or(ErrorCode::Inval)?;
    check_range(size, offset, PAGE_SIZE).map_err(to_error_code)?;
    Ok(offset)
}

impl DeferredCallClient for Pflash {
    fn handle_deferred_call(&self) {
        let (Some(completion), Some(client)) = (self.completion.take(), self.client.get()) else {
            return;
        };
        match completion {
            Completion::Read(buffer, result) => client.read_complete(buffer, result),
            Completion::Programming {
                buffer,
                offset,
                done,
            } => self.program_step(client, buffer, offset, done),
            Completion::Erase(result) => client.erase_complete(result),
        }
    }
}

impl Pflash {
    /// Programs the next step of a page write, then either asks for
    /// another deferred call or tells the client.
    fn program_step(
        &self,
        client: &'static dyn FlashClient,
        buffer: &'static mut [u8],
        offset: usize,
        done: usize,
    ) {
        let Some(step) = next_program_step(done) else {
            return client.write_complete(buffer, Ok(()));
        };
        let end = step.end;
        if let Err(error) = self.program(offset + step.start, &buffer[step]) {
            return client.write_complete(buffer, Err(to_error_code(error)));
        }
        let next = Completion::Programming {
            buffer,
            offset,
            done: end,
        };
        if let Err(Completion::Programming { buffer, .. }) = self.complete_later(next) {
            client.write_complete(buffer, Err(ErrorCode::Fail));
        }
    }
}

fn refuse(completion: Completion) -> Result<(), (ErrorCode, &'static mut [u8])> {
    match completion {
        Completion::Read(buffer, _) | Completion::Programming { buffer, .. } => {
            Err((ErrorCode::Busy, buffer))
        }
        Completion::Erase(_) => Ok(()),
    }
}

impl Flash<'static> for Pflash {
    fn set_client(&self, client: &'static dyn FlashClient) {
        self.client.set(Some(client));
    }

    fn page_size(&self) -> usize {
        PAGE_SIZE
    }

    fn erase_size(&self) -> usize {
        BLOCK_SIZE
    }

    fn read_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        let offset = match page_offset(self.size, page) {
            Ok(offset) if buffer.len() >= PAGE_SIZE => offset,
            Ok(_) => return Err((ErrorCode::Size, buffer)),
            Err(code) => return Err((code, buffer)),
        };
        let result = self
            .read(offset, &mut buffer[..PAGE_SIZE])
            .map_err(to_error_code);
        self.complete_later(Completion::Read(buffer, result))
            .or_else(refuse)
    }

    fn write_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        let offset = match page_offset(self.size, page) {
            Ok(offset) if buffer.len() >= PAGE_SIZE => offset,
            Ok(_) => return Err((ErrorCode::Size, buffer)),
            Err(code) => return Err((code, buffer)),
        };
        self.complete_later(Completion::Programming {
            buffer,
            offset,
            done: 0,
        })
        .or_else(refuse)
    }

    fn erase_page(&self, page: usize) -> Result<(), ErrorCode> {
        let offset = page_offset(self.size, page)?;
        if self.completion_pending() {
            return Err(ErrorCode::Busy);
        }
        let result = self
            .erase_block(offset - offset % BLOCK_SIZE)
            .map_err(to_error_code);
        self.complete_later(Completion::Erase(result))
            .map_err(|_| ErrorCode::Reserve)
    }
}

impl Pflash {
    fn completion_pending(&self) -> bool {
        let completion = self.completion.take();
        let pending = completion.is_some();
        self.completion.set(completion);
        pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_status_are_checked() {
        assert_eq!(check_range(0x100, 0xf0, 0x10), Ok(()));
        assert_eq!(check_range(0x100, 0xf0, 0x11), Err(FlashError::OutOfRange));
        assert_eq!(
            check_range(0x100, usize::MAX, 2),
            Err(FlashError::OutOfRange)
        );
        assert_eq!(check_status(0x80), Ok(()));
        assert_eq!(check_status(0x0080_0080), Ok(()));
        assert_eq!(check_status(0x90), Err(FlashError::Device(0x90)));
        assert_eq!(check_status(0x00), Err(FlashError::Device(0)));
        assert_eq!(page_offset(0x2000_0000, 3), Ok(3 * PAGE_SIZE));
        assert_eq!(page_offset(1024, 2), Err(ErrorCode::Inval));
    }

    #[test]
    fn a_page_write_is_programmed_in_bounded_steps_covering_the_page() {
        let mut done = 0;
        let mut steps = 0;
        while let Some(step) = next_program_step(done) {
            assert_eq!(step.start, done);
            assert!(step.end > step.start && step.len() <= PROGRAM_STEP_BYTES);
            done = step.end;
            steps += 1;
        }
        assert_eq!(done, PAGE_SIZE);
        assert_eq!(steps, PAGE_SIZE.div_ceil(PROGRAM_STEP_BYTES));
    }
}
