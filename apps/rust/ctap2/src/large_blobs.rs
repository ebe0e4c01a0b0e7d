//! authenticatorLargeBlobs (CTAP 2.1, 6.10) and the per-credential
//! largeBlobKey (12.3).
//!
//! The serialized large-blob array (CBOR array, then the first 16 bytes of
//! its SHA-256) is at most [`MAX_SERIALIZED_ARRAY`] bytes, kept in the
//! records [`LARGE_BLOB_FIRST_KEY`]`..` in chunks of [`MAX_VALUE`] bytes.
//! No chunk present means the initial array (an empty CBOR array).
//!
//! A write arrives in fragments into a RAM buffer; invariant (enforced in
//! [`LargeBlobs::write_fragment`]): only when the whole array has arrived
//! and its trailing hash checks is it stored, with every chunk in one
//! store transaction, so a power cut leaves the old array or the new one,
//! never a mix.
//!
//! The largeBlobKey of a resident credential is derived (HMAC of the
//! device secret and the credential's private key): nothing to store, and
//! a reset, which replaces the device secret, changes them all.

use crate::authenticator::{Authenticator, MAX_RESPONSE};
use crate::client_pin::Permissions;
use crate::ctaphid::MAX_MESSAGE;
use crate::persistent::{Records, LARGE_BLOB_FIRST_KEY, LARGE_BLOB_LAST_KEY, MAX_VALUE};
use crate::pin_protocol::PinProtocol;
use credential_store::Update;
use ctap_types::ctap2::large_blobs::Request;
use ctap_types::heapless::Vec;
use ctap_types::Error;
use hmac::{Hmac, Mac};
use p256::ecdsa::SigningKey;
use sha2::{Digest, Sha256};

/// The largest serialized large-blob array (OpenSK's default).
pub const MAX_SERIALIZED_ARRAY: usize = 2048;
/// The largest fragment a get returns or a set carries (6.10).
pub const MAX_FRAGMENT: usize = MAX_MESSAGE - 64;
/// Bytes of the truncated SHA-256 that ends the serialized array.
const HASH_BYTES: usize = 16;
/// Chunks the array needs at most.
const CHUNKS: usize = MAX_SERIALIZED_ARRAY.div_ceil(MAX_VALUE);
/// The serialized initial array: an empty CBOR array and its hash.
pub const INITIAL_ARRAY: [u8; 17] = [
    0x80, 0x76, 0xbe, 0x8b, 0x52, 0x8d, 0x00, 0x75, 0xf7, 0xaa, 0xe9, 0x8d, 0x6f, 0xa5, 0x7a, 0x6d,
    0x3c,
];

const _: () = assert!(CHUNKS <= 8, "one store transaction holds at most 8 updates");
const _: () = assert!(
    LARGE_BLOB_LAST_KEY - LARGE_BLOB_FIRST_KEY + 1 >= CHUNKS as u16,
    "the key range holds every chunk"
);

/// A write in progress: the array received so far.
pub struct LargeBlobs {
    buffer: [u8; MAX_SERIALIZED_ARRAY],
    expected_length: usize,
    expected_offset: usize,
}

impl Default for LargeBlobs {
    fn default() -> Self {
        Self::new()
    }
}

impl LargeBlobs {
    /// No write in progress.
    pub const fn new() -> Self {
        LargeBlobs {
            buffer: [0; MAX_SERIALIZED_ARRAY],
            expected_length: 0,
            expected_offset: 0,
        }
    }

    /// Forgets a write in progress (a reset).
    pub fn abandon(&mut self) {
        self.expected_length = 0;
        self.expected_offset = 0;
    }

    /// Takes `fragment` at `offset`; `Ok(Some(array))` when it completes
    /// an array whose hash checks (which the caller then stores).
    fn write_fragment(
        &mut self,
        fragment: &[u8],
        offset: usize,
        length: Option<u32>,
    ) -> Result<Option<&[u8]>, Error> {
        if offset == 0 {
            let length = length.ok_or(Error::InvalidParameter)? as usize;
            if length > MAX_SERIALIZED_ARRAY {
                return Err(Error::LargeBlobStorageFull);
            }
            if length <= HASH_BYTES {
                return Err(Error::InvalidParameter);
            }
            self.expected_length = length;
            self.expected_offset = 0;
        } else if length.is_some() {
            return Err(Error::InvalidParameter);
        }
        if offset != self.expected_offset || self.expected_length == 0 {
            return Err(Error::InvalidSeq);
        }
        let end = offset + fragment.len();
        if end > self.expected_length {
            return Err(Error::InvalidParameter);
        }
        self.buffer[offset..end].copy_from_slice(fragment);
        self.expected_offset = end;
        if end < self.expected_length {
            return Ok(None);
        }
        let array = &self.buffer[..end];
        self.expected_length = 0;
        self.expected_offset = 0;
        let (content, hash) = array.split_at(end - HASH_BYTES);
        if Sha256::digest(content)[..HASH_BYTES] != *hash {
            return Err(Error::IntegrityFailure);
        }
        Ok(Some(array))
    }
}

/// The largeBlobKey of the resident credential with `key`.
pub fn large_blob_key(device_secret: &[u8; 32], key: &SigningKey) -> Result<[u8; 32], Error> {
    let mut mac = Hmac::<Sha256>::new_from_slice(device_secret).map_err(|_| Error::Other)?;
    mac.update(b"ctap2 largeBlobKey");
    mac.update(&key.to_bytes());
    Ok(mac.finalize().into_bytes().into())
}

/// The message a set's pinUvAuthParam authenticates, without the
/// fragment's hash: 32 × 0xff, 0x0c 0x00, the offset (little-endian).
fn set_message_prefix(offset: u32) -> [u8; 38] {
    let mut prefix = [0xff; 38];
    prefix[32] = 0x0c;
    prefix[33] = 0x00;
    prefix[34..].copy_from_slice(&offset.to_le_bytes());
    prefix
}

impl<R: Records> Authenticator<R> {
    /// authenticatorLargeBlobs, answered straight into `response`.
    // Its own frame: inlined into the dispatcher, every command's locals
    // would be on the stack at once.
    #[inline(never)]
    pub(crate) fn large_blobs_command(
        &mut self,
        request: &Request,
        response: &mut Vec<u8, MAX_RESPONSE>,
    ) -> Result<(), Error> {
        let offset = request.offset as usize;
        match (request.get, request.set) {
            (Some(get), None) => {
                if request.length.is_some() {
                    return Err(Error::InvalidParameter);
                }
                if get as usize > MAX_FRAGMENT {
                    return Err(Error::InvalidLength);
                }
                self.read_large_blobs(offset, get as usize, response)
            }
            (None, Some(fragment)) => {
                if fragment.len() > MAX_FRAGMENT {
                    return Err(Error::InvalidLength);
                }
                self.check_set_authorization(request, fragment)?;
                let stored = self
                    .large_blobs
                    .write_fragment(fragment, offset, request.length)?;
                if let Some(array) = stored {
                    store_array(&mut self.persistent.records, array)?;
                }
                response.push(0).map_err(|_| Error::Other)
            }
            _ => Err(Error::InvalidParameter),
        }
    }

    /// With a PIN set, a set needs a token with the lbw permission over
    /// the fragment (6.10.3).
    fn check_set_authorization(&mut self, request: &Request, fragment: &[u8]) -> Result<(), Error> {
        if !self.pin_is_set() {
            return Ok(());
        }
        let param = request.pin_uv_auth_param.ok_or(Error::PinRequired)?;
        let number = request
            .pin_uv_auth_protocol
            .ok_or(Error::InvalidParameter)?;
        let protocol = PinProtocol::from_number(u8::try_from(number).unwrap_or(0))?;
        let prefix = set_message_prefix(request.offset);
        let digest: [u8; 32] = Sha256::digest(fragment).into();
        self.client_pin
            .verify_token_param(protocol, &[&prefix, &digest], param)?;
        if !self
            .client_pin
            .token_has_permission(Permissions::LARGE_BLOB_WRITE)
        {
            return Err(Error::PinAuthInvalid);
        }
        Ok(())
    }

    /// A get: up to `count` bytes of the stored array from `offset`, as
    /// the response's byte string (key 1).
    fn read_large_blobs(
        &mut self,
        offset: usize,
        count: usize,
        response: &mut Vec<u8, MAX_RESPONSE>,
    ) -> Result<(), Error> {
        let length = stored_length(&mut self.persistent.records)?;
        if offset > length {
            return Err(Error::InvalidParameter);
        }
        let count = count.min(length - offset);
        // Status, a one-entry map, key 1, then a byte string of `count`.
        response
            .extend_from_slice(&[0x00, 0xa1, 0x01])
            .map_err(|_| Error::Other)?;
        let (header, header_length) = byte_string_header(count);
        response
            .extend_from_slice(&header[..header_length])
            .map_err(|_| Error::Other)?;
        let mut chunk = [0u8; MAX_VALUE];
        let mut position = offset;
        while position < offset + count {
            let index = position / MAX_VALUE;
            let key = LARGE_BLOB_FIRST_KEY + index as u16;
            let chunk = read_chunk(&mut self.persistent.records, key, &mut chunk)?;
            let start = position - index * MAX_VALUE;
            let end = chunk.len().min(start + offset + count - position);
            if start >= end {
                return Err(Error::Other);
            }
            response
                .extend_from_slice(&chunk[start..end])
                .map_err(|_| Error::Other)?;
            position += end - start;
        }
        Ok(())
    }
}

/// The canonical CBOR head of a byte string of `count` bytes (platforms
/// refuse longer heads than needed); `count` is below 65,536.
fn byte_string_header(count: usize) -> ([u8; 3], usize) {
    match count {
        0..=23 => ([0x40 | count as u8, 0, 0], 1),
        24..=255 => ([0x58, count as u8, 0], 2),
        _ => ([0x59, (count >> 8) as u8, count as u8], 3),
    }
}

/// Chunk `key` of the stored array (the initial array when none is).
fn read_chunk<'a>(
    records: &mut impl Records,
    key: u16,
    buffer: &'a mut [u8; MAX_VALUE],
) -> Result<&'a [u8], Error> {
    if records
        .next_key(LARGE_BLOB_FIRST_KEY, LARGE_BLOB_FIRST_KEY)
        .is_none()
    {
        buffer[..INITIAL_ARRAY.len()].copy_from_slice(&INITIAL_ARRAY);
        return Ok(&buffer[..INITIAL_ARRAY.len()]);
    }
    let length = records.get(key, buffer)?.ok_or(Error::Other)?;
    Ok(&buffer[..length])
}

/// The stored array's length: its chunks' lengths, or the initial array's.
// Not inlined: its buffer is gone before the caller's own is used.
#[inline(never)]
fn stored_length(records: &mut impl Records) -> Result<usize, Error> {
    let mut total = 0;
    let mut buffer = [0u8; MAX_VALUE];
    for index in 0..CHUNKS as u16 {
        match records.get(LARGE_BLOB_FIRST_KEY + index, &mut buffer) {
            Ok(Some(length)) => total += length,
            Ok(None) => break,
            Err(error) => return Err(error.into()),
        }
    }
    Ok(if total == 0 {
        INITIAL_ARRAY.len()
    } else {
        total
    })
}

/// Goes back to the initial array (a reset), in one transaction.
pub(crate) fn clear_array(records: &mut impl Records) -> Result<(), Error> {
    store_array(records, &[])
}

/// Replaces the stored array with `array` (none: the initial array), in
/// one transaction.
fn store_array(records: &mut impl Records, array: &[u8]) -> Result<(), Error> {
    let mut updates: [Update<'_>; CHUNKS] = core::array::from_fn(|index| Update::Remove {
        key: LARGE_BLOB_FIRST_KEY + index as u16,
    });
    for (index, chunk) in array.chunks(MAX_VALUE).enumerate() {
        updates[index] = Update::Insert {
            key: LARGE_BLOB_FIRST_KEY + index as u16,
            value: chunk,
        };
    }
    records.transaction(&updates).map_err(|error| match error {
        crate::persistent::RecordsError::Full => Error::LargeBlobStorageFull,
        crate::persistent::RecordsError::Failed => Error::Other,
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::persistent::RecordsError;
    use credential_store::ram::RamStorage;
    use credential_store::Store;

    /// The store, counting how it is written.
    struct Counting {
        store: Store<RamStorage, 16>,
        transactions: usize,
        single_updates: usize,
    }

    impl Records for Counting {
        fn get(&mut self, key: u16, buffer: &mut [u8]) -> Result<Option<usize>, RecordsError> {
            Records::get(&mut self.store, key, buffer)
        }
        fn insert(&mut self, key: u16, value: &[u8]) -> Result<(), RecordsError> {
            self.single_updates += 1;
            Records::insert(&mut self.store, key, value)
        }
        fn remove(&mut self, key: u16) -> Result<(), RecordsError> {
            self.single_updates += 1;
            Records::remove(&mut self.store, key)
        }
        fn transaction(&mut self, updates: &[Update<'_>]) -> Result<(), RecordsError> {
            self.transactions += 1;
            Records::transaction(&mut self.store, updates)
        }
        fn next_key(&mut self, first: u16, last: u16) -> Option<u16> {
            Records::next_key(&mut self.store, first, last)
        }
        fn free_bytes(&mut self) -> usize {
            Records::free_bytes(&mut self.store)
        }
    }

    fn counting(region: usize) -> Counting {
        Counting {
            store: Store::open(RamStorage::new(region)).unwrap(),
            transactions: 0,
            single_updates: 0,
        }
    }

    fn stored(records: &mut impl Records) -> std::vec::Vec<u8> {
        let mut array = std::vec::Vec::new();
        let mut buffer = [0u8; MAX_VALUE];
        for index in 0..CHUNKS as u16 {
            let key = LARGE_BLOB_FIRST_KEY + index;
            if records.next_key(key, key).is_some() {
                array.extend_from_slice(read_chunk(records, key, &mut buffer).unwrap());
            }
        }
        array
    }

    #[test]
    fn every_commit_is_one_store_transaction_over_all_chunks() {
        let mut records = counting(64 * 1024);
        let long = [0x5a; MAX_SERIALIZED_ARRAY];
        store_array(&mut records, &long).unwrap();
        assert_eq!((records.transactions, records.single_updates), (1, 0));
        assert_eq!(stored(&mut records), long);
        let short = [0x11; 40];
        store_array(&mut records, &short).unwrap();
        assert_eq!((records.transactions, records.single_updates), (2, 0));
        assert_eq!(stored(&mut records), short, "the second chunk is gone too");
        clear_array(&mut records).unwrap();
        assert_eq!((records.transactions, records.single_updates), (3, 0));
        assert_eq!(stored_length(&mut records).unwrap(), INITIAL_ARRAY.len());
    }

    #[test]
    fn a_commit_that_does_not_fit_leaves_the_old_array_whole() {
        let mut records = counting(6 * 1024);
        let old = [0x22; 1500];
        store_array(&mut records, &old).unwrap();
        let new = [0x33; MAX_SERIALIZED_ARRAY];
        assert_eq!(
            store_array(&mut records, &new),
            Err(Error::LargeBlobStorageFull)
        );
        assert_eq!(stored(&mut records), old);
    }

    #[test]
    fn the_initial_array_is_an_empty_array_and_its_hash() {
        let hash = Sha256::digest([0x80]);
        assert_eq!(INITIAL_ARRAY[0], 0x80);
        assert_eq!(&INITIAL_ARRAY[1..], &hash[..HASH_BYTES]);
    }

    #[test]
    fn byte_string_heads_are_canonical() {
        assert_eq!(byte_string_header(0), ([0x40, 0, 0], 1));
        assert_eq!(byte_string_header(17), ([0x51, 0, 0], 1));
        assert_eq!(byte_string_header(24), ([0x58, 24, 0], 2));
        assert_eq!(byte_string_header(255), ([0x58, 255, 0], 2));
        assert_eq!(byte_string_header(256), ([0x59, 1, 0], 3));
        assert_eq!(byte_string_header(MAX_FRAGMENT), ([0x59, 0x07, 0xc0], 3));
    }

    #[test]
    fn the_set_message_is_ff_then_command_then_offset() {
        let prefix = set_message_prefix(0x0102_0304);
        assert!(prefix[..32].iter().all(|&byte| byte == 0xff));
        assert_eq!(&prefix[32..], &[0x0c, 0x00, 0x04, 0x03, 0x02, 0x01]);
    }
}
