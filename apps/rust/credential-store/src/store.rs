//! The store: mounting, the operations, and compaction (the crate doc
//! describes the layout and why each step is safe to interrupt).

use crate::format::{
    encode_tag, BankHeader, BANK_HEADER_BYTES, INSERT_ENTRY_BYTES, MAX_RECORD_BYTES, MAX_UPDATES,
    RECORD_CRC_BYTES, RECORD_HEADER_BYTES, REMOVE_ENTRY_BYTES,
};
use crate::index::{Entry, Index};
use crate::io::{LogWriter, Reader, CHUNK_BYTES};
use crate::replay::read_record;
use crate::{Storage, StoreError, Update, MAX_KEY, MAX_VALUE_BYTES};

/// The smallest log (bank minus header) the store accepts.
const MIN_LOG_BYTES: usize = 64;

/// A key-value store over `S`, indexing at most `CAPACITY` live keys in RAM.
///
/// Invariants between operations (unless `needs_remount`): the bank
/// `active` has a valid header of `generation` and is the newest valid
/// bank; its log holds valid records from its header up to `tail`, whose
/// replay gives `index`; `tail_is_clean` says every byte from `tail` to
/// the bank end is erased (only then is appending there safe).
pub struct Store<S: Storage, const CAPACITY: usize> {
    storage: S,
    bank_bytes: usize,
    active: usize,
    generation: u32,
    tail: usize,
    tail_is_clean: bool,
    /// A write failed, so what the storage holds may differ from the
    /// index: the next operation mounts again first.
    needs_remount: bool,
    index: Index<CAPACITY>,
}

impl<S: Storage, const CAPACITY: usize> Store<S, CAPACITY> {
    /// Mounts the store in `storage`, formatting it if it holds no valid
    /// bank. Recovers from any interrupted operation: a torn record is
    /// ignored (and compacted away before the next append).
    ///
    /// Fails with `NoSpace` if the region is too small (under 160 bytes) or
    /// holds more live keys than `CAPACITY`.
    pub fn open(storage: S) -> Result<Self, StoreError> {
        // Index offsets are u32: a larger region is used up to 4 GiB.
        let size = storage.size().min(u32::MAX as usize);
        let bank_bytes = size / 2;
        if bank_bytes < BANK_HEADER_BYTES + MIN_LOG_BYTES {
            return Err(StoreError::NoSpace);
        }
        let mut store = Store {
            storage,
            bank_bytes,
            active: 0,
            generation: 0,
            tail: 0,
            tail_is_clean: false,
            needs_remount: true,
            index: Index::new(),
        };
        store.remount()?;
        Ok(store)
    }

    /// The value of `key` copied into `buffer`: its length, or `None` if
    /// the key is absent.
    pub fn get(&mut self, key: u16, buffer: &mut [u8]) -> Result<Option<usize>, StoreError> {
        check_key(key)?;
        self.recover()?;
        let Some(entry) = self.index.get(key) else {
            return Ok(None);
        };
        let length = usize::from(entry.length);
        let Some(target) = buffer.get_mut(..length) else {
            return Err(StoreError::BufferTooSmall { needed: length });
        };
        self.storage.read(entry.offset as usize, target)?;
        Ok(Some(length))
    }

    /// Whether `key` is live.
    pub fn contains(&self, key: u16) -> bool {
        self.index.get(key).is_some()
    }

    /// Sets `key` to `value` (one record: one write for values up to about
    /// 500 bytes, unless a compaction is due).
    pub fn insert(&mut self, key: u16, value: &[u8]) -> Result<(), StoreError> {
        self.transaction(&[Update::Insert { key, value }])
    }

    /// Removes `key`; an absent key is not an error (and writes nothing).
    pub fn remove(&mut self, key: u16) -> Result<(), StoreError> {
        check_key(key)?;
        self.recover()?;
        if !self.contains(key) {
            return Ok(());
        }
        self.transaction(&[Update::Remove { key }])
    }

    /// Applies `updates` in order, all or nothing (one record). At most
    /// [`MAX_UPDATES`]; an empty list writes nothing.
    pub fn transaction(&mut self, updates: &[Update<'_>]) -> Result<(), StoreError> {
        if updates.len() > MAX_UPDATES {
            return Err(StoreError::TooManyUpdates);
        }
        for update in updates {
            check_key(update.key())?;
            if let Update::Insert { value, .. } = update {
                if value.len() > MAX_VALUE_BYTES {
                    return Err(StoreError::ValueTooLarge);
                }
            }
        }
        if updates.is_empty() {
            return Ok(());
        }
        self.recover()?;
        let result = self.append(updates);
        self.remount_after(result)
    }

    /// Removes every key, atomically, and erases both banks' old contents
    /// so no removed value stays readable (the CTAP Reset).
    pub fn clear(&mut self) -> Result<(), StoreError> {
        self.recover()?;
        let old_bank = self.active;
        let mut result = self.compact(false);
        if result.is_ok() {
            // The empty bank is committed: erasing the old one only scrubs.
            result = self
                .storage
                .erase(self.bank_start(old_bank), self.bank_bytes)
                .map_err(StoreError::from);
        }
        self.remount_after(result)
    }

    /// The live keys, ascending.
    pub fn keys(&self) -> impl Iterator<Item = u16> + '_ {
        self.index.entries().iter().map(|entry| entry.key)
    }

    /// The number of live keys.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    /// The value bytes that can still be added before `NoSpace`: one new
    /// key of this many bytes (if at most [`MAX_VALUE_BYTES`]) fits, and
    /// each further new key costs [`crate::INSERT_RECORD_OVERHEAD`] more.
    /// 0 when the index holds `CAPACITY` keys.
    pub fn free_bytes(&self) -> usize {
        if self.index.len() >= CAPACITY {
            return 0;
        }
        self.usable_bytes()
            .saturating_sub(self.index.compacted_bytes() + crate::INSERT_RECORD_OVERHEAD)
    }

    /// The storage, for inspection (say, counting its operations).
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The storage, for tests and for handing it to another user.
    pub fn into_storage(self) -> S {
        self.storage
    }

    fn bank_start(&self, bank: usize) -> usize {
        bank * self.bank_bytes
    }

    fn bank_end(&self, bank: usize) -> usize {
        self.bank_start(bank) + self.bank_bytes
    }

    /// The bytes live data may take: the log minus a reserve of one
    /// largest record (at most half the log), so an update that does not
    /// grow the data always fits after a compaction.
    fn usable_bytes(&self) -> usize {
        let log_bytes = self.bank_bytes - BANK_HEADER_BYTES;
        log_bytes - MAX_RECORD_BYTES.min(log_bytes / 2)
    }

    /// Mounts again if a failed write left the index unsure.
    fn recover(&mut self) -> Result<(), StoreError> {
        if self.needs_remount {
            self.remount()?;
        }
        Ok(())
    }

    /// After a storage error, brings the index back in line with what the
    /// storage holds (or leaves that to the next operation).
    fn remount_after(&mut self, result: Result<(), StoreError>) -> Result<(), StoreError> {
        if result == Err(StoreError::Storage) {
            self.needs_remount = true;
            // If this fails too, the next operation tries again.
            let _ = self.remount();
        }
        result
    }

    /// Rebuilds the in-RAM state from the storage (see [`Store::open`]).
    fn remount(&mut self) -> Result<(), StoreError> {
        self.needs_remount = true;
        self.index.clear();
        match self.newest_bank()? {
            Some((bank, header)) => {
                self.active = bank;
                self.generation = header.generation;
                self.mount()?;
            }
            None => self.format()?,
        }
        self.needs_remount = false;
        Ok(())
    }

    /// The bank with a valid header and the newest generation, if any.
    fn newest_bank(&mut self) -> Result<Option<(usize, BankHeader)>, StoreError> {
        let mut newest: Option<(usize, BankHeader)> = None;
        for bank in 0..2 {
            let mut bytes = [0; BANK_HEADER_BYTES];
            self.storage.read(self.bank_start(bank), &mut bytes)?;
            if let Some(header) = BankHeader::decode(&bytes, self.bank_bytes as u32) {
                if newest.is_none_or(|(_, best)| header.is_newer_than(best)) {
                    newest = Some((bank, header));
                }
            }
        }
        Ok(newest)
    }

    /// Makes bank 0 an empty log (no valid bank exists).
    fn format(&mut self) -> Result<(), StoreError> {
        self.storage.erase(0, self.bank_bytes)?;
        let header = BankHeader { generation: 0 };
        self.storage
            .write(0, &header.encode(self.bank_bytes as u32))?;
        self.active = 0;
        self.generation = 0;
        self.tail = BANK_HEADER_BYTES;
        self.tail_is_clean = true;
        Ok(())
    }

    /// Replays the active bank's log into the index.
    fn mount(&mut self) -> Result<(), StoreError> {
        let mut reader = Reader::new();
        let end = self.bank_end(self.active);
        let mut position = self.bank_start(self.active) + BANK_HEADER_BYTES;
        while let Some(record) = read_record(&mut self.storage, &mut reader, position, end)? {
            for (key, value) in record.entries() {
                apply(&mut self.index, *key, *value)?;
            }
            position = record.end;
        }
        self.tail = position;
        self.tail_is_clean = reader.is_erased(&mut self.storage, position, end)?;
        Ok(())
    }

    /// Appends `updates` (already checked) as one record, then applies
    /// them to the index.
    fn append(&mut self, updates: &[Update<'_>]) -> Result<(), StoreError> {
        self.check_room(updates)?;
        let body_bytes: usize = updates.iter().map(entry_bytes).sum();
        let record_bytes = RECORD_HEADER_BYTES + body_bytes + RECORD_CRC_BYTES;
        self.make_room(record_bytes)?;
        let start = self.tail;
        // Until the record is complete, what follows the tail is unknown.
        self.tail_is_clean = false;
        let mut writer = LogWriter::new(start);
        writer.begin_record(&mut self.storage, body_bytes)?;
        for update in updates {
            match *update {
                Update::Insert { key, value } => {
                    writer.push(&mut self.storage, &encode_tag(key, false))?;
                    writer.push(&mut self.storage, &(value.len() as u16).to_le_bytes())?;
                    writer.push(&mut self.storage, value)?;
                }
                Update::Remove { key } => writer.push(&mut self.storage, &encode_tag(key, true))?,
            }
        }
        writer.end_record(&mut self.storage)?;
        writer.flush(&mut self.storage)?;
        self.tail = start + record_bytes;
        self.tail_is_clean = true;
        let mut position = start + RECORD_HEADER_BYTES;
        for update in updates {
            let value = match *update {
                Update::Insert { value, .. } => Some((position + INSERT_ENTRY_BYTES, value.len())),
                Update::Remove { .. } => None,
            };
            apply(&mut self.index, update.key(), value)?;
            position += entry_bytes(update);
        }
        Ok(())
    }

    /// Fails with `NoSpace` unless the index and the usable bytes can hold
    /// the state after `updates` (a change that does not grow the data is
    /// allowed beyond the usable bytes, into the reserve).
    fn check_room(&self, updates: &[Update<'_>]) -> Result<(), StoreError> {
        let mut keys = self.index.len();
        let mut bytes = self.index.compacted_bytes();
        for (at, update) in updates.iter().enumerate() {
            let key = update.key();
            if updates[at + 1..].iter().any(|later| later.key() == key) {
                continue; // a later update decides this key's final state
            }
            if let Some(entry) = self.index.get(key) {
                keys -= 1;
                bytes -= entry.compacted_bytes();
            }
            if let Update::Insert { value, .. } = update {
                keys += 1;
                bytes += value.len() + crate::INSERT_RECORD_OVERHEAD;
            }
        }
        let grows = bytes > self.index.compacted_bytes();
        // The record must also fit after the current data once compacted,
        // so whether an update fits never depends on where the tail is.
        let record_bytes =
            RECORD_HEADER_BYTES + updates.iter().map(entry_bytes).sum::<usize>() + RECORD_CRC_BYTES;
        let after_compaction = BANK_HEADER_BYTES + self.index.compacted_bytes() + record_bytes;
        if keys > CAPACITY
            || (grows && bytes > self.usable_bytes())
            || after_compaction > self.bank_bytes
        {
            return Err(StoreError::NoSpace);
        }
        Ok(())
    }

    /// Ensures `record_bytes` can be appended at a clean tail, compacting
    /// if needed.
    fn make_room(&mut self, record_bytes: usize) -> Result<(), StoreError> {
        if self.tail_is_clean && self.tail + record_bytes <= self.bank_end(self.active) {
            return Ok(());
        }
        if BANK_HEADER_BYTES + self.index.compacted_bytes() + record_bytes > self.bank_bytes {
            return Err(StoreError::NoSpace);
        }
        self.compact(true)
    }

    /// Makes the other bank the active one, holding every live value (or
    /// none). The new bank's header is the last write: until it is
    /// complete, the current bank stays the newest valid one.
    fn compact(&mut self, keep_values: bool) -> Result<(), StoreError> {
        // Values packed into transactions take less room than compacted: a
        // bank from elsewhere may hold more than one bank can compact into.
        if keep_values && BANK_HEADER_BYTES + self.index.compacted_bytes() > self.bank_bytes {
            return Err(StoreError::NoSpace);
        }
        let target = 1 - self.active;
        let start = self.bank_start(target);
        let source_end = self.bank_end(self.active);
        self.storage.erase(start, self.bank_bytes)?;
        let log_start = start + BANK_HEADER_BYTES;
        let mut writer = LogWriter::new(log_start);
        if keep_values {
            let mut reader = Reader::new();
            for entry in self.index.entries() {
                copy_value(
                    &mut self.storage,
                    &mut reader,
                    &mut writer,
                    *entry,
                    source_end,
                )?;
            }
        }
        writer.flush(&mut self.storage)?;
        let generation = self.generation.wrapping_add(1);
        let header = BankHeader { generation }.encode(self.bank_bytes as u32);
        self.storage.write(start, &header)?;
        // Committed: the index now follows the new bank.
        self.active = target;
        self.generation = generation;
        if !keep_values {
            self.index.clear();
        }
        let mut position = log_start;
        for entry in self.index.entries_mut() {
            entry.offset = (position + RECORD_HEADER_BYTES + INSERT_ENTRY_BYTES) as u32;
            position += entry.compacted_bytes();
        }
        self.tail = position;
        self.tail_is_clean = true;
        Ok(())
    }
}

fn check_key(key: u16) -> Result<(), StoreError> {
    if key > MAX_KEY {
        return Err(StoreError::InvalidKey);
    }
    Ok(())
}

/// The body bytes of `update`'s entry.
fn entry_bytes(update: &Update<'_>) -> usize {
    match update {
        Update::Insert { value, .. } => INSERT_ENTRY_BYTES + value.len(),
        Update::Remove { .. } => REMOVE_ENTRY_BYTES,
    }
}

/// Applies one entry to the index: `value` is the offset and length of an
/// inserted value, `None` a removal.
fn apply<const CAPACITY: usize>(
    index: &mut Index<CAPACITY>,
    key: u16,
    value: Option<(usize, usize)>,
) -> Result<(), StoreError> {
    match value {
        Some((offset, length)) => index
            .insert(Entry {
                key,
                length: length as u16,
                offset: offset as u32,
            })
            .map_err(|_| StoreError::NoSpace),
        None => {
            index.remove(key);
            Ok(())
        }
    }
}

/// Appends `entry`'s value to `writer` as a one-insert record.
fn copy_value<S: Storage>(
    storage: &mut S,
    reader: &mut Reader,
    writer: &mut LogWriter,
    entry: Entry,
    source_end: usize,
) -> Result<(), StoreError> {
    let length = usize::from(entry.length);
    writer.begin_record(storage, INSERT_ENTRY_BYTES + length)?;
    writer.push(storage, &encode_tag(entry.key, false))?;
    writer.push(storage, &entry.length.to_le_bytes())?;
    let mut piece = [0; CHUNK_BYTES / 2];
    let mut copied = 0;
    while copied < length {
        let size = piece.len().min(length - copied);
        reader.read(
            storage,
            entry.offset as usize + copied,
            source_end,
            &mut piece[..size],
        )?;
        writer.push(storage, &piece[..size])?;
        copied += size;
    }
    writer.end_record(storage)
}
