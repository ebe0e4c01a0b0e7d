//! The on-flash format of the key-value log: one record per flash page,
//! one header page per erase block. Pure encoding and decoding, no I/O.
//!
//! ```text
//!  record page (PAGE_BYTES = 512)          block header page (page 0)
//!  0    magic "KVR1" (u32 LE)              0    magic "KVB1" (u32 LE)
//!  4    owner: storage write id (u32)      4    generation (u32)
//!  8    kind: 1 value, 2 deleted (u8)      8..508 0xFF
//!  9    key length 1..=64 (u8)             508  CRC-32 of bytes 0..508
//!  10   value length (u16)
//!  12   key (64 bytes, 0xFF padded)
//!  76   value (432 bytes, 0xFF padded)
//!  508  CRC-32 (ISO-HDLC) of bytes 0..508
//! ```
//!
//! A page is *erased* when every byte is 0xFF. A page that is neither
//! erased nor a record with a good CRC is garbage (a write cut off by a
//! power loss) and is skipped.

use crc::{Crc, CRC_32_ISO_HDLC};

/// Bytes per page; the flash's page must be this size.
pub const PAGE_BYTES: usize = 512;
/// Longest key.
pub const MAX_KEY_BYTES: usize = 64;
/// Longest value.
pub const MAX_VALUE_BYTES: usize = CRC_OFFSET - VALUE_OFFSET;

const RECORD_MAGIC: u32 = u32::from_le_bytes(*b"KVR1");
const BLOCK_MAGIC: u32 = u32::from_le_bytes(*b"KVB1");
const KEY_OFFSET: usize = 12;
const VALUE_OFFSET: usize = KEY_OFFSET + MAX_KEY_BYTES;
const CRC_OFFSET: usize = PAGE_BYTES - 4;
const KIND_VALUE: u8 = 1;
const KIND_DELETED: u8 = 2;

const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// What a record says about its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// The key holds a value.
    Value,
    /// The key was deleted.
    Deleted,
}

/// A decoded record, borrowing the page.
#[derive(Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The storage write id it was stored under.
    pub owner: u32,
    /// Value or deletion.
    pub kind: RecordKind,
    /// The key.
    pub key: &'a [u8],
    /// The value (empty for a deletion).
    pub value: &'a [u8],
}

/// What a page holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Page<'a> {
    /// All 0xFF: free for a write.
    Erased,
    /// A good record.
    Record(Record<'a>),
    /// A good block header.
    BlockHeader(u32),
    /// Anything else (a torn write).
    Garbage,
}

fn read_u32(page: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes([
        page[offset],
        page[offset + 1],
        page[offset + 2],
        page[offset + 3],
    ])
}

fn seal(page: &mut [u8]) {
    let crc = CRC32.checksum(&page[..CRC_OFFSET]);
    page[CRC_OFFSET..PAGE_BYTES].copy_from_slice(&crc.to_le_bytes());
}

/// Why a record cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// Key empty or longer than [`MAX_KEY_BYTES`].
    KeyLength,
    /// Value longer than [`MAX_VALUE_BYTES`].
    ValueLength,
}

/// Writes `record` into `page` (at least [`PAGE_BYTES`] long).
pub fn encode_record(page: &mut [u8], record: &Record<'_>) -> Result<(), EncodeError> {
    if record.key.is_empty() || record.key.len() > MAX_KEY_BYTES {
        return Err(EncodeError::KeyLength);
    }
    if record.value.len() > MAX_VALUE_BYTES {
        return Err(EncodeError::ValueLength);
    }
    let page = &mut page[..PAGE_BYTES];
    page.fill(0xFF);
    page[0..4].copy_from_slice(&RECORD_MAGIC.to_le_bytes());
    page[4..8].copy_from_slice(&record.owner.to_le_bytes());
    page[8] = match record.kind {
        RecordKind::Value => KIND_VALUE,
        RecordKind::Deleted => KIND_DELETED,
    };
    page[9] = record.key.len() as u8;
    page[10..12].copy_from_slice(&(record.value.len() as u16).to_le_bytes());
    page[KEY_OFFSET..KEY_OFFSET + record.key.len()].copy_from_slice(record.key);
    page[VALUE_OFFSET..VALUE_OFFSET + record.value.len()].copy_from_slice(record.value);
    seal(page);
    Ok(())
}

/// Writes a block header of `generation` into `page`.
pub fn encode_block_header(page: &mut [u8], generation: u32) {
    let page = &mut page[..PAGE_BYTES];
    page.fill(0xFF);
    page[0..4].copy_from_slice(&BLOCK_MAGIC.to_le_bytes());
    page[4..8].copy_from_slice(&generation.to_le_bytes());
    seal(page);
}

/// Reads a page.
pub fn decode(page: &[u8]) -> Page<'_> {
    let Some(page) = page.get(..PAGE_BYTES) else {
        return Page::Garbage;
    };
    if page.iter().all(|&byte| byte == 0xFF) {
        return Page::Erased;
    }
    if read_u32(page, CRC_OFFSET) != CRC32.checksum(&page[..CRC_OFFSET]) {
        return Page::Garbage;
    }
    match read_u32(page, 0) {
        BLOCK_MAGIC => Page::BlockHeader(read_u32(page, 4)),
        RECORD_MAGIC => decode_record(page),
        _ => Page::Garbage,
    }
}

fn decode_record(page: &[u8]) -> Page<'_> {
    let kind = match page[8] {
        KIND_VALUE => RecordKind::Value,
        KIND_DELETED => RecordKind::Deleted,
        _ => return Page::Garbage,
    };
    let key_length = usize::from(page[9]);
    let value_length = usize::from(u16::from_le_bytes([page[10], page[11]]));
    if key_length == 0 || key_length > MAX_KEY_BYTES || value_length > MAX_VALUE_BYTES {
        return Page::Garbage;
    }
    Page::Record(Record {
        owner: read_u32(page, 4),
        kind,
        key: &page[KEY_OFFSET..KEY_OFFSET + key_length],
        value: &page[VALUE_OFFSET..VALUE_OFFSET + value_length],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_torn_pages_are_garbage() {
        let mut page = [0u8; PAGE_BYTES];
        let record = Record {
            owner: 7,
            kind: RecordKind::Value,
            key: b"counter",
            value: b"42",
        };
        encode_record(&mut page, &record).unwrap();
        assert_eq!(decode(&page), Page::Record(record));
        for cut in [1, 12, 100, 300, 508, 511] {
            let mut torn = [0xFFu8; PAGE_BYTES];
            torn[..cut].copy_from_slice(&page[..cut]);
            assert_eq!(decode(&torn), Page::Garbage, "cut at {cut}");
        }
        assert_eq!(decode(&[0xFF; PAGE_BYTES]), Page::Erased);
        encode_block_header(&mut page, 9);
        assert_eq!(decode(&page), Page::BlockHeader(9));
    }

    #[test]
    fn bad_lengths_are_refused() {
        let mut page = [0u8; PAGE_BYTES];
        let mut record = Record {
            owner: 1,
            kind: RecordKind::Value,
            key: b"",
            value: b"",
        };
        assert_eq!(
            encode_record(&mut page, &record),
            Err(EncodeError::KeyLength)
        );
        record.key = &[b'k'; MAX_KEY_BYTES + 1];
        assert_eq!(
            encode_record(&mut page, &record),
            Err(EncodeError::KeyLength)
        );
        record.key = b"k";
        let long = [0u8; MAX_VALUE_BYTES + 1];
        record.value = &long;
        assert_eq!(
            encode_record(&mut page, &record),
            Err(EncodeError::ValueLength)
        );
    }
}
