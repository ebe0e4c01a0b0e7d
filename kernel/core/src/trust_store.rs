//! The kernel's trust store (feature `credentials`): the board's app
//! signing keys (active or revoked), the root key that signs changes to
//! them, each app's minimum version and the verified-digest records, kept
//! in two flash banks the kernel alone writes. The format is
//! [`tbf::trust`] (shared with the host tools).
//!
//! # Flash layout (two erase blocks, outside app flash)
//! ```text
//!  bank A (one erase block)                    bank B (one erase block)
//!  +------------------------------------+      +------------------------+
//!  | magic "TRST" u32 | generation u32  |      | same layout            |
//!  | length u32 | CRC-32 of state u32   |      |                        |
//!  | commit u32 (0: committed)  | pad   |      |                        |
//!  | 32: encoded TrustState (length)    |      |                        |
//!  | ... erased                         |      |                        |
//!  +------------------------------------+      +------------------------+
//!  update: erase the bank not in use, program the state, then the header,
//!  then clear the commit word; mount takes the valid bank with the
//!  highest generation.
//! ```
//! A power cut at any point leaves the old bank untouched and the new one
//! either committed and whole or not valid, so mount finds the old or the
//! new state, never a mix. First boot (no valid bank): the state is made
//! from the keys built into the kernel ([`TrustStore::mount`]'s
//! `bootstrap`) and written to bank A.
//!
//! # Guarantees
//! - Only the kernel writes it: no driver exposes it; the loader service
//!   applies only changes signed by the current root key with a higher
//!   sequence number ([`TrustStore::apply_signed`]).
//! - The state in RAM is what flash holds, or will hold after the next
//!   [`TrustStore::flush`] (the checker batches a boot's digest records
//!   and minimum versions into one write); a change is applied in RAM only
//!   once its bank is committed.
//!
//! Threat model: an attacker who can write this flash directly can also
//! replace the kernel; verified-digest records trust the flash as much as
//! the kernel image does.
//!
//! Must never: erase the bank holding the current state, or apply a change
//! whose signature does not verify with the root key.

use core::cell::{Cell, Ref, RefCell};

use crc::{Crc, CRC_32_ISO_HDLC};
use p256_verify::{verify_prehashed, PublicKey};
use tbf::trust::{Change, ChangeKind, FormatError, SignedChange, MAX_ENCODED_STATE};

pub use crate::credential::ChangeRefusal;
pub use tbf::trust::{RawKey, TrustState};

use crate::flash_journal::{NorError, NorFlash};

/// Bank header: magic, generation, length, CRC, commit word, padding.
pub const BANK_HEADER_BYTES: usize = 32;
const BANK_MAGIC: u32 = 0x5453_5254; // "TRST"
const COMMITTED: u32 = 0;
const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// Why the store could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustStoreError {
    /// A flash operation failed.
    Flash(NorError),
}

impl From<NorError> for TrustStoreError {
    fn from(error: NorError) -> Self {
        TrustStoreError::Flash(error)
    }
}

/// How [`TrustStore::mount`] found the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mounted {
    /// A committed bank, with this generation.
    Loaded(u32),
    /// No valid bank: made from the built-in keys (and written, or not).
    Created(Result<(), TrustStoreError>),
}

/// The trust store over two banks of a NOR flash. Constant-constructed
/// (all zeros), so a board keeps it in a `static` in `.bss`: the 9 KiB
/// never pass through the kernel's small stack.
pub struct TrustStore<'a> {
    flash: Cell<Option<&'a dyn NorFlash>>,
    /// Flash offsets of banks A and B (each one erase block).
    banks: Cell<[usize; 2]>,
    /// The board's name: a change scoped to another board is refused.
    board: Cell<Option<&'static [u8]>>,
    state: RefCell<TrustState>,
    /// Where a bank is decoded and a change is tried before it becomes
    /// `state` (in the store, not on the kernel's small stack).
    scratch: RefCell<TrustState>,
    /// The bank holding the state, and its generation.
    current: Cell<Option<(usize, u32)>>,
    /// RAM changes (records, minimums) not yet in flash.
    dirty: Cell<bool>,
    buffer: RefCell<[u8; BANK_HEADER_BYTES + MAX_ENCODED_STATE]>,
}

impl Default for TrustStore<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> TrustStore<'a> {
    /// An empty store; [`Self::attach`] it to its flash, then
    /// [`Self::mount`] it.
    pub const fn new() -> Self {
        TrustStore {
            flash: Cell::new(None),
            banks: Cell::new([0; 2]),
            board: Cell::new(None),
            state: RefCell::new(TrustState::empty()),
            scratch: RefCell::new(TrustState::empty()),
            current: Cell::new(None),
            dirty: Cell::new(false),
            buffer: RefCell::new([0; BANK_HEADER_BYTES + MAX_ENCODED_STATE]),
        }
    }

    /// Keep the store in the erase blocks at flash offsets `banks`, for
    /// the board named `board` (the scope a change may name).
    pub fn attach(&self, flash: &'a dyn NorFlash, banks: [usize; 2], board: &'static [u8]) {
        self.flash.set(Some(flash));
        self.banks.set(banks);
        self.board.set(Some(board));
    }

    /// Read the newest committed bank; with none, make the first state
    /// (`root`, and `keys` active in this order) and write it.
    pub fn mount(&self, root: Option<RawKey>, keys: &[RawKey]) -> Mounted {
        let mut newest: Option<u32> = None;
        for bank in 0..2 {
            let Some(generation) = self.read_bank(bank) else {
                continue;
            };
            if newest.is_none_or(|newest| generation > newest) {
                newest = Some(generation);
                core::mem::swap(
                    &mut *self.state.borrow_mut(),
                    &mut *self.scratch.borrow_mut(),
                );
                self.current.set(Some((bank, generation)));
            }
        }
        if let Some(generation) = newest {
            return Mounted::Loaded(generation);
        }
        self.state.borrow_mut().reset(root, keys);
        self.dirty.set(true);
        Mounted::Created(self.flush().map(|_| ()))
    }

    /// The state (borrowed: do not hold it across a call that changes it).
    pub fn state(&self) -> Ref<'_, TrustState> {
        self.state.borrow()
    }

    /// Change the state in RAM (digest records, minimum versions); it
    /// reaches flash at the next [`Self::flush`].
    pub fn update<R>(&self, change: impl FnOnce(&mut TrustState) -> (R, bool)) -> R {
        let (result, changed) = change(&mut self.state.borrow_mut());
        if changed {
            self.dirty.set(true);
        }
        result
    }

    /// Whether RAM holds changes flash does not.
    pub fn is_dirty(&self) -> bool {
        self.dirty.get()
    }

    /// The board's name (the scope a change may name).
    pub fn board(&self) -> &'static [u8] {
        self.board.get().unwrap_or(&[])
    }

    /// Write the state to flash if it changed; `Ok(true)` if written.
    pub fn flush(&self) -> Result<bool, TrustStoreError> {
        if !self.dirty.get() {
            return Ok(false);
        }
        self.commit(&self.state.borrow())?;
        self.dirty.set(false);
        Ok(true)
    }

    /// Verify `bytes` (a signed change) against the root key, apply it and
    /// commit the new state; RAM changes only once flash holds it. Returns
    /// the change applied.
    pub fn apply_signed(&self, bytes: &[u8]) -> Result<Change, ChangeRefusal> {
        let signed = SignedChange::decode(bytes).map_err(ChangeRefusal::Malformed)?;
        let root = self.state.borrow().root.ok_or(ChangeRefusal::NoRootKey)?;
        let key = PublicKey::from_raw(&root).ok_or(ChangeRefusal::BadSignature)?;
        if !verify_prehashed(&key, &signed.digest(), &signed.signature) {
            return Err(ChangeRefusal::BadSignature);
        }
        // A key that is not a P-256 point would refuse every app it is
        // tried on (or every later change, as the root).
        if let ChangeKind::AddKey(key) | ChangeKind::ReplaceRoot(key) = &signed.change.kind {
            if PublicKey::from_raw(key).is_none() {
                return Err(ChangeRefusal::Malformed(FormatError::BadField(
                    "key (not a P-256 point)",
                )));
            }
        }
        let mut next = self.scratch.borrow_mut();
        next.clone_from(&self.state.borrow());
        next.apply(&signed.change, self.board())
            .map_err(ChangeRefusal::Refused)?;
        self.commit(&next)
            .map_err(|TrustStoreError::Flash(error)| ChangeRefusal::Flash(error))?;
        core::mem::swap(&mut *self.state.borrow_mut(), &mut *next);
        self.dirty.set(false);
        Ok(signed.change)
    }

    /// Hand `answer` the encoded state (the TRUST_STATE answer), encoded
    /// in the store's own buffer; false if it did not fit (never: the
    /// buffer holds the largest state).
    pub fn with_encoded(&self, answer: &mut dyn FnMut(&[u8])) -> bool {
        let mut buffer = self.buffer.borrow_mut();
        match self.state.borrow().encode(&mut buffer[..]) {
            Some(length) => {
                answer(&buffer[..length]);
                true
            }
            None => false,
        }
    }

    /// Write `state` into the bank not in use, header and commit word last.
    fn commit(&self, state: &TrustState) -> Result<(), TrustStoreError> {
        let (bank, generation) = match self.current.get() {
            Some((bank, generation)) => (1 - bank, generation.wrapping_add(1)),
            None => (0, 1),
        };
        let flash = self.flash.get().ok_or(NorError::OutOfRange)?;
        let offset = self.banks.get()[bank];
        let mut buffer = self.buffer.borrow_mut();
        let length = state.encode(&mut buffer[BANK_HEADER_BYTES..]).unwrap_or(0);
        let body = &buffer[BANK_HEADER_BYTES..BANK_HEADER_BYTES + length];
        let crc = CRC32.checksum(body);
        flash.erase_block(offset)?;
        flash.program(offset + BANK_HEADER_BYTES, body)?;
        let mut header = [0xFFu8; 16];
        for (slot, word) in
            header
                .chunks_exact_mut(4)
                .zip([BANK_MAGIC, generation, length as u32, crc])
        {
            slot.copy_from_slice(&word.to_le_bytes());
        }
        flash.program(offset, &header)?;
        flash.program(offset + 16, &COMMITTED.to_le_bytes())?;
        self.current.set(Some((bank, generation)));
        Ok(())
    }

    /// The generation of `bank`, if it is committed and whole; its state
    /// is then in `scratch`.
    fn read_bank(&self, bank: usize) -> Option<u32> {
        let flash = self.flash.get()?;
        let offset = self.banks.get()[bank];
        let mut header = [0u8; 20];
        flash.read(offset, &mut header).ok()?;
        let word = |index: usize| {
            let bytes = header.get(index * 4..index * 4 + 4)?;
            Some(u32::from_le_bytes(bytes.try_into().ok()?))
        };
        if word(0)? != BANK_MAGIC || word(4)? != COMMITTED {
            return None;
        }
        let length = word(2)? as usize;
        let mut buffer = self.buffer.borrow_mut();
        let body = buffer.get_mut(..length)?;
        flash.read(offset + BANK_HEADER_BYTES, body).ok()?;
        if CRC32.checksum(body) != word(3)? {
            return None;
        }
        self.scratch.borrow_mut().decode_from(body).ok()?;
        word(1)
    }
}

#[cfg(test)]
#[path = "trust_store_tests.rs"]
mod tests;
