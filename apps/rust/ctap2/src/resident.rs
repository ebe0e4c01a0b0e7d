//! Resident credentials in storage: store (replacing the same user's
//! credential for the same RP, as CTAP 2.1 6.1.2 step 17 asks), find,
//! list by relying party, count, delete.

use crate::authenticator::Authenticator;
use crate::credential::Resident;
use crate::persistent::{Records, CREDENTIAL_FIRST_KEY, CREDENTIAL_LAST_KEY, MAX_VALUE};
use ctap_types::heapless::Vec;
use ctap_types::Error;

/// The most resident credentials the key range holds.
pub const MAX_RESIDENT: usize = (CREDENTIAL_LAST_KEY - CREDENTIAL_FIRST_KEY + 1) as usize;
/// The most credentials one GetAssertion enumerates for an RP.
pub const MAX_PER_RP: usize = 256;
/// Storage bytes one record takes at most, with the store's overhead; a
/// pessimistic figure for remainingDiscoverableCredentials.
const RECORD_COST: usize = 512;

impl<R: Records> Authenticator<R> {
    /// The record at `key`, if it is a valid one.
    #[inline(never)]
    pub(crate) fn load_resident(&mut self, key: u16) -> Option<Resident> {
        let mut buffer = [0u8; MAX_VALUE];
        let length = self.persistent.records.get(key, &mut buffer).ok()??;
        Resident::decode(&buffer[..length])
    }

    /// Every resident credential, in key order, to `each`.
    pub(crate) fn for_each_resident(&mut self, mut each: impl FnMut(u16, Resident)) {
        let mut buffer = [0u8; MAX_VALUE];
        self.persistent.for_each_credential_key(|records, key| {
            if let Ok(Some(length)) = records.get(key, &mut buffer) {
                if let Some(record) = Resident::decode(&buffer[..length]) {
                    each(key, record);
                }
            }
        });
    }

    /// Stores `record` with the next sequence number, replacing the
    /// credential of the same user for the same RP.
    pub(crate) fn insert_resident(&mut self, mut record: Resident) -> Result<(), Error> {
        let mut newest = 0;
        let mut same_user = None;
        self.for_each_resident(|key, stored| {
            newest = newest.max(stored.sequence);
            if stored.rp_id_hash == record.rp_id_hash && stored.user.id == record.user.id {
                same_user = Some(key);
            }
        });
        record.sequence = newest.checked_add(1).ok_or(Error::KeyStoreFull)?;
        let key = match same_user {
            Some(key) => key,
            None => self.persistent.free_credential_key()?,
        };
        let mut buffer = [0u8; MAX_VALUE];
        let length = record.encode(&mut buffer).ok_or(Error::Other)?;
        self.persistent.records.insert(key, &buffer[..length])?;
        Ok(())
    }

    /// Whether a resident credential with this ID is stored.
    pub(crate) fn resident_exists(&mut self, id: &[u8]) -> bool {
        self.find_resident(id).is_some()
    }

    /// The key and record of the resident credential with this ID.
    pub(crate) fn find_resident(&mut self, id: &[u8]) -> Option<(u16, Resident)> {
        let mut found = None;
        self.for_each_resident(|key, record| {
            if found.is_none() && record.id[..] == *id {
                found = Some((key, record));
            }
        });
        found
    }

    /// The keys of the resident credentials of `rp_id_hash`, newest first.
    #[inline(never)]
    pub(crate) fn residents_for(&mut self, rp_id_hash: &[u8; 32]) -> Vec<u16, MAX_PER_RP> {
        let mut slots: Vec<(u32, u16), MAX_PER_RP> = Vec::new();
        self.for_each_resident(|key, record| {
            if record.rp_id_hash == *rp_id_hash {
                // Beyond the limit the oldest are not offered.
                let _ = slots.push((record.sequence, key));
            }
        });
        slots.sort_unstable_by_key(|(sequence, _)| core::cmp::Reverse(*sequence));
        slots.iter().map(|(_, key)| *key).collect()
    }

    /// How many resident credentials are stored.
    pub(crate) fn resident_count(&mut self) -> usize {
        let mut count = 0;
        self.persistent.for_each_credential_key(|_, _| count += 1);
        count
    }

    /// How many more resident credentials fit (a lower bound).
    pub(crate) fn remaining_resident(&mut self) -> usize {
        let free_keys = MAX_RESIDENT - self.resident_count();
        remaining(&mut self.persistent.records, free_keys)
    }
}

/// How many more records fit in `records`, given `free_keys` unused keys.
pub(crate) fn remaining(records: &mut impl Records, free_keys: usize) -> usize {
    free_keys.min(records.free_bytes() / RECORD_COST)
}
