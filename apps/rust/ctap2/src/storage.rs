//! The persistent records on the device: `credential-store`'s power-cut-safe
//! store over the app's isolated non-volatile storage (driver 0x50004),
//! which the kernel keeps per app identity, so an update of the app through
//! the loader keeps every credential.

use crate::persistent::{Records, RecordsError};
use credential_store::{Storage, StorageError, Store, StoreError, Update};
use libtock_isolated_nonvolatile_storage::IsolatedNonvolatileStorage;
use libtock_platform::{ErrorCode, Syscalls};

/// Keys the store's index holds: every persistent key range
/// ([`crate::persistent`]) with room to spare.
pub const STORE_KEYS: usize = 340;

/// The app's isolated storage region as a [`Storage`].
pub struct IsolatedStorage<S: Syscalls> {
    size: usize,
    _syscalls: core::marker::PhantomData<S>,
}

impl<S: Syscalls> IsolatedStorage<S> {
    /// The region, if the kernel gives this app one.
    pub fn open() -> Result<Self, ErrorCode> {
        IsolatedNonvolatileStorage::<S>::exists()?;
        let size = IsolatedNonvolatileStorage::<S>::size()?;
        Ok(IsolatedStorage {
            size: usize::try_from(size).map_err(|_| ErrorCode::Size)?,
            _syscalls: core::marker::PhantomData,
        })
    }
}

impl<S: Syscalls> Storage for IsolatedStorage<S> {
    fn size(&self) -> usize {
        self.size
    }

    fn read(&mut self, offset: usize, buffer: &mut [u8]) -> Result<(), StorageError> {
        IsolatedNonvolatileStorage::<S>::read(offset as u64, buffer).map_err(|_| StorageError)
    }

    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), StorageError> {
        IsolatedNonvolatileStorage::<S>::write(offset as u64, data).map_err(|_| StorageError)
    }

    /// Like the provided erase (skips pieces already erased), but writes
    /// 0xFF over runs of up to [`ERASE_RUN`] bytes at once: each such
    /// write makes the kernel rewrite an erase block, so fewer and larger
    /// writes make a compaction much faster.
    fn erase(&mut self, offset: usize, length: usize) -> Result<(), StorageError> {
        let mut piece = [0u8; ERASE_PIECE];
        let end = offset.checked_add(length).ok_or(StorageError)?;
        let mut run: Option<usize> = None;
        let mut position = offset;
        while position < end {
            let size = ERASE_PIECE.min(end - position);
            self.read(position, &mut piece[..size])?;
            let dirty = piece[..size].iter().any(|&byte| byte != 0xFF);
            match run {
                Some(start) if !dirty || position + size - start > ERASE_RUN => {
                    self.write(start, &ERASED[..position - start])?;
                    run = dirty.then_some(position);
                }
                None if dirty => run = Some(position),
                _ => {}
            }
            position += size;
        }
        if let Some(start) = run {
            self.write(start, &ERASED[..end - start])?;
        }
        Ok(())
    }
}

/// Bytes read at a time to find what needs erasing.
const ERASE_PIECE: usize = 512;
/// The most bytes of 0xFF written at once (from flash: no RAM).
const ERASE_RUN: usize = 4096;
/// The source of erase writes.
static ERASED: [u8; ERASE_RUN] = [0xFF; ERASE_RUN];

fn records_error(error: StoreError) -> RecordsError {
    match error {
        StoreError::NoSpace => RecordsError::Full,
        _ => RecordsError::Failed,
    }
}

impl<T: Storage, const CAPACITY: usize> Records for Store<T, CAPACITY> {
    fn get(&mut self, key: u16, buffer: &mut [u8]) -> Result<Option<usize>, RecordsError> {
        Store::get(self, key, buffer).map_err(records_error)
    }

    fn insert(&mut self, key: u16, value: &[u8]) -> Result<(), RecordsError> {
        Store::insert(self, key, value).map_err(records_error)
    }

    fn remove(&mut self, key: u16) -> Result<(), RecordsError> {
        Store::remove(self, key).map_err(records_error)
    }

    fn transaction(&mut self, updates: &[Update<'_>]) -> Result<(), RecordsError> {
        Store::transaction(self, updates).map_err(records_error)
    }

    fn next_key(&mut self, first: u16, last: u16) -> Option<u16> {
        self.keys().find(|key| (first..=last).contains(key))
    }

    fn free_bytes(&mut self) -> usize {
        Store::free_bytes(self)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use libtock_unittest::{drivers, Kernel, Syscalls as Fake};
    use std::rc::Rc;

    #[test]
    fn erase_clears_only_what_is_written_in_few_large_writes() {
        let kernel = Kernel::new();
        let fake = Rc::new(drivers::IsolatedNonvolatileStorage::new(64 * 1024));
        kernel.add_driver(&fake);
        fake.set_contents(100, &[0u8; 9000]);
        fake.set_contents(40_000, &[1, 2, 3]);
        let mut storage = IsolatedStorage::<Fake>::open().unwrap();
        let before = fake.writes();
        storage.erase(0, 64 * 1024).unwrap();
        assert!(fake.contents().iter().all(|&byte| byte == 0xFF));
        // 9000 bytes over 18 pieces take three writes; the 3 bytes one.
        assert_eq!(fake.writes() - before, 4);
        let before = fake.writes();
        storage.erase(0, 64 * 1024).unwrap();
        assert_eq!(fake.writes(), before, "nothing to erase, nothing written");
    }
}
