//! The RAM index: for each live key, where its newest value lies. Values
//! stay in storage; the index costs 8 bytes of RAM per key.

use crate::format::INSERT_RECORD_OVERHEAD;

/// Where a live key's value lies in the storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub key: u16,
    pub length: u16,
    pub offset: u32,
}

impl Entry {
    const UNUSED: Entry = Entry {
        key: 0,
        length: 0,
        offset: 0,
    };

    /// The bytes this value takes once compacted into its own record.
    pub fn compacted_bytes(self) -> usize {
        usize::from(self.length) + INSERT_RECORD_OVERHEAD
    }
}

/// The index is full: the key cannot be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// Live keys in ascending order.
///
/// Invariants: `entries[..len]` is sorted by key without repeats, and
/// `compacted_bytes` is the sum of their [`Entry::compacted_bytes`].
pub(crate) struct Index<const CAPACITY: usize> {
    entries: [Entry; CAPACITY],
    len: usize,
    compacted_bytes: usize,
}

impl<const CAPACITY: usize> Index<CAPACITY> {
    pub const fn new() -> Self {
        Index {
            entries: [Entry::UNUSED; CAPACITY],
            len: 0,
            compacted_bytes: 0,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries[..self.len]
    }

    /// Sets each entry's offset (a compaction moved the values).
    pub fn entries_mut(&mut self) -> &mut [Entry] {
        &mut self.entries[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The bytes all live values take once compacted.
    pub fn compacted_bytes(&self) -> usize {
        self.compacted_bytes
    }

    fn position(&self, key: u16) -> Result<usize, usize> {
        self.entries().binary_search_by_key(&key, |entry| entry.key)
    }

    pub fn get(&self, key: u16) -> Option<Entry> {
        self.position(key).ok().map(|at| self.entries[at])
    }

    /// Adds `entry`, or replaces the entry with its key.
    pub fn insert(&mut self, entry: Entry) -> Result<(), Full> {
        match self.position(entry.key) {
            Ok(at) => {
                self.compacted_bytes -= self.entries[at].compacted_bytes();
                self.entries[at] = entry;
            }
            Err(at) => {
                if self.len == CAPACITY {
                    return Err(Full);
                }
                self.entries.copy_within(at..self.len, at + 1);
                self.entries[at] = entry;
                self.len += 1;
            }
        }
        self.compacted_bytes += entry.compacted_bytes();
        Ok(())
    }

    /// Removes `key`'s entry, if any.
    pub fn remove(&mut self, key: u16) {
        if let Ok(at) = self.position(key) {
            self.compacted_bytes -= self.entries[at].compacted_bytes();
            self.entries.copy_within(at + 1..self.len, at);
            self.len -= 1;
        }
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.compacted_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: u16, length: u16) -> Entry {
        Entry {
            key,
            length,
            offset: u32::from(key) * 100,
        }
    }

    #[test]
    fn keys_stay_sorted_and_sizes_summed_through_inserts_and_removes() {
        let mut index = Index::<4>::new();
        for key in [5, 1, 9, 3] {
            index.insert(entry(key, 10)).unwrap();
        }
        assert_eq!(index.insert(entry(7, 1)), Err(Full));
        index.insert(entry(5, 20)).unwrap();
        let keys: [u16; 4] = core::array::from_fn(|at| index.entries()[at].key);
        assert_eq!(keys, [1, 3, 5, 9]);
        assert_eq!(index.compacted_bytes(), 50 + 4 * INSERT_RECORD_OVERHEAD);
        index.remove(3);
        index.remove(4);
        assert_eq!(index.len(), 3);
        assert_eq!(index.get(5).map(|found| found.length), Some(20));
        assert_eq!(index.get(3), None);
        assert_eq!(index.compacted_bytes(), 40 + 3 * INSERT_RECORD_OVERHEAD);
        index.clear();
        assert_eq!((index.len(), index.compacted_bytes()), (0, 0));
    }
}
