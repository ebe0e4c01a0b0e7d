//! The on-storage format: bank headers, records and their entries (the
//! crate doc draws them). Everything here is pure encoding and decoding;
//! nothing read from storage is trusted before [`BankHeader::decode`] or
//! the record checks in `mount` accept it.

use crate::{MAX_KEY, MAX_VALUE_BYTES};
use crc::{Crc, CRC_32_ISO_HDLC};

/// CRC-32 (the IEEE/zlib polynomial) over bank headers and records.
pub(crate) static CRC: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// "CSt1": identifies a bank header of this format version.
const BANK_MAGIC: u32 = u32::from_le_bytes(*b"CSt1");

/// Bytes of a bank header: magic, generation, bank size, CRC-32.
pub const BANK_HEADER_BYTES: usize = 16;
/// Bytes of a record header: body length (u16), kind, complement of kind.
pub(crate) const RECORD_HEADER_BYTES: usize = 4;
/// Bytes of the CRC-32 that closes every record.
pub(crate) const RECORD_CRC_BYTES: usize = 4;
/// The only record kind: a list of 1 to [`MAX_UPDATES`] updates.
const KIND_UPDATES: u8 = 0xA5;
/// An entry's tag bit that marks a removal (the low 12 bits are the key).
const TAG_REMOVE: u16 = 0x8000;
/// Bytes of an insert entry before its value: tag, value length.
pub(crate) const INSERT_ENTRY_BYTES: usize = 4;
/// Bytes of a remove entry: its tag.
pub(crate) const REMOVE_ENTRY_BYTES: usize = 2;

/// The most updates one record (so one transaction) holds.
pub const MAX_UPDATES: usize = 8;
/// Storage bytes of a record holding one insert, beyond the value.
pub const INSERT_RECORD_OVERHEAD: usize =
    RECORD_HEADER_BYTES + INSERT_ENTRY_BYTES + RECORD_CRC_BYTES;
/// Storage bytes of a record holding one removal.
pub const REMOVE_RECORD_BYTES: usize = RECORD_HEADER_BYTES + REMOVE_ENTRY_BYTES + RECORD_CRC_BYTES;
/// The largest record body: [`MAX_UPDATES`] inserts of the largest value.
pub(crate) const MAX_RECORD_BODY: usize = MAX_UPDATES * (INSERT_ENTRY_BYTES + MAX_VALUE_BYTES);
/// The largest record.
pub const MAX_RECORD_BYTES: usize = RECORD_HEADER_BYTES + MAX_RECORD_BODY + RECORD_CRC_BYTES;

/// A bank's header, valid only when its magic, bank size and CRC match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BankHeader {
    pub generation: u32,
}

impl BankHeader {
    pub fn encode(self, bank_size: u32) -> [u8; BANK_HEADER_BYTES] {
        let mut bytes = [0; BANK_HEADER_BYTES];
        bytes[0..4].copy_from_slice(&BANK_MAGIC.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.generation.to_le_bytes());
        bytes[8..12].copy_from_slice(&bank_size.to_le_bytes());
        let check = CRC.checksum(&bytes[..12]);
        bytes[12..16].copy_from_slice(&check.to_le_bytes());
        bytes
    }

    /// The header in `bytes`, if it is one written for banks of `bank_size`.
    pub fn decode(bytes: &[u8; BANK_HEADER_BYTES], bank_size: u32) -> Option<Self> {
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let valid =
            word(0) == BANK_MAGIC && word(8) == bank_size && word(12) == CRC.checksum(&bytes[..12]);
        valid.then_some(BankHeader {
            generation: word(4),
        })
    }

    /// Whether `self` was written after `other`: generations count up by
    /// one per compaction, compared in serial-number order so a wrap of
    /// the counter cannot make an old bank look new.
    pub fn is_newer_than(self, other: Self) -> bool {
        (self.generation.wrapping_sub(other.generation) as i32) > 0
    }
}

/// What a record header says, before the CRC is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordHeader {
    /// Four erased bytes: the log ends here.
    Erased,
    /// A record whose body has this many bytes.
    Updates { body_bytes: usize },
    /// Neither: a torn or corrupt record.
    Invalid,
}

pub(crate) fn encode_record_header(body_bytes: usize) -> [u8; RECORD_HEADER_BYTES] {
    debug_assert!(body_bytes <= MAX_RECORD_BODY);
    let length = (body_bytes as u16).to_le_bytes();
    [length[0], length[1], KIND_UPDATES, !KIND_UPDATES]
}

pub(crate) fn decode_record_header(bytes: [u8; RECORD_HEADER_BYTES]) -> RecordHeader {
    if bytes == [0xFF; RECORD_HEADER_BYTES] {
        return RecordHeader::Erased;
    }
    let body_bytes = usize::from(u16::from_le_bytes([bytes[0], bytes[1]]));
    let plausible =
        bytes[2] == KIND_UPDATES && bytes[3] == !KIND_UPDATES && body_bytes <= MAX_RECORD_BODY;
    if plausible {
        RecordHeader::Updates { body_bytes }
    } else {
        RecordHeader::Invalid
    }
}

/// An entry's tag: the key, and whether the entry removes it.
pub(crate) fn encode_tag(key: u16, remove: bool) -> [u8; 2] {
    (key | if remove { TAG_REMOVE } else { 0 }).to_le_bytes()
}

/// The key and removal flag of a tag; `None` for a key beyond [`MAX_KEY`]
/// or reserved bits set.
pub(crate) fn decode_tag(bytes: [u8; 2]) -> Option<(u16, bool)> {
    let tag = u16::from_le_bytes(bytes);
    let key = tag & !TAG_REMOVE;
    (key <= MAX_KEY).then_some((key, tag & TAG_REMOVE != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bank_header_round_trips_and_rejects_any_changed_byte() {
        let header = BankHeader { generation: 7 };
        let bytes = header.encode(4096);
        assert_eq!(BankHeader::decode(&bytes, 4096), Some(header));
        assert_eq!(BankHeader::decode(&bytes, 8192), None);
        for at in 0..BANK_HEADER_BYTES {
            let mut changed = bytes;
            changed[at] ^= 0x10;
            assert_eq!(BankHeader::decode(&changed, 4096), None, "byte {at}");
        }
        assert_eq!(BankHeader::decode(&[0xFF; BANK_HEADER_BYTES], 4096), None);
    }

    #[test]
    fn generations_compare_across_the_wrap() {
        let at = |generation| BankHeader { generation };
        assert!(at(2).is_newer_than(at(1)));
        assert!(!at(1).is_newer_than(at(2)));
        assert!(at(0).is_newer_than(at(u32::MAX)));
        assert!(!at(5).is_newer_than(at(5)));
    }

    #[test]
    fn record_headers_decode_as_written_erased_or_invalid() {
        assert_eq!(
            decode_record_header(encode_record_header(300)),
            RecordHeader::Updates { body_bytes: 300 }
        );
        assert_eq!(decode_record_header([0xFF; 4]), RecordHeader::Erased);
        assert_eq!(decode_record_header([0, 0, 0, 0]), RecordHeader::Invalid);
        let too_long = (MAX_RECORD_BODY as u16 + 1).to_le_bytes();
        assert_eq!(
            decode_record_header([too_long[0], too_long[1], KIND_UPDATES, !KIND_UPDATES]),
            RecordHeader::Invalid
        );
    }

    #[test]
    fn tags_carry_key_and_removal_and_reject_reserved_bits() {
        assert_eq!(decode_tag(encode_tag(MAX_KEY, true)), Some((MAX_KEY, true)));
        assert_eq!(decode_tag(encode_tag(0, false)), Some((0, false)));
        assert_eq!(decode_tag(0x1000u16.to_le_bytes()), None);
    }
}
