//! A power-cut-safe key-value store over an app's isolated non-volatile
//! storage (Tock driver 0x50004), holding the CTAP2 app's resident
//! credentials, PIN state and signature counter.
//!
//! # What it guarantees
//!
//! - Every operation that returned `Ok` persists, across any later power
//!   cut.
//! - An operation interrupted by a power cut (or failing with
//!   [`StoreError::Storage`]) either happened entirely or not at all:
//!   [`Store::transaction`] (up to 8 updates) and [`Store::clear`] included.
//! - [`Store::open`] never panics, whatever the storage holds: every
//!   length, key and offset read from storage is checked before use.
//! - An operation that fails with any error other than `Storage` changed
//!   nothing. After a `Storage` error the store mounts again (at once, or
//!   at its next operation), so what it reports is what the storage holds.
//!
//! These hold unless torn bytes happen to pass a CRC-32 (a 2^-32 chance
//! per torn write). Values cannot forge records: the log is parsed only
//! at record boundaries that a valid record gave.
//!
//! It must never write outside the storage's `size()`, trust a record whose
//! CRC fails, or append after bytes it cannot account for.
//!
//! # The storage it runs on (the contract of [`Storage`])
//!
//! A region of `size()` bytes that reads 0xFF where never written. Reads
//! and writes may start at any offset. A write sets the bytes to what is
//! given. A write that only clears bits of what is stored (such as into
//! erased 0xFF space) is cheap; any other write makes the kernel rewrite a
//! whole 256 KiB erase block, atomically but slowly. So the store appends
//! into erased space and erases rarely, in large writes of 0xFF. A power
//! cut during a write may leave that write's range with any content (torn,
//! partly programmed, garbage); everything outside the range is intact.
//! Every operation is a system call, so the store reads ahead in
//! 512-byte windows and gathers each record into one write.
//!
//! # Layout
//!
//! ```text
//!  region: | bank 0 (size/2)                 | bank 1 (size/2)                 |
//!  bank:   | header 16 | record | record | ... record | 0xFF 0xFF ... 0xFF   |
//!            ^ written LAST when the bank is made       ^ tail: next append
//!  header: magic "CSt1" | generation u32 | bank size u32 | CRC-32 of the 12
//!  record: body length u16 | kind 0xA5 | 0x5A | entries ... | CRC-32 of all before
//!  entry:  insert: tag u16 (key) | value length u16 | value bytes
//!          remove: tag u16 (bit 15 set | key)
//! ```
//!
//! All numbers are little-endian. One record holds 1 to 8 entries (an
//! insert, a remove, or a whole transaction), so a record is the unit of
//! atomicity: it counts only once its CRC is right.
//!
//! Mounting takes the bank with a valid header and the newest generation
//! and replays its records in order, up to the first that is erased or
//! fails its checks, into a RAM index (key -> offset and length of its
//! newest value; the values stay in storage). If anything after that point
//! is not erased (a torn append), the log is not appended to again: the
//! next write compacts first.
//!
//! Compaction erases the other bank (0xFF writes), copies every live value
//! into it as one-insert records, and then writes its header with the
//! generation plus one. Until that header is complete the old bank stays
//! the newest valid one, so a cut anywhere loses nothing. Clear is a
//! compaction that copies nothing, followed by an erase of the old bank so
//! that no removed credential stays readable.
//!
//! # Space and cost
//!
//! A value of `n` bytes takes `n + 12` bytes ([`INSERT_RECORD_OVERHEAD`]);
//! a removal record takes 10. Live data may fill a bank except for a
//! reserve of one largest transaction record ([`MAX_RECORD_BYTES`], at most
//! half the bank), so a compaction can always make room for an update that
//! does not grow the data (such as the signature counter). A 256 KiB - 64
//! byte region leaves 122,792 bytes: 393 values of 300 bytes, 298 of 400.
//! RAM: 8 bytes per `CAPACITY` key plus about 2 KiB of stack at most
//! (read and write buffers, during a compaction).
//!
//! An insert is one record, written in one write when it is at most 512
//! bytes (values up to 500 bytes), two or three writes otherwise; a
//! removal is one write. When the bank is full, that write is preceded by
//! a compaction: the erase of the other bank (one 0xFF write per 4 KiB not
//! yet erased, see [`Storage::erase`]), one write per 512 bytes of live
//! data, and the header write. Mounting reads about one 512-byte window
//! per 512 bytes of bank.
//!
//! A removed or replaced value stays in the storage until its bank is
//! erased, by the second compaction after the removal; [`Store::clear`]
//! erases both banks at once.
#![cfg_attr(not(any(test, feature = "ram")), no_std)]
#![forbid(unsafe_code)]

mod format;
mod index;
mod io;
mod replay;
mod store;

#[cfg(any(test, feature = "ram"))]
pub mod ram;

#[cfg(test)]
mod tests;

pub use format::{
    BANK_HEADER_BYTES, INSERT_RECORD_OVERHEAD, MAX_RECORD_BYTES, MAX_UPDATES, REMOVE_RECORD_BYTES,
};
pub use store::Store;

/// The largest value the store holds.
pub const MAX_VALUE_BYTES: usize = 1024;
/// The largest key: keys are `0..=MAX_KEY`.
pub const MAX_KEY: u16 = 0xFFF;

/// Byte-addressed non-volatile storage (see the crate doc for the contract).
pub trait Storage {
    /// The region's size in bytes.
    fn size(&self) -> usize;
    /// Reads `buffer.len()` bytes at `offset`.
    fn read(&mut self, offset: usize, buffer: &mut [u8]) -> Result<(), StorageError>;
    /// Writes `data` at `offset`.
    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), StorageError>;

    /// Sets `offset..offset + length` to 0xFF. Every write that is not
    /// into erased space costs a whole erase-block rewrite, so the provided
    /// version reads the range in 512-byte pieces and writes 0xFF over each
    /// run of pieces not already erased, up to 4 KiB at a time (from a
    /// constant, so 4 KiB of flash). An implementation that can erase in
    /// fewer writes should override it.
    fn erase(&mut self, offset: usize, length: usize) -> Result<(), StorageError> {
        const PIECE: usize = 512;
        const ERASED: [u8; 8 * PIECE] = [0xFF; 8 * PIECE];
        let mut buffer = [0; PIECE];
        let end = offset + length;
        // `offset..position` is erased; `dirty..position` is to be written.
        let mut position = offset;
        let mut dirty = offset;
        while position < end {
            let piece = PIECE.min(end - position);
            self.read(position, &mut buffer[..piece])?;
            let clean = buffer[..piece].iter().all(|&byte| byte == 0xFF);
            if clean && dirty < position {
                self.write(dirty, &ERASED[..position - dirty])?;
            }
            position += piece;
            if clean || position - dirty == ERASED.len() {
                if !clean {
                    self.write(dirty, &ERASED)?;
                }
                dirty = position;
            }
        }
        if dirty < end {
            self.write(dirty, &ERASED[..end - dirty])?;
        }
        Ok(())
    }
}

/// The storage failed (or the power went) during a read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageError;

/// Why a store operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// The storage failed: the operation may or may not have happened (it
    /// happened entirely or not at all).
    Storage,
    /// No room: the data would not fit, or the index holds `CAPACITY` keys.
    NoSpace,
    /// A value is longer than [`MAX_VALUE_BYTES`].
    ValueTooLarge,
    /// The buffer is too small for the value, which has `needed` bytes.
    BufferTooSmall { needed: usize },
    /// A key is above [`MAX_KEY`].
    InvalidKey,
    /// A transaction has more than [`MAX_UPDATES`] updates.
    TooManyUpdates,
}

impl From<StorageError> for StoreError {
    fn from(_: StorageError) -> Self {
        StoreError::Storage
    }
}

/// One update of a [`Store::transaction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update<'a> {
    Insert { key: u16, value: &'a [u8] },
    Remove { key: u16 },
}

impl Update<'_> {
    pub fn key(&self) -> u16 {
        match *self {
            Update::Insert { key, .. } | Update::Remove { key } => key,
        }
    }
}
