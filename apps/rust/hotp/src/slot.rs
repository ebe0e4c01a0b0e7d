//! One HOTP slot as stored in the key-value store.
//!
//! Key: `hotp-slot-N`. Value (little-endian):
//!
//! ```text
//! 0       1           2        3             4           12
//! +-------+-----------+--------+-------------+-----------+-----------------+
//! | FORMAT| algorithm | digits | secret len  | counter   | secret          |
//! | (1)   | 0 SHA-1   | 6..8   | 1..=64      | u64       | secret len bytes|
//! |       | 1 SHA-256 |        |             |           |                 |
//! +-------+-----------+--------+-------------+-----------+-----------------+
//! ```
//!
//! The counter is the value the *next* code uses.

use crate::code::{MAX_DIGITS, MIN_DIGITS};

/// How many slots the app keeps.
pub const SLOT_COUNT: usize = 4;
/// The longest secret (bytes): enough for HMAC-SHA-256's block-sized keys.
pub const MAX_SECRET: usize = 64;
/// Bytes before the secret.
const HEADER: usize = 12;
/// The longest stored value.
pub const MAX_RECORD: usize = HEADER + MAX_SECRET;
/// The format byte this version writes and reads.
const FORMAT: u8 = 1;

/// The hash under the HMAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA-1, as RFC 4226 specifies.
    Sha1,
    /// HMAC-SHA-256 (RFC 6238 allows it; some services use it).
    Sha256,
}

impl Algorithm {
    /// The name used on the console.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
        }
    }
}

/// Why a stored value was not a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// Shorter than its header or than the secret length it names.
    Truncated,
    /// Written by another format version.
    UnknownFormat(u8),
    /// A field out of range (algorithm, digits or secret length).
    BadField,
}

/// A programmed slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The hash under the HMAC.
    pub algorithm: Algorithm,
    /// Digits per code.
    pub digits: u8,
    /// The counter of the next code.
    pub counter: u64,
    secret: [u8; MAX_SECRET],
    secret_length: u8,
}

impl Slot {
    /// A slot with `secret` (1..=64 bytes) and `digits` (6..=8), or `None`.
    pub fn new(secret: &[u8], digits: u8, algorithm: Algorithm, counter: u64) -> Option<Slot> {
        if secret.is_empty()
            || secret.len() > MAX_SECRET
            || !(MIN_DIGITS..=MAX_DIGITS).contains(&digits)
        {
            return None;
        }
        let mut stored = [0u8; MAX_SECRET];
        stored[..secret.len()].copy_from_slice(secret);
        Some(Slot {
            algorithm,
            digits,
            counter,
            secret: stored,
            secret_length: secret.len() as u8,
        })
    }

    /// The secret key.
    pub fn secret(&self) -> &[u8] {
        &self.secret[..usize::from(self.secret_length)]
    }

    /// Writes the record into `output`; returns its length.
    pub fn encode(&self, output: &mut [u8; MAX_RECORD]) -> usize {
        output[0] = FORMAT;
        output[1] = match self.algorithm {
            Algorithm::Sha1 => 0,
            Algorithm::Sha256 => 1,
        };
        output[2] = self.digits;
        output[3] = self.secret_length;
        output[4..HEADER].copy_from_slice(&self.counter.to_le_bytes());
        let end = HEADER + usize::from(self.secret_length);
        output[HEADER..end].copy_from_slice(self.secret());
        end
    }

    /// Reads a record written by [`Slot::encode`].
    pub fn decode(record: &[u8]) -> Result<Slot, RecordError> {
        let header = record.get(..HEADER).ok_or(RecordError::Truncated)?;
        if header[0] != FORMAT {
            return Err(RecordError::UnknownFormat(header[0]));
        }
        let algorithm = match header[1] {
            0 => Algorithm::Sha1,
            1 => Algorithm::Sha256,
            _ => return Err(RecordError::BadField),
        };
        let mut counter = [0u8; 8];
        counter.copy_from_slice(&header[4..HEADER]);
        let secret = record
            .get(HEADER..HEADER + usize::from(header[3]))
            .ok_or(RecordError::Truncated)?;
        Slot::new(secret, header[2], algorithm, u64::from_le_bytes(counter))
            .ok_or(RecordError::BadField)
    }
}

/// The key of slot `index` (`hotp-slot-0` ...): `index` must be below
/// [`SLOT_COUNT`] (one digit).
pub fn key(index: usize) -> [u8; 11] {
    let mut key = *b"hotp-slot-0";
    key[10] = b'0' + (index % 10) as u8;
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips() {
        let slot = Slot::new(b"12345678901234567890", 8, Algorithm::Sha256, 1 << 40).unwrap();
        let mut record = [0u8; MAX_RECORD];
        let length = slot.encode(&mut record);
        assert_eq!(length, 12 + 20);
        assert_eq!(Slot::decode(&record[..length]), Ok(slot));
        assert_eq!(slot.secret(), b"12345678901234567890");
    }

    #[test]
    fn damaged_records_are_refused() {
        let slot = Slot::new(b"key", 6, Algorithm::Sha1, 3).unwrap();
        let mut record = [0u8; MAX_RECORD];
        let length = slot.encode(&mut record);
        assert_eq!(
            Slot::decode(&record[..length - 1]),
            Err(RecordError::Truncated)
        );
        assert_eq!(Slot::decode(&record[..5]), Err(RecordError::Truncated));
        let mut other = record;
        other[0] = 9;
        assert_eq!(
            Slot::decode(&other[..length]),
            Err(RecordError::UnknownFormat(9))
        );
        let mut digits = record;
        digits[2] = 5;
        assert_eq!(Slot::decode(&digits[..length]), Err(RecordError::BadField));
        let mut algorithm = record;
        algorithm[1] = 2;
        assert_eq!(
            Slot::decode(&algorithm[..length]),
            Err(RecordError::BadField)
        );
    }

    #[test]
    fn slots_refuse_bad_secrets_and_digits() {
        assert!(Slot::new(b"", 6, Algorithm::Sha1, 0).is_none());
        assert!(Slot::new(&[1; 65], 6, Algorithm::Sha1, 0).is_none());
        assert!(Slot::new(b"k", 9, Algorithm::Sha1, 0).is_none());
        assert_eq!(&key(3), b"hotp-slot-3");
    }
}
