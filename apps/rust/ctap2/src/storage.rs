//! The persistent records on the device: `credential-store`'s power-cut-safe
//! store over the app's isolated non-volatile storage (driver 0x50004),
//! which the kernel keeps per app identity, so an update of the app through
//! the loader keeps every credential.

use crate::persistent::{Records, RecordsError};
use credential_store::{Storage, StorageError, Store, StoreError};
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
}

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

    fn next_key(&mut self, first: u16, last: u16) -> Option<u16> {
        self.keys().find(|key| (first..=last).contains(key))
    }

    fn free_bytes(&mut self) -> usize {
        Store::free_bytes(self)
    }
}
