//! What the authenticator keeps in the app's isolated storage, and where.
//!
//! ```text
//! key            value
//! 0x000          device secret (32 random bytes, made on first start)
//! 0x001          signature counter (u32, little-endian, last value used)
//! 0x010..=0x01F  PIN state (the client PIN module's records)
//! 0x020..=0x027  large-blob array (chunks of up to 1,024 bytes, [`crate::large_blobs`])
//! 0x100..=0x22B  resident credentials (300; one record each, [`crate::credential`])
//! ```
//!
//! Everything goes through [`Records`], which the app implements over the
//! power-cut-safe `credential-store` and the host tests over a RAM store.
//! Invariant (enforced in [`Persistent::next_counter`]): the counter is
//! written before the value is returned, so a signature never carries a
//! value that a reboot could hand out again.

use credential_store::Update;
use ctap_types::Error;

/// The device secret's key.
pub const DEVICE_SECRET_KEY: u16 = 0x000;
/// The signature counter's key.
pub const COUNTER_KEY: u16 = 0x001;
/// The first key the PIN state may use.
pub const PIN_FIRST_KEY: u16 = 0x010;
/// The last key the PIN state may use.
pub const PIN_LAST_KEY: u16 = 0x01F;
/// The first key of the large-blob array's chunks.
pub const LARGE_BLOB_FIRST_KEY: u16 = 0x020;
/// The last key the large-blob array's chunks may use.
pub const LARGE_BLOB_LAST_KEY: u16 = 0x027;
/// The first resident credential's key.
pub const CREDENTIAL_FIRST_KEY: u16 = 0x100;
/// The last resident credential's key.
pub const CREDENTIAL_LAST_KEY: u16 = 0x22B;
/// Bytes in the device secret.
pub const DEVICE_SECRET: usize = 32;
/// The largest value a record may hold.
pub const MAX_VALUE: usize = 1024;

/// Storage failed (a device fault, or the store is full).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordsError {
    /// No room left for the value.
    Full,
    /// The storage could not be read or written, or is corrupt.
    Failed,
}

impl From<RecordsError> for Error {
    fn from(error: RecordsError) -> Error {
        match error {
            RecordsError::Full => Error::KeyStoreFull,
            RecordsError::Failed => Error::Other,
        }
    }
}

/// A persistent map from 12-bit keys to values of up to [`MAX_VALUE`] bytes.
pub trait Records {
    /// Copies the value of `key` into `buffer`; its length, or `None`.
    fn get(&mut self, key: u16, buffer: &mut [u8]) -> Result<Option<usize>, RecordsError>;
    /// Sets `key` to `value`, atomically.
    fn insert(&mut self, key: u16, value: &[u8]) -> Result<(), RecordsError>;
    /// Removes `key` (nothing if absent), atomically.
    fn remove(&mut self, key: u16) -> Result<(), RecordsError>;
    /// Applies every update (at most 8) or none, atomically.
    fn transaction(&mut self, updates: &[Update<'_>]) -> Result<(), RecordsError>;
    /// The smallest key present in `first..=last`.
    fn next_key(&mut self, first: u16, last: u16) -> Option<u16>;
    /// Bytes of values that still fit.
    fn free_bytes(&mut self) -> usize;
}

/// The authenticator's persistent state over `R`.
pub struct Persistent<R: Records> {
    /// The records (the PIN module reads and writes its own range).
    pub records: R,
}

impl<R: Records> Persistent<R> {
    /// Opens the state in `records`.
    pub fn new(records: R) -> Self {
        Persistent { records }
    }

    /// The device secret, made from `random` and stored if there is none.
    pub fn device_secret(
        &mut self,
        random: impl FnOnce(&mut [u8; DEVICE_SECRET]) -> Result<(), Error>,
    ) -> Result<[u8; DEVICE_SECRET], Error> {
        let mut secret = [0u8; DEVICE_SECRET];
        match self.records.get(DEVICE_SECRET_KEY, &mut secret)? {
            Some(DEVICE_SECRET) => return Ok(secret),
            Some(_) => return Err(Error::Other),
            None => {}
        }
        random(&mut secret)?;
        self.records.insert(DEVICE_SECRET_KEY, &secret)?;
        Ok(secret)
    }

    /// The last counter value used (0 if never).
    pub fn counter(&mut self) -> Result<u32, Error> {
        let mut stored = [0u8; 4];
        match self.records.get(COUNTER_KEY, &mut stored)? {
            Some(4) => Ok(u32::from_le_bytes(stored)),
            None => Ok(0),
            Some(_) => Err(Error::Other),
        }
    }

    /// Advances the counter and returns the new value, once it is stored.
    pub fn next_counter(&mut self) -> Result<u32, Error> {
        let next = self.counter()?.checked_add(1).ok_or(Error::Other)?;
        self.records.insert(COUNTER_KEY, &next.to_le_bytes())?;
        Ok(next)
    }

    /// A free key for a new resident credential.
    pub fn free_credential_key(&mut self) -> Result<u16, Error> {
        let mut candidate = CREDENTIAL_FIRST_KEY;
        while let Some(used) = self.records.next_key(candidate, CREDENTIAL_LAST_KEY) {
            if used != candidate {
                return Ok(candidate);
            }
            if used == CREDENTIAL_LAST_KEY {
                return Err(Error::KeyStoreFull);
            }
            candidate = used + 1;
        }
        Ok(candidate)
    }

    /// Removes every key in `first..=last`, one at a time (each removal
    /// is atomic; a power cut leaves the rest for the next call).
    pub fn remove_range(&mut self, first: u16, last: u16) -> Result<(), Error> {
        while let Some(key) = self.records.next_key(first, last) {
            self.records.remove(key)?;
        }
        Ok(())
    }

    /// Replaces the device secret (a reset: every credential made under the
    /// old one stops unwrapping at once).
    pub fn replace_device_secret(&mut self, secret: &[u8; DEVICE_SECRET]) -> Result<(), Error> {
        Ok(self.records.insert(DEVICE_SECRET_KEY, secret)?)
    }

    /// The keys of every resident credential, in ascending order, to `each`.
    pub fn for_each_credential_key(&mut self, mut each: impl FnMut(&mut R, u16)) {
        let mut from = CREDENTIAL_FIRST_KEY;
        while let Some(key) = self.records.next_key(from, CREDENTIAL_LAST_KEY) {
            each(&mut self.records, key);
            if key == CREDENTIAL_LAST_KEY {
                break;
            }
            from = key + 1;
        }
    }
}
