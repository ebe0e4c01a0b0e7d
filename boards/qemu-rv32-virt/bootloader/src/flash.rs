//! Pflash unit 0 as the bootloader engine's flash: reads are memory
//! reads; writes program in place where only bits 1 -> 0 change, and
//! otherwise go through the kernel's flash journal (`kernel::flash_journal`:
//! spare block and commit record), so that a reset at any moment leaves
//! the block all old or all new; the kernel finishes an interrupted
//! rewrite at its next boot, and so does the bootloader when it starts
//! serving.
//!
//! The CFI command routines are the chip driver's own
//! (`qemu-virt-pflash-cfi`): they run from RAM (`.ramfunc`, copied by our
//! start-up), since nothing can execute from the bank while it is in
//! command mode and the bootloader runs from that bank, and they return
//! with the bank in read-array mode.

use qemu_virt_pflash_cfi as cfi;

use kernel::flash_journal::{BlockRewrite, FlashJournal, NorError, NorFlash};
use loader_protocol::{BootloaderFlash, Erase, FlashFault, PAGE_SIZE};

/// Pflash unit 0.
pub const FLASH_BASE: usize = 0x2000_0000;
/// Bytes staged on the stack per program command.
const STAGE_BYTES: usize = 512;

/// A CFI failure as the journal reports it.
fn nor_error(error: cfi::CfiError) -> NorError {
    match error {
        cfi::CfiError::Misaligned => NorError::OutOfRange,
        cfi::CfiError::Device(status) => NorError::Device(status),
    }
}

fn read_byte(address: usize) -> u8 {
    // SAFETY: callers pass addresses inside pflash unit 0 (the engine and
    // the journal check their ranges), which is mapped for reading
    // whenever no command is in progress (the command routines return in
    // read-array mode).
    unsafe { core::ptr::read_volatile(address as *const u8) }
}

/// The bank, as the journal sees it: offsets from [`FLASH_BASE`].
pub struct Nor;

impl NorFlash for Nor {
    fn block_size(&self) -> usize {
        cfi::BLOCK_SIZE
    }

    fn read(&self, offset: usize, buffer: &mut [u8]) -> Result<(), NorError> {
        for (index, slot) in buffer.iter_mut().enumerate() {
            *slot = read_byte(FLASH_BASE + offset + index);
        }
        Ok(())
    }

    /// Programs `data` through the write buffer (partial words at the
    /// edges keep the bytes flash holds), staged on the stack first: the
    /// source of a CFI program must never be in the bank.
    fn program(&self, offset: usize, data: &[u8]) -> Result<(), NorError> {
        let mut stage = [0u8; STAGE_BYTES];
        for (index, chunk) in data.chunks(STAGE_BYTES).enumerate() {
            let source = &mut stage[..chunk.len()];
            source.copy_from_slice(chunk);
            let address = FLASH_BASE + offset + index * STAGE_BYTES;
            // SAFETY: the range is app flash, an empty attribute slot, the
            // journal's blocks or a block of the journal's area (app flash,
            // trust store, isolated storage; checked by the engine and the
            // journal);
            // the source is on the stack; the routines run from RAM and
            // leave the bank in read-array mode.
            unsafe { cfi::program(address, source, cfi::DEFAULT_WRITE_BUFFER_BYTES) }
                .map_err(nor_error)?;
        }
        Ok(())
    }

    fn erase_block(&self, offset: usize) -> Result<(), NorError> {
        // SAFETY: `offset` starts an erase block the journal may erase
        // (its area from app flash to its records, or its own two blocks,
        // never the bootloader's or the kernel's; the
        // routine refuses an unaligned one); it runs from RAM and leaves
        // the bank in read-array mode.
        unsafe { cfi::erase_block(FLASH_BASE + offset) }.map_err(nor_error)
    }
}

/// The engine's flash: in-place programming, or the journal.
pub struct Pflash<'a> {
    nor: &'a Nor,
    journal: FlashJournal<'a, Nor>,
}

impl<'a> Pflash<'a> {
    /// Over `nor`, rewriting blocks of `[area_start, area_end)` (app
    /// flash and the kernel's areas the journal covers) through the
    /// journal at `records` and `spare` (absolute addresses).
    pub fn new(nor: &'a Nor, area_start: u32, area_end: u32, records: u32, spare: u32) -> Self {
        let offset = |address: u32| address as usize - FLASH_BASE;
        Pflash {
            nor,
            journal: FlashJournal::new(
                nor,
                offset(area_start),
                offset(area_end),
                offset(records),
                offset(spare),
            ),
        }
    }

    /// Finishes a rewrite that a reset interrupted. A failure (a corrupt
    /// spare) leaves the block alone; the kernel reports it at boot.
    pub fn recover(&self) {
        let _ = self.journal.recover();
    }

    /// Rewrites through the journal, one block at a time.
    fn rewrite(&self, offset: usize, data: &[u8]) -> Result<(), FlashFault> {
        let mut done = 0;
        while done < data.len() {
            let here = offset + done;
            let block_end = (here / cfi::BLOCK_SIZE + 1) * cfi::BLOCK_SIZE;
            let length = (block_end - here).min(data.len() - done);
            self.journal
                .rewrite(here, &data[done..done + length])
                .map_err(|_| FlashFault::Device)?;
            done += length;
        }
        Ok(())
    }
}

impl BootloaderFlash for Pflash<'_> {
    fn read(&mut self, address: u32, out: &mut [u8]) -> Result<(), FlashFault> {
        let offset = address as usize - FLASH_BASE;
        self.nor.read(offset, out).map_err(|_| FlashFault::Device)
    }

    fn write(&mut self, address: u32, data: &[u8], erase: Erase) -> Result<(), FlashFault> {
        let start = address as usize;
        let (mut differs, mut needs_erase) = (false, false);
        for (index, new) in data.iter().enumerate() {
            let old = read_byte(start + index);
            differs |= old != *new;
            needs_erase |= new & !old != 0;
        }
        let offset = start - FLASH_BASE;
        match (differs, needs_erase, erase) {
            (false, _, _) => return Ok(()),
            (true, false, _) => self
                .nor
                .program(offset, data)
                .map_err(|_| FlashFault::Device)?,
            (true, true, Erase::Forbidden) => return Err(FlashFault::NeedsErase),
            (true, true, Erase::Allowed) => self.rewrite(offset, data)?,
        }
        let landed = data
            .iter()
            .enumerate()
            .all(|(index, byte)| read_byte(start + index) == *byte);
        if landed {
            Ok(())
        } else {
            Err(FlashFault::Device)
        }
    }

    fn erase(&mut self, address: u32, length: u32) -> Result<(), FlashFault> {
        let erased = [0xFFu8; PAGE_SIZE];
        let mut done = 0u32;
        while done < length {
            let step = (length - done).min(PAGE_SIZE as u32);
            self.write(address + done, &erased[..step as usize], Erase::Allowed)?;
            done += step;
        }
        Ok(())
    }
}
