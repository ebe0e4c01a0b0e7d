//! Typed errors: every way a TBF image can be malformed, with where and why.
//!
//! Offsets are always byte offsets from the start of the TBF image, so a
//! message can be matched against a hex dump of the file or of flash.

use core::fmt;

use crate::types::{tlv_type_name, CredentialsFormat};

/// What the parser expected a TLV's length field to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedLength {
    /// Exactly this many bytes.
    Exact(u32),
    /// A non-zero multiple of this many bytes.
    MultipleOf(u32),
    /// At least this many bytes.
    AtLeast(u32),
}

impl fmt::Display for ExpectedLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedLength::Exact(n) => write!(f, "exactly {n} bytes"),
            ExpectedLength::MultipleOf(n) => write!(f, "a non-zero multiple of {n} bytes"),
            ExpectedLength::AtLeast(n) => write!(f, "at least {n} bytes"),
        }
    }
}

/// Why a TBF image (or part of one) could not be parsed.
///
/// Parsing never panics; every malformed input ends in one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The buffer is shorter than the 16-byte base header.
    BaseHeaderTruncated {
        /// Bytes available.
        available: usize,
    },
    /// The version field is not 2.
    UnsupportedVersion {
        /// The version found.
        version: u16,
    },
    /// `header_size` is smaller than the 16-byte base header.
    HeaderSizeTooSmall {
        /// The header size found.
        header_size: u16,
    },
    /// `header_size` is larger than `total_size`.
    HeaderLargerThanImage {
        /// The header size found.
        header_size: u16,
        /// The total size found.
        total_size: u32,
    },
    /// The buffer ends before the header (`header_size` bytes) does.
    HeaderTruncated {
        /// The header size the base header claims.
        header_size: u16,
        /// Bytes available.
        available: usize,
    },
    /// The buffer ends before the image (`total_size` bytes) does.
    ImageTruncated {
        /// The total size the base header claims.
        total_size: u32,
        /// Bytes available.
        available: usize,
    },
    /// The stored checksum differs from the XOR of the header words.
    ChecksumMismatch {
        /// The checksum stored in the header.
        stored: u32,
        /// The checksum computed over the header.
        computed: u32,
    },
    /// Fewer than 4 bytes are left in the header for a TLV's type and length.
    TlvTruncated {
        /// Offset of the incomplete TLV.
        offset: usize,
    },
    /// A TLV's value runs past the end of the header.
    TlvOverrunsHeader {
        /// Offset of the TLV.
        offset: usize,
        /// Its type.
        tlv_type: u16,
        /// Its length field.
        length: u16,
        /// The header size.
        header_size: u16,
    },
    /// A TLV's length does not fit its type.
    BadTlvLength {
        /// Offset of the TLV.
        offset: usize,
        /// Its type.
        tlv_type: u16,
        /// Its length field.
        length: u16,
        /// What the length should have been.
        expected: ExpectedLength,
    },
    /// The package name is not valid UTF-8.
    PackageNameNotUtf8 {
        /// Offset of the package name TLV.
        offset: usize,
        /// Number of valid bytes before the first invalid one.
        valid_up_to: usize,
    },
    /// The Program TLV's `binary_end_offset` lies before the end of the
    /// header or after the end of the image.
    BinaryEndOutOfRange {
        /// The binary end offset found.
        binary_end_offset: u32,
        /// The header size.
        header_size: u16,
        /// The total size.
        total_size: u32,
    },
    /// Fewer than 4 (non-zero) bytes are left in the footer area for a TLV.
    FooterTruncated {
        /// Offset of the incomplete footer.
        offset: usize,
    },
    /// A footer TLV runs past the end of the image.
    FooterOverrunsImage {
        /// Offset of the footer.
        offset: usize,
        /// Its length field.
        length: u16,
        /// The total size.
        total_size: u32,
    },
    /// A credentials footer whose data length does not fit its format.
    CredentialLength {
        /// Offset of the footer.
        offset: usize,
        /// Its format.
        format: CredentialsFormat,
        /// Length of the data (the TLV length minus the 4-byte format word).
        data_length: usize,
        /// What the data length should have been.
        expected: usize,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParseError::*;
        match *self {
            BaseHeaderTruncated { available } => write!(
                f,
                "the image is {available} bytes long, too short for the 16-byte TBF base header"
            ),
            UnsupportedVersion { version } => write!(
                f,
                "the TBF version at offset 0x0 is {version}, but only version 2 is supported"
            ),
            HeaderSizeTooSmall { header_size } => write!(
                f,
                "header_size at offset 0x2 is {header_size}, smaller than the 16-byte base header"
            ),
            HeaderLargerThanImage { header_size, total_size } => write!(
                f,
                "header_size at offset 0x2 is {header_size}, larger than total_size ({total_size})"
            ),
            HeaderTruncated { header_size, available } => write!(
                f,
                "the header is {header_size} bytes long but only {available} bytes are available"
            ),
            ImageTruncated { total_size, available } => write!(
                f,
                "total_size at offset 0x4 is {total_size} but only {available} bytes are available (truncated image?)"
            ),
            ChecksumMismatch { stored, computed } => write!(
                f,
                "the header checksum at offset 0xc is {stored:#010x} but the header words XOR to {computed:#010x}"
            ),
            TlvTruncated { offset } => write!(
                f,
                "the header ends at offset {offset:#x} in the middle of a TLV's type and length"
            ),
            TlvOverrunsHeader { offset, tlv_type, length, header_size } => write!(
                f,
                "the {} TLV (type {tlv_type}) at offset {offset:#x} has length {length}, which runs past the end of the {header_size}-byte header",
                tlv_type_name(tlv_type)
            ),
            BadTlvLength { offset, tlv_type, length, expected } => write!(
                f,
                "the {} TLV (type {tlv_type}) at offset {offset:#x} has length {length}, but it must be {expected}",
                tlv_type_name(tlv_type)
            ),
            PackageNameNotUtf8 { offset, valid_up_to } => write!(
                f,
                "the package name TLV at offset {offset:#x} is not UTF-8 (invalid byte after {valid_up_to} valid bytes)"
            ),
            BinaryEndOutOfRange { binary_end_offset, header_size, total_size } => write!(
                f,
                "the Program TLV's binary_end_offset is {binary_end_offset}, outside the range from header_size ({header_size}) to total_size ({total_size})"
            ),
            FooterTruncated { offset } => write!(
                f,
                "the footer area ends at offset {offset:#x} in the middle of a footer's type and length"
            ),
            FooterOverrunsImage { offset, length, total_size } => write!(
                f,
                "the footer at offset {offset:#x} has length {length}, which runs past the end of the {total_size}-byte image"
            ),
            CredentialLength { offset, format, data_length, expected } => write!(
                f,
                "the {} credentials footer at offset {offset:#x} holds {data_length} bytes of data, but that format needs {expected}",
                format.name()
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParseError {}

/// Why an owned header or footer could not be serialised.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// A TLV value is longer than its 16-bit length field can say.
    TlvTooLong {
        /// The TLV type.
        tlv_type: u16,
        /// The value's length in bytes.
        length: usize,
    },
    /// A list inside a TLV has more entries than its 16-bit count can say.
    TooManyEntries {
        /// The TLV type.
        tlv_type: u16,
        /// The number of entries.
        count: usize,
    },
    /// The serialised header is longer than `header_size` (16 bits) can say.
    HeaderTooLong {
        /// The serialised length.
        length: usize,
    },
    /// A reserved (padding) footer must be at least 8 bytes long.
    ReservedFooterTooSmall {
        /// The requested total length.
        length: usize,
    },
}

#[cfg(feature = "alloc")]
impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BuildError::TlvTooLong { tlv_type, length } => write!(
                f,
                "the {} TLV value is {length} bytes long, more than the 65535 a TLV can hold",
                tlv_type_name(tlv_type)
            ),
            BuildError::TooManyEntries { tlv_type, count } => write!(
                f,
                "the {} TLV has {count} entries, more than its 16-bit count can hold",
                tlv_type_name(tlv_type)
            ),
            BuildError::HeaderTooLong { length } => write!(
                f,
                "the header would be {length} bytes long, more than the 65535 header_size can hold"
            ),
            BuildError::ReservedFooterTooSmall { length } => write!(
                f,
                "a reserved footer of {length} bytes was requested, but one needs at least 8 (type, length and format)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BuildError {}
