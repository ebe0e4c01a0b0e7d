//! In-place edits of a base header (no allocation): flags and total size,
//! with the checksum recomputed. Every other byte of the image is kept.
//!
//! The header is part of the integrity region: after an edit, every digest
//! and signature over the image must be recomputed (see `sign`).

use crate::error::ParseError;
use crate::parse::parse_header;
use crate::types::{header_checksum, BaseHeader, BASE_HEADER_SIZE, CHECKSUM_OFFSET, TBF_VERSION};

fn write_word(bytes: &mut [u8], at: usize, value: u32) {
    for (slot, byte) in bytes.iter_mut().skip(at).zip(value.to_le_bytes()) {
        *slot = byte;
    }
}

/// Sets `flags` and/or `total_size` in the header at the start of `image`
/// (which must hold at least the whole header and parse), then rewrites
/// the checksum. The result is checked by parsing the header again.
pub fn edit_base_header(
    image: &mut [u8],
    flags: Option<u32>,
    total_size: Option<u32>,
) -> Result<(), ParseError> {
    let header_size = usize::from(parse_header(image)?.header_size());
    if let Some(flags) = flags {
        write_word(image, 8, flags);
    }
    if let Some(total_size) = total_size {
        write_word(image, 4, total_size);
    }
    let checksum = header_checksum(image.get(..header_size).unwrap_or_default());
    write_word(image, CHECKSUM_OFFSET, checksum);
    parse_header(image).map(|_| ())
}

/// The 16-byte header of a padding image of `total_size` bytes: version 2,
/// no TLVs, flags 0 (disabled). What is written where an app was removed,
/// to keep the chain of images intact. The rest of its space is unused.
pub fn padding_header(total_size: u32) -> [u8; BASE_HEADER_SIZE] {
    let base = BaseHeader {
        version: TBF_VERSION,
        header_size: BASE_HEADER_SIZE as u16,
        total_size,
        flags: 0,
        checksum: 0,
    };
    let mut header = base.to_bytes();
    let checksum = header_checksum(&header);
    write_word(&mut header, CHECKSUM_OFFSET, checksum);
    header
}

/// Sets or clears the enabled flag in place (see [`edit_base_header`]).
pub fn set_enabled_in_place(image: &mut [u8], enabled: bool) -> Result<(), ParseError> {
    let flags = parse_header(image)?.base().flags;
    let flags = if enabled {
        flags | crate::FLAG_ENABLED
    } else {
        flags & !crate::FLAG_ENABLED
    };
    edit_base_header(image, Some(flags), None)
}

/// Sets or clears the sticky flag in place (see [`edit_base_header`]).
pub fn set_sticky_in_place(image: &mut [u8], sticky: bool) -> Result<(), ParseError> {
    let flags = parse_header(image)?.base().flags;
    let flags = if sticky {
        flags | crate::FLAG_STICKY
    } else {
        flags & !crate::FLAG_STICKY
    };
    edit_base_header(image, Some(flags), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_padding_header_parses_as_a_disabled_padding_image() {
        let mut flash = [0xFFu8; 64];
        flash[..16].copy_from_slice(&padding_header(64));
        let tbf = crate::parse(&flash).expect("valid");
        assert!(tbf.is_padding() && !tbf.enabled());
        assert_eq!(tbf.total_size(), 64);
    }

    #[test]
    fn flags_and_size_edits_keep_the_header_valid() {
        let mut header = padding_header(64);
        set_enabled_in_place(&mut header, true).expect("edits");
        assert!(parse_header(&header).expect("valid").enabled());
        set_enabled_in_place(&mut header, false).expect("edits");
        set_sticky_in_place(&mut header, true).expect("edits");
        let parsed = parse_header(&header).expect("valid");
        assert!(!parsed.enabled() && parsed.sticky());
        edit_base_header(&mut header, None, Some(128)).expect("edits");
        assert_eq!(parse_header(&header).expect("valid").total_size(), 128);
    }

    #[test]
    fn an_edit_that_breaks_the_header_is_reported() {
        let mut header = padding_header(64);
        assert_eq!(
            edit_base_header(&mut header, None, Some(8)),
            Err(ParseError::HeaderLargerThanImage {
                header_size: 16,
                total_size: 8
            })
        );
        let mut garbage = [0u8; 4];
        assert!(edit_base_header(&mut garbage, Some(0), None).is_err());
    }
}
