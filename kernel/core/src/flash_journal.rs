//! A power-cut-safe rewrite of one NOR erase block: how the kernel
//! changes flash bytes that programming alone cannot (a bit going from 0
//! to 1 needs an erase, and an erase takes the whole block with it).
//!
//! Guarantees (on a flash that only ever clears bits when programming):
//! - after a power cut at any point of [`FlashJournal::rewrite`], and the
//!   [`FlashJournal::recover`] the board runs at boot before loading
//!   processes, the target block holds either all of its old content or
//!   all of its new content, never a mix;
//! - every program request only clears bits (programs erased space, or
//!   clears the record's state word);
//! - only blocks inside the rewritable area are ever erased or written,
//!   apart from the journal's own two blocks.
//!
//! Must never: erase the target before a valid commit record names it,
//! or trust a record whose CRC does not match.
//!
//! Layout and steps (offsets are the flash's own, from its first byte):
//!
//! ```text
//!   rewritable area (app flash)      | records block     | spare block |
//!   ... [ target block ] ...         | [rec][rec][ ] ... | [copy]      |
//!
//!   (a) erase spare
//!   (b) program spare = target's content with the new bytes
//!   (c) program a commit record in the next free slot:
//!       magic | target | CRC of the spare | CRC of these 12 bytes | state
//!   (d) erase target        (e) program target from spare
//!   (f) clear the record's state word (bits 1 -> 0 only)
//!   boot: a record with magic, CRC and state all-ones means (d)-(f) again
//! ```
//!
//! The records block is erased only when it is full, at the start of a
//! rewrite, when no record in it is valid (every earlier rewrite reached
//! (f) or was replayed at boot).

use core::cell::RefCell;
use crc::{Crc, CRC_32_ISO_HDLC};

/// Why a flash operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NorError {
    /// The range is not inside the flash.
    OutOfRange,
    /// The device reported an error (its status value).
    Device(u32),
}

/// A NOR flash with blocking operations: programming can only clear bits
/// and an erase sets a whole block to 0xFF.
pub trait NorFlash {
    /// The erase block in bytes (a power of two).
    fn block_size(&self) -> usize;
    /// Copies flash at `offset` into `buffer`.
    fn read(&self, offset: usize, buffer: &mut [u8]) -> Result<(), NorError>;
    /// Programs `data` at `offset` (clears the bits that are 0 in `data`).
    fn program(&self, offset: usize, data: &[u8]) -> Result<(), NorError>;
    /// Erases the block starting at `offset`.
    fn erase_block(&self, offset: usize) -> Result<(), NorError>;
}

/// Why a rewrite or a recovery failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalError {
    /// The bytes to write are not inside one block of the rewritable area.
    OutsideArea(usize),
    /// A flash operation failed (the block may need [`FlashJournal::recover`]).
    Flash(NorError),
    /// A valid record names a spare whose CRC does not match: the target
    /// was left alone.
    SpareCorrupt(usize),
}

impl From<NorError> for JournalError {
    fn from(error: NorError) -> Self {
        JournalError::Flash(error)
    }
}

impl core::fmt::Display for JournalError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            JournalError::OutsideArea(offset) => {
                write!(
                    f,
                    "flash offset {:#x} is outside the rewritable area",
                    offset
                )
            }
            JournalError::Flash(error) => write!(f, "flash operation failed: {:?}", error),
            JournalError::SpareCorrupt(target) => write!(
                f,
                "the spare copy of block {:#x} is corrupt; the block was left alone",
                target
            ),
        }
    }
}

/// Changes flash bytes in place, the way a NOR flash allows.
pub trait BlockRewrite {
    /// Makes `data` the content at flash offset `offset`, keeping every
    /// other byte of its block; power-cut safe.
    fn rewrite(&self, offset: usize, data: &[u8]) -> Result<(), JournalError>;

    /// Makes the `length` bytes at flash offset `source` the content at
    /// `offset`, keeping every other byte of its block, in one commit: a
    /// whole image written elsewhere first becomes visible at once, which
    /// RAM too small to hold it could not give. Power-cut safe; the
    /// source lies in the rewritable area, possibly in the target block.
    fn rewrite_from_flash(
        &self,
        offset: usize,
        source: usize,
        length: usize,
    ) -> Result<(), JournalError>;

    /// Makes the `length` bytes at flash offset `offset` erased (0xFF),
    /// keeping every other byte of their block; power-cut safe. The
    /// journal does it in one commit (an app's store erasing half its
    /// region costs one block rewrite, not one per RAM buffer); this
    /// default, for fakes, rewrites buffer by buffer.
    fn rewrite_erased(&self, offset: usize, length: usize) -> Result<(), JournalError> {
        const ERASED: [u8; CHUNK] = [0xff; CHUNK];
        let mut done = 0;
        while done < length {
            let piece = CHUNK.min(length - done);
            self.rewrite(offset + done, &ERASED[..piece])?;
            done += piece;
        }
        Ok(())
    }
}

/// Where the new bytes of a rewrite come from.
#[derive(Clone, Copy)]
enum NewBytes<'d> {
    /// Bytes in RAM.
    Ram(&'d [u8]),
    /// `length` bytes of flash from this offset.
    Flash { source: usize, length: usize },
    /// `length` erased bytes (0xFF).
    Erased { length: usize },
}

impl NewBytes<'_> {
    fn len(&self) -> usize {
        match self {
            NewBytes::Ram(data) => data.len(),
            NewBytes::Flash { length, .. } | NewBytes::Erased { length } => *length,
        }
    }
}

/// CRC-32 (ISO-HDLC, as zlib), over records and spare copies.
const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// One record slot: magic, target, spare CRC, record CRC, state.
pub const RECORD_SLOT: usize = 32;
const RECORD_MAGIC: u32 = 0x4e52_4a54; // "TJRN"
const STATE_PENDING: u32 = 0xffff_ffff;
/// Bytes copied per step through the RAM bounce buffer.
pub const CHUNK: usize = 512;

/// The encoded commit record for `target` whose spare has CRC `spare_crc`
/// (the state word left erased: pending).
pub fn encode_record(target: usize, spare_crc: u32) -> [u8; 20] {
    let mut record = [0xffu8; 20];
    record[0..4].copy_from_slice(&RECORD_MAGIC.to_le_bytes());
    record[4..8].copy_from_slice(&(target as u32).to_le_bytes());
    record[8..12].copy_from_slice(&spare_crc.to_le_bytes());
    let crc = CRC32.checksum(&record[0..12]);
    record[12..16].copy_from_slice(&crc.to_le_bytes());
    record
}

/// A pending record's (target, spare CRC), or `None` if the slot holds no
/// valid pending record.
pub fn decode_pending_record(slot: &[u8]) -> Option<(usize, u32)> {
    let word = |at: usize| u32::from_le_bytes([slot[at], slot[at + 1], slot[at + 2], slot[at + 3]]);
    let valid = slot.len() >= 20
        && word(0) == RECORD_MAGIC
        && word(12) == CRC32.checksum(&slot[0..12])
        && word(16) == STATE_PENDING;
    valid.then(|| (word(4) as usize, word(8)))
}

/// The journal: a records block and a spare block after the rewritable
/// area `[area_start, area_end)`, all offsets within `flash`.
pub struct FlashJournal<'a, F: NorFlash> {
    flash: &'a F,
    area_start: usize,
    area_end: usize,
    records: usize,
    spare: usize,
    bounce: RefCell<[u8; CHUNK]>,
}

impl<'a, F: NorFlash> FlashJournal<'a, F> {
    /// A journal rewriting blocks of `[area_start, area_end)`, keeping its
    /// records in the block at `records` and copies in the block at
    /// `spare` (both block-aligned, outside the area).
    pub const fn new(
        flash: &'a F,
        area_start: usize,
        area_end: usize,
        records: usize,
        spare: usize,
    ) -> Self {
        FlashJournal {
            flash,
            area_start,
            area_end,
            records,
            spare,
            bounce: RefCell::new([0; CHUNK]),
        }
    }

    /// Finishes a rewrite a power cut interrupted after its commit record:
    /// the block it names gets its new content. `Ok(Some(target))` when a
    /// rewrite was finished, `Ok(None)` when there was none.
    pub fn recover(&self) -> Result<Option<usize>, JournalError> {
        let Some((slot, target, spare_crc)) = self.pending_record()? else {
            return Ok(None);
        };
        if !self.in_area(target, self.flash.block_size()) {
            return Err(JournalError::OutsideArea(target));
        }
        if self.block_crc(self.spare)? != spare_crc {
            return Err(JournalError::SpareCorrupt(target));
        }
        self.finish(slot, target)?;
        Ok(Some(target))
    }

    fn in_area(&self, offset: usize, length: usize) -> bool {
        offset >= self.area_start
            && offset
                .checked_add(length)
                .is_some_and(|end| end <= self.area_end)
    }

    /// The first valid pending record: (slot offset, target, spare CRC).
    fn pending_record(&self) -> Result<Option<(usize, usize, u32)>, JournalError> {
        let mut slot = [0u8; RECORD_SLOT];
        for index in 0..self.flash.block_size() / RECORD_SLOT {
            let offset = self.records + index * RECORD_SLOT;
            self.flash.read(offset, &mut slot)?;
            if slot.iter().all(|&byte| byte == 0xff) {
                return Ok(None);
            }
            if let Some((target, crc)) = decode_pending_record(&slot) {
                return Ok(Some((offset, target, crc)));
            }
        }
        Ok(None)
    }

    /// The first slot that is entirely erased, erasing the records block
    /// first when none is left.
    fn free_slot(&self) -> Result<usize, JournalError> {
        let mut slot = [0u8; RECORD_SLOT];
        for index in 0..self.flash.block_size() / RECORD_SLOT {
            let offset = self.records + index * RECORD_SLOT;
            self.flash.read(offset, &mut slot)?;
            if slot.iter().all(|&byte| byte == 0xff) {
                return Ok(offset);
            }
        }
        self.flash.erase_block(self.records)?;
        Ok(self.records)
    }

    fn block_crc(&self, block: usize) -> Result<u32, JournalError> {
        let mut hasher = CRC32.digest();
        let mut bounce = self.bounce.borrow_mut();
        for chunk in (0..self.flash.block_size()).step_by(CHUNK) {
            self.flash.read(block + chunk, &mut bounce[..])?;
            hasher.update(&bounce[..]);
        }
        Ok(hasher.finalize())
    }

    /// Steps (d)-(f): erase the target, copy the spare into it, retire
    /// the record.
    fn finish(&self, slot: usize, target: usize) -> Result<(), JournalError> {
        self.flash.erase_block(target)?;
        let mut bounce = self.bounce.borrow_mut();
        for chunk in (0..self.flash.block_size()).step_by(CHUNK) {
            self.flash.read(self.spare + chunk, &mut bounce[..])?;
            if bounce.iter().any(|&byte| byte != 0xff) {
                self.flash.program(target + chunk, &bounce[..])?;
            }
        }
        self.flash.program(slot + 16, &0u32.to_le_bytes())?;
        Ok(())
    }

    /// Steps (a)-(b): the spare gets the target block's content with
    /// `data` at `offset`; returns the spare's CRC.
    fn fill_spare(
        &self,
        target: usize,
        offset: usize,
        data: NewBytes,
    ) -> Result<u32, JournalError> {
        self.flash.erase_block(self.spare)?;
        let mut hasher = CRC32.digest();
        let mut bounce = self.bounce.borrow_mut();
        for chunk in (0..self.flash.block_size()).step_by(CHUNK) {
            let at = target + chunk;
            self.flash.read(at, &mut bounce[..])?;
            // The part of `data` that falls in this chunk.
            let start = offset.max(at);
            let end = (offset + data.len()).min(at + CHUNK);
            if start < end {
                let part = &mut bounce[start - at..end - at];
                match data {
                    NewBytes::Ram(bytes) => {
                        part.copy_from_slice(&bytes[start - offset..end - offset])
                    }
                    // Read before the target is touched: the source may
                    // lie in the target block itself.
                    NewBytes::Flash { source, .. } => {
                        self.flash.read(source + (start - offset), part)?
                    }
                    NewBytes::Erased { .. } => part.fill(0xff),
                }
            }
            hasher.update(&bounce[..]);
            if bounce.iter().any(|&byte| byte != 0xff) {
                self.flash.program(self.spare + chunk, &bounce[..])?;
            }
        }
        Ok(hasher.finalize())
    }
}

impl<F: NorFlash> FlashJournal<'_, F> {
    /// One rewrite of the block holding `[offset, offset + data.len())`.
    fn rewrite_block(&self, offset: usize, data: NewBytes) -> Result<(), JournalError> {
        let block_size = self.flash.block_size();
        let target = offset - offset % block_size;
        let fits = offset + data.len() <= target + block_size;
        if !fits || !self.in_area(offset, data.len()) {
            return Err(JournalError::OutsideArea(offset));
        }
        // A record left by an interrupted rewrite is finished first, so
        // that the spare and the records block may be reused.
        self.recover()?;
        let spare_crc = self.fill_spare(target, offset, data)?;
        let slot = self.free_slot()?;
        self.flash
            .program(slot, &encode_record(target, spare_crc)[..16])?;
        self.finish(slot, target)
    }
}

impl<F: NorFlash> BlockRewrite for FlashJournal<'_, F> {
    fn rewrite(&self, offset: usize, data: &[u8]) -> Result<(), JournalError> {
        self.rewrite_block(offset, NewBytes::Ram(data))
    }

    fn rewrite_from_flash(
        &self,
        offset: usize,
        source: usize,
        length: usize,
    ) -> Result<(), JournalError> {
        if !self.in_area(source, length) {
            return Err(JournalError::OutsideArea(source));
        }
        self.rewrite_block(offset, NewBytes::Flash { source, length })
    }

    fn rewrite_erased(&self, offset: usize, length: usize) -> Result<(), JournalError> {
        self.rewrite_block(offset, NewBytes::Erased { length })
    }
}

#[cfg(test)]
#[path = "tests/flash_journal.rs"]
mod tests;
