//! Unit tests for the zero-copy parser: hand-made bytes for every error.

use super::*;
use crate::error::ExpectedLength;
use crate::types::header_checksum;

/// A header from raw TLV bytes, with sizes and checksum filled in.
fn header_with(tlvs: &[u8], total_size: u32) -> std::vec::Vec<u8> {
    let header_size = (16 + tlvs.len()) as u16;
    let mut out = std::vec::Vec::new();
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&header_size.to_le_bytes());
    out.extend_from_slice(&total_size.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(tlvs);
    let checksum = header_checksum(&out);
    out[12..16].copy_from_slice(&checksum.to_le_bytes());
    out.resize(total_size as usize, 0);
    out
}

fn tlv(tlv_type: u16, value: &[u8]) -> std::vec::Vec<u8> {
    let mut out = std::vec::Vec::new();
    out.extend_from_slice(&tlv_type.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

fn program(binary_end: u32) -> std::vec::Vec<u8> {
    let mut value = std::vec::Vec::new();
    for word in [4u32, 8, 1024, binary_end, 9] {
        value.extend_from_slice(&word.to_le_bytes());
    }
    tlv(9, &value)
}

#[test]
fn a_padding_header_parses_as_padding_with_no_footers() {
    let image = header_with(&[], 64);
    let tbf = parse(&image).expect("valid");
    assert!(tbf.is_padding() && !tbf.is_app());
    assert_eq!(tbf.binary_end_offset(), 64);
    assert_eq!(tbf.integrity_region().map(<[u8]>::len), Some(64));
    assert_eq!(tbf.footers().count(), 0);
}

#[test]
fn the_integrity_region_ends_at_binary_end_offset() {
    let image = header_with(&program(44), 64);
    assert_eq!(integrity_region(&image).map(<[u8]>::len), Ok(44));
    assert_eq!(
        integrity_region(&image[..10]),
        Err(ParseError::BaseHeaderTruncated { available: 10 })
    );
}

#[test]
fn base_header_errors_name_the_field() {
    assert_eq!(
        parse(&[2, 0, 16]),
        Err(ParseError::BaseHeaderTruncated { available: 3 })
    );
    let mut image = header_with(&[], 32);
    image[0] = 1;
    assert_eq!(
        parse(&image),
        Err(ParseError::UnsupportedVersion { version: 1 })
    );
    let mut image = header_with(&[], 32);
    image[2] = 8;
    assert_eq!(
        parse(&image),
        Err(ParseError::HeaderSizeTooSmall { header_size: 8 })
    );
    let image = header_with(&[], 32);
    assert_eq!(
        parse(&image[..20]),
        Err(ParseError::ImageTruncated {
            total_size: 32,
            available: 20
        })
    );
    let mut image = header_with(&[], 32);
    image[4] = 8;
    assert_eq!(
        parse(&image),
        Err(ParseError::HeaderLargerThanImage {
            header_size: 16,
            total_size: 8
        })
    );
}

#[test]
fn a_wrong_checksum_is_reported_with_both_values() {
    let mut image = header_with(&program(40), 64);
    let stored = u32::from_le_bytes(image[12..16].try_into().unwrap());
    image[12] ^= 0xFF;
    assert_eq!(
        parse(&image),
        Err(ParseError::ChecksumMismatch {
            stored: stored ^ 0xFF,
            computed: stored
        })
    );
}

#[test]
fn the_checksum_is_the_xor_of_the_words_without_the_checksum_word() {
    let header = [
        2u8, 0, 20, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD, 5, 0, 0, 0,
    ];
    assert_eq!(header_checksum(&header), 0x0014_0002 ^ 0x10 ^ 1 ^ 5);
}

#[test]
fn fixed_size_tlvs_with_a_wrong_length_are_rejected() {
    for (tlv_type, size) in [(1u16, 12u32), (4, 40), (5, 8), (8, 4), (9, 20), (10, 4)] {
        let image = header_with(&tlv(tlv_type, &[0; 6]), 128);
        assert_eq!(
            parse(&image),
            Err(ParseError::BadTlvLength {
                offset: 16,
                tlv_type,
                length: 6,
                expected: ExpectedLength::Exact(size)
            }),
            "type {tlv_type}"
        );
    }
}

#[test]
fn variable_tlvs_check_their_counts() {
    let image = header_with(&tlv(2, &[0; 12]), 128);
    assert!(matches!(
        parse(&image),
        Err(ParseError::BadTlvLength {
            expected: ExpectedLength::MultipleOf(8),
            ..
        })
    ));
    // Permissions saying 2 entries but holding 1.
    let mut value = std::vec![2, 0];
    value.extend_from_slice(&[0; 16]);
    let image = header_with(&tlv(6, &value), 128);
    assert!(matches!(
        parse(&image),
        Err(ParseError::BadTlvLength {
            tlv_type: 6,
            expected: ExpectedLength::Exact(34),
            ..
        })
    ));
    // Persistent ACL: one read id promised, none present.
    let image = header_with(&tlv(7, &[1, 0, 0, 0, 1, 0, 0, 0]), 128);
    assert!(matches!(
        parse(&image),
        Err(ParseError::BadTlvLength { tlv_type: 7, .. })
    ));
    let image = header_with(&tlv(7, &[1, 0, 0, 0, 0, 0]), 128);
    assert!(matches!(
        parse(&image),
        Err(ParseError::BadTlvLength {
            tlv_type: 7,
            expected: ExpectedLength::AtLeast(8),
            ..
        })
    ));
}

#[test]
fn a_tlv_running_past_the_header_is_rejected() {
    let mut tlvs = tlv(3, b"abcd");
    tlvs[2] = 40;
    let image = header_with(&tlvs, 128);
    assert_eq!(
        parse(&image),
        Err(ParseError::TlvOverrunsHeader {
            offset: 16,
            tlv_type: 3,
            length: 40,
            header_size: 24
        })
    );
    let image = header_with(&[3, 0], 128);
    assert_eq!(parse(&image), Err(ParseError::TlvTruncated { offset: 16 }));
}

#[test]
fn a_package_name_must_be_utf8() {
    let image = header_with(&tlv(3, &[b'o', b'k', 0xFF]), 64);
    assert_eq!(
        parse(&image),
        Err(ParseError::PackageNameNotUtf8 {
            offset: 16,
            valid_up_to: 2
        })
    );
}

#[test]
fn unknown_tlvs_are_skipped_and_reported() {
    let mut tlvs = tlv(0x1234, &[9, 9, 9]);
    tlvs.extend_from_slice(&program(64));
    let image = header_with(&tlvs, 64);
    let tbf = parse(&image).expect("valid");
    let unknown: std::vec::Vec<_> = tbf.unknown_tlvs().collect();
    assert_eq!(unknown, [(16, 0x1234, &[9u8, 9, 9][..])]);
    assert_eq!(tbf.program().map(|p| p.app_version), Some(9));
}

#[test]
fn binary_end_offset_must_lie_inside_the_image() {
    for bad in [8u32, 65] {
        let image = header_with(&program(bad), 64);
        assert_eq!(
            parse(&image),
            Err(ParseError::BinaryEndOutOfRange {
                binary_end_offset: bad,
                header_size: 40,
                total_size: 64
            })
        );
    }
}

#[test]
fn footers_are_walked_and_malformed_ones_reported() {
    let mut image = header_with(&program(40), 40);
    // SHA-256 with a 4-byte digest: wrong length.
    image.extend_from_slice(&[128, 0, 8, 0, 3, 0, 0, 0, 1, 2, 3, 4]);
    // An unknown footer type.
    image.extend_from_slice(&[7, 0, 0, 0]);
    let total = image.len() as u32;
    image[4..8].copy_from_slice(&total.to_le_bytes());
    let checksum = header_checksum(&image[..40]);
    image[12..16].copy_from_slice(&checksum.to_le_bytes());
    let tbf = parse(&image).expect("header valid");
    let footers: std::vec::Vec<_> = tbf.footers().collect();
    assert_eq!(
        footers,
        [Err(ParseError::CredentialLength {
            offset: 40,
            format: crate::CredentialsFormat::Sha256,
            data_length: 4,
            expected: 32
        })]
    );
    // Make it a Reserved footer: any length is fine; then the unknown one.
    image[44] = 0;
    let tbf = parse(&image).expect("header valid");
    let footers: std::vec::Vec<_> = tbf.footers().collect();
    assert_eq!(footers.len(), 2);
    assert_eq!(
        footers[1],
        Ok(crate::Footer::Other {
            offset: 52,
            tlv_type: 7,
            value: &[]
        })
    );
}

#[test]
fn error_messages_are_one_sentence_naming_the_place() {
    let message = std::format!(
        "{}",
        ParseError::BadTlvLength {
            offset: 0x10,
            tlv_type: 1,
            length: 8,
            expected: ExpectedLength::Exact(12)
        }
    );
    assert_eq!(
        message,
        "the Main TLV (type 1) at offset 0x10 has length 8, but it must be exactly 12 bytes"
    );
}
