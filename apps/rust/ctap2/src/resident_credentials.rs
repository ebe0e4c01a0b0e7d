//! The resident credentials as the credential management module sees
//! them ([`crate::credential_management::ResidentCredentials`]): slot `n`
//! is storage key `CREDENTIAL_FIRST_KEY + n` ([`crate::persistent`]).

use crate::credential::{self, Resident};
use crate::credential_management::{ResidentCredential, ResidentCredentials};
use crate::make_credential::cose_key;
use crate::persistent::{
    Persistent, Records, CREDENTIAL_FIRST_KEY, CREDENTIAL_LAST_KEY, MAX_VALUE,
};
use crate::resident::{remaining, MAX_RESIDENT};
use ctap_types::ctap2::credential_management::CredentialProtectionPolicy;
use ctap_types::webauthn::{PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity};
use ctap_types::{Bytes, Error};
use u2f::key_handle::Wrapper;

/// The stored credentials, with the wrapper that recovers their keys.
pub struct ResidentView<'a, R: Records> {
    /// The records.
    pub persistent: &'a mut Persistent<R>,
    /// Unwraps credential IDs (for the public keys).
    pub wrapper: &'a Wrapper,
}

fn key_of(slot: usize) -> Option<u16> {
    let key = CREDENTIAL_FIRST_KEY.checked_add(u16::try_from(slot).ok()?)?;
    (key <= CREDENTIAL_LAST_KEY).then_some(key)
}

impl<R: Records> ResidentView<'_, R> {
    fn load(&mut self, slot: usize) -> Result<Option<Resident>, Error> {
        let Some(key) = key_of(slot) else {
            return Ok(None);
        };
        let mut buffer = [0u8; MAX_VALUE];
        let Some(length) = self.persistent.records.get(key, &mut buffer)? else {
            return Ok(None);
        };
        Ok(Resident::decode(&buffer[..length]))
    }
}

impl<R: Records> ResidentCredentials for ResidentView<'_, R> {
    fn slot_count(&mut self) -> usize {
        // Up to the last used key: empty slots above it need no look.
        let mut last = None;
        self.persistent
            .for_each_credential_key(|_, key| last = Some(key));
        last.map_or(0, |key| usize::from(key - CREDENTIAL_FIRST_KEY) + 1)
    }

    fn count(&mut self) -> Result<usize, Error> {
        let mut count = 0;
        self.persistent.for_each_credential_key(|_, _| count += 1);
        Ok(count)
    }

    fn remaining_capacity(&mut self) -> Result<usize, Error> {
        let used = self.count()?;
        Ok(remaining(&mut self.persistent.records, MAX_RESIDENT - used))
    }

    fn rp_id_hash(&mut self, slot: usize) -> Result<Option<[u8; 32]>, Error> {
        Ok(self.load(slot)?.map(|record| record.rp_id_hash))
    }

    fn credential(&mut self, slot: usize) -> Result<Option<ResidentCredential>, Error> {
        let Some(record) = self.load(slot)? else {
            return Ok(None);
        };
        let unwrapped =
            credential::unwrap(self.wrapper, &record.rp_id_hash, &record.id).ok_or(Error::Other)?;
        let protection = CredentialProtectionPolicy::try_from(unwrapped.options.protection)?;
        Ok(Some(ResidentCredential {
            rp_id_hash: record.rp_id_hash,
            rp: PublicKeyCredentialRpEntity {
                id: record.rp_id,
                name: None,
                icon: None,
            },
            user: record.user,
            credential_id: Bytes::try_from(&record.id[..]).map_err(|_| Error::Other)?,
            public_key: cose_key(&unwrapped.key)?.into(),
            credential_protection: protection,
            large_blob_key: None,
        }))
    }

    fn find(&mut self, credential_id: &[u8]) -> Result<Option<usize>, Error> {
        let mut found = None;
        let mut buffer = [0u8; MAX_VALUE];
        self.persistent.for_each_credential_key(|records, key| {
            if found.is_some() {
                return;
            }
            if let Ok(Some(length)) = records.get(key, &mut buffer) {
                let matches = Resident::decode(&buffer[..length])
                    .is_some_and(|record| record.id[..] == *credential_id);
                if matches {
                    found = Some(usize::from(key - CREDENTIAL_FIRST_KEY));
                }
            }
        });
        Ok(found)
    }

    fn delete(&mut self, slot: usize) -> Result<(), Error> {
        let key = key_of(slot).ok_or(Error::NoCredentials)?;
        Ok(self.persistent.records.remove(key)?)
    }

    fn update_user(
        &mut self,
        slot: usize,
        user: &PublicKeyCredentialUserEntity,
    ) -> Result<(), Error> {
        let key = key_of(slot).ok_or(Error::NoCredentials)?;
        let mut record = self.load(slot)?.ok_or(Error::NoCredentials)?;
        let mut user = user.clone();
        user.icon = None;
        record.user = user;
        let mut buffer = [0u8; MAX_VALUE];
        let length = record.encode(&mut buffer).ok_or(Error::Other)?;
        Ok(self.persistent.records.insert(key, &buffer[..length])?)
    }
}
