//! Bootloader attributes: 16 slots of 64 bytes describing the board.
//!
//! ```text
//! slot (64 bytes):
//! 0          8        9                                   64
//! +----------+--------+-----------------------------------+
//! | key, NUL | value  | value (UTF-8), `length` bytes     |
//! | padded   | length | used, the rest is ignored         |
//! +----------+--------+-----------------------------------+
//! ```
//! Upstream keeps the table in the bootloader's flash at
//! [`ATTRIBUTES_FLASH_OFFSET`] from the start of flash. A slot whose length
//! is 0 or above 55 is empty (erased flash reads 0xFF there).
//! Well-known keys: `board`, `arch`, `appaddr` (hex), `pagesize` (decimal).

/// Number of attribute slots.
pub const ATTRIBUTE_COUNT: usize = 16;
/// Bytes per slot.
pub const ATTRIBUTE_SIZE: usize = 64;
/// Longest key.
pub const KEY_LENGTH: usize = 8;
/// Longest value.
pub const MAX_VALUE_LENGTH: usize = 55;
/// Offset of the attribute table from the start of flash (upstream's).
pub const ATTRIBUTES_FLASH_OFFSET: u32 = 0x600;
/// Offset of the bootloader's version string (8 bytes) from the start of flash.
pub const BOOTLOADER_VERSION_FLASH_OFFSET: u32 = 0x40E;

/// Why an attribute cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeError {
    /// The key is longer than [`KEY_LENGTH`] bytes or empty.
    KeyLength(usize),
    /// The value is longer than [`MAX_VALUE_LENGTH`] bytes or empty.
    ValueLength(usize),
}

/// One decoded attribute, borrowing its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The key without its NUL padding.
    pub key: &'a str,
    /// The value.
    pub value: &'a str,
}

/// Encode a key and value into a 64-byte slot (unused value bytes are 0).
pub fn encode_attribute(key: &str, value: &str) -> Result<[u8; ATTRIBUTE_SIZE], AttributeError> {
    let key = key.as_bytes();
    let value = value.as_bytes();
    if key.is_empty() || key.len() > KEY_LENGTH {
        return Err(AttributeError::KeyLength(key.len()));
    }
    if value.is_empty() || value.len() > MAX_VALUE_LENGTH {
        return Err(AttributeError::ValueLength(value.len()));
    }
    let mut slot = [0u8; ATTRIBUTE_SIZE];
    let (key_field, rest) = slot.split_at_mut(KEY_LENGTH);
    let (length_field, value_field) = rest.split_at_mut(1);
    key_field
        .iter_mut()
        .zip(key)
        .for_each(|(slot_byte, byte)| *slot_byte = *byte);
    // The length was checked against MAX_VALUE_LENGTH above.
    length_field
        .iter_mut()
        .for_each(|byte| *byte = value.len() as u8);
    value_field
        .iter_mut()
        .zip(value)
        .for_each(|(slot_byte, byte)| *slot_byte = *byte);
    Ok(slot)
}

/// Decode a slot; `None` when it is empty or not UTF-8 (as tockloader reads it).
pub fn decode_attribute(slot: &[u8]) -> Option<Attribute<'_>> {
    let key_field = slot.get(..KEY_LENGTH)?;
    let length = usize::from(*slot.get(KEY_LENGTH)?);
    if length == 0 || length > MAX_VALUE_LENGTH {
        return None;
    }
    let value = slot.get(KEY_LENGTH + 1..KEY_LENGTH + 1 + length)?;
    let key_end = key_field
        .iter()
        .position(|byte| *byte == 0)
        .unwrap_or(KEY_LENGTH);
    let key = core::str::from_utf8(key_field.get(..key_end)?).ok()?;
    let value = core::str::from_utf8(value).ok()?;
    Some(Attribute { key, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_layout_tockloader_writes() {
        let slot = encode_attribute("board", "qemu-rv32-virt").unwrap();
        assert_eq!(&slot[..8], b"board\0\0\0");
        assert_eq!(slot[8], 14);
        assert_eq!(&slot[9..23], b"qemu-rv32-virt");
        assert!(slot[23..].iter().all(|byte| *byte == 0));
        let attribute = decode_attribute(&slot).unwrap();
        assert_eq!(attribute.key, "board");
        assert_eq!(attribute.value, "qemu-rv32-virt");
    }

    #[test]
    fn erased_and_oversized_slots_are_empty() {
        assert_eq!(decode_attribute(&[0xFF; ATTRIBUTE_SIZE]), None);
        assert_eq!(decode_attribute(&[0; ATTRIBUTE_SIZE]), None);
        assert_eq!(decode_attribute(&[0; 4]), None);
    }

    #[test]
    fn rejects_long_keys_and_values() {
        assert_eq!(
            encode_attribute("too-long-key", "x"),
            Err(AttributeError::KeyLength(12))
        );
        let long = "v".repeat(56);
        assert_eq!(
            encode_attribute("k", &long),
            Err(AttributeError::ValueLength(56))
        );
    }
}
