//! Header TLVs: their borrowed forms and how each is decoded and checked.
//!
//! ```text
//! 0        2          4                     4 + length   next multiple of 4
//! +--------+----------+---------------------+------------+
//! | type   | length   | value               | zero pad   |
//! +--------+----------+---------------------+------------+
//! ```

use crate::bytes::{align4, read_u16, read_u32};
use crate::error::{ExpectedLength, ParseError};
use crate::types::{
    tlv_type_name, DriverPermission, FixedAddresses, KernelVersion, MainTlv, PicOption1,
    ProgramTlv, TlvType, WriteableFlashRegion, TLV_HEADER_SIZE,
};

/// A run of little-endian `u32`s inside a TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct U32List<'a>(&'a [u8]);

impl<'a> U32List<'a> {
    /// The values.
    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        self.0.chunks_exact(4).filter_map(|word| read_u32(word, 0))
    }
    /// How many values.
    pub fn len(&self) -> usize {
        self.0.len() / 4
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.len() < 4
    }
}

/// The regions of one WriteableFlashRegions TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionList<'a>(&'a [u8]);

impl<'a> RegionList<'a> {
    /// The regions.
    pub fn iter(&self) -> impl Iterator<Item = WriteableFlashRegion> + 'a {
        self.0.chunks_exact(8).filter_map(|chunk| {
            Some(WriteableFlashRegion {
                offset: read_u32(chunk, 0)?,
                size: read_u32(chunk, 4)?,
            })
        })
    }
}

/// The entries of a Permissions TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermissionList<'a>(&'a [u8]);

impl<'a> PermissionList<'a> {
    /// The entries.
    pub fn iter(&self) -> impl Iterator<Item = DriverPermission> + 'a {
        self.0
            .chunks_exact(DriverPermission::SIZE)
            .filter_map(DriverPermission::from_bytes)
    }
    /// Whether any entry allows `command` on `driver_number`.
    pub fn allows(&self, driver_number: u32, command: u32) -> bool {
        self.iter()
            .any(|p| p.driver_number == driver_number && p.allows(command))
    }
}

/// A Persistent ACL (storage permissions) TLV, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PersistentAclRef<'a> {
    /// The id the app writes its stored data under.
    pub write_id: u32,
    /// Ids the app may read.
    pub read_ids: U32List<'a>,
    /// Ids the app may modify.
    pub access_ids: U32List<'a>,
}

/// One decoded header TLV, borrowing from the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tlv<'a> {
    /// Type 1.
    Main(MainTlv),
    /// Type 2.
    WriteableFlashRegions(RegionList<'a>),
    /// Type 3.
    PackageName(&'a str),
    /// Type 4.
    PicOption1(PicOption1),
    /// Type 5.
    FixedAddresses(FixedAddresses),
    /// Type 6.
    Permissions(PermissionList<'a>),
    /// Type 7.
    PersistentAcl(PersistentAclRef<'a>),
    /// Type 8.
    KernelVersion(KernelVersion),
    /// Type 9.
    Program(ProgramTlv),
    /// Type 10.
    ShortId(u32),
    /// A type this crate does not interpret (skipped, but reported here).
    Unknown {
        /// The raw type.
        tlv_type: u16,
        /// The raw value.
        value: &'a [u8],
    },
}

/// A TLV and where it starts in the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlvEntry<'a> {
    /// Offset of the TLV's type field from the image start.
    pub offset: usize,
    /// The decoded TLV.
    pub tlv: Tlv<'a>,
}

fn bad_length(offset: usize, tlv_type: u16, length: u16, expected: ExpectedLength) -> ParseError {
    ParseError::BadTlvLength {
        offset,
        tlv_type,
        length,
        expected,
    }
}

fn exact<T>(
    value: &[u8],
    offset: usize,
    tlv_type: u16,
    size: u32,
    decode: impl FnOnce(&[u8]) -> Option<T>,
) -> Result<T, ParseError> {
    let length = u16::try_from(value.len()).unwrap_or(u16::MAX);
    if value.len() != size as usize {
        return Err(bad_length(
            offset,
            tlv_type,
            length,
            ExpectedLength::Exact(size),
        ));
    }
    decode(value).ok_or(bad_length(
        offset,
        tlv_type,
        length,
        ExpectedLength::Exact(size),
    ))
}

fn decode_persistent_acl(
    value: &[u8],
    offset: usize,
    length: u16,
) -> Result<PersistentAclRef<'_>, ParseError> {
    let tlv_type = TlvType::PersistentAcl as u16;
    let too_short = bad_length(offset, tlv_type, length, ExpectedLength::AtLeast(8));
    let write_id = read_u32(value, 0).ok_or(too_short)?;
    let read_count = usize::from(read_u16(value, 4).ok_or(too_short)?);
    let reads_end = read_count.checked_mul(4).and_then(|n| n.checked_add(6));
    let access_count = reads_end.and_then(|end| read_u16(value, end).map(usize::from));
    let expected = reads_end
        .zip(access_count)
        .and_then(|(end, count)| count.checked_mul(4)?.checked_add(end)?.checked_add(2));
    match (reads_end, expected) {
        (Some(reads_end), Some(expected)) if expected == value.len() => Ok(PersistentAclRef {
            write_id,
            read_ids: U32List(value.get(6..reads_end).unwrap_or_default()),
            access_ids: U32List(value.get(reads_end.saturating_add(2)..).unwrap_or_default()),
        }),
        (_, Some(expected)) => Err(bad_length(
            offset,
            tlv_type,
            length,
            ExpectedLength::Exact(u32::try_from(expected).unwrap_or(u32::MAX)),
        )),
        _ => Err(bad_length(
            offset,
            tlv_type,
            length,
            ExpectedLength::AtLeast(
                u32::try_from(reads_end.unwrap_or(usize::MAX))
                    .unwrap_or(u32::MAX)
                    .saturating_add(2),
            ),
        )),
    }
}

fn decode_value(tlv_type: u16, value: &[u8], offset: usize) -> Result<Tlv<'_>, ParseError> {
    let length = u16::try_from(value.len()).unwrap_or(u16::MAX);
    let Some(known) = TlvType::from_u16(tlv_type) else {
        return Ok(Tlv::Unknown { tlv_type, value });
    };
    Ok(match known {
        TlvType::Main => Tlv::Main(exact(value, offset, tlv_type, 12, |v| {
            Some(MainTlv {
                init_fn_offset: read_u32(v, 0)?,
                protected_size: read_u32(v, 4)?,
                minimum_ram_size: read_u32(v, 8)?,
            })
        })?),
        TlvType::WriteableFlashRegions => {
            if value.is_empty() || value.len() & 7 != 0 {
                return Err(bad_length(
                    offset,
                    tlv_type,
                    length,
                    ExpectedLength::MultipleOf(8),
                ));
            }
            Tlv::WriteableFlashRegions(RegionList(value))
        }
        TlvType::PackageName => match core::str::from_utf8(value) {
            Ok(name) => Tlv::PackageName(name),
            Err(e) => {
                return Err(ParseError::PackageNameNotUtf8 {
                    offset,
                    valid_up_to: e.valid_up_to(),
                })
            }
        },
        TlvType::PicOption1 => {
            Tlv::PicOption1(exact(value, offset, tlv_type, 40, PicOption1::from_bytes)?)
        }
        TlvType::FixedAddresses => Tlv::FixedAddresses(exact(value, offset, tlv_type, 8, |v| {
            Some(FixedAddresses {
                start_process_ram: read_u32(v, 0)?,
                start_process_flash: read_u32(v, 4)?,
            })
        })?),
        TlvType::Permissions => {
            let count = read_u16(value, 0).ok_or(bad_length(
                offset,
                tlv_type,
                length,
                ExpectedLength::AtLeast(2),
            ))?;
            let expected = u32::from(count).saturating_mul(16).saturating_add(2);
            if value.len() != expected as usize {
                return Err(bad_length(
                    offset,
                    tlv_type,
                    length,
                    ExpectedLength::Exact(expected),
                ));
            }
            Tlv::Permissions(PermissionList(value.get(2..).unwrap_or_default()))
        }
        TlvType::PersistentAcl => Tlv::PersistentAcl(decode_persistent_acl(value, offset, length)?),
        TlvType::KernelVersion => Tlv::KernelVersion(exact(value, offset, tlv_type, 4, |v| {
            Some(KernelVersion {
                major: read_u16(v, 0)?,
                minor: read_u16(v, 2)?,
            })
        })?),
        TlvType::Program => Tlv::Program(exact(value, offset, tlv_type, 20, |v| {
            Some(ProgramTlv {
                init_fn_offset: read_u32(v, 0)?,
                protected_size: read_u32(v, 4)?,
                minimum_ram_size: read_u32(v, 8)?,
                binary_end_offset: read_u32(v, 12)?,
                app_version: read_u32(v, 16)?,
            })
        })?),
        TlvType::ShortId => Tlv::ShortId(exact(value, offset, tlv_type, 4, |v| read_u32(v, 0))?),
        // A credentials TLV belongs in the footer; in the header it is skipped.
        TlvType::Credentials => Tlv::Unknown { tlv_type, value },
    })
}

/// Decodes the TLV at `offset` of `header`; returns it and the offset of the next.
pub(crate) fn decode_tlv(
    header: &[u8],
    offset: usize,
) -> Result<(TlvEntry<'_>, usize), ParseError> {
    let header_size = u16::try_from(header.len()).unwrap_or(u16::MAX);
    let tlv_type = read_u16(header, offset).ok_or(ParseError::TlvTruncated { offset })?;
    let length =
        read_u16(header, offset.saturating_add(2)).ok_or(ParseError::TlvTruncated { offset })?;
    let value_start = offset.saturating_add(TLV_HEADER_SIZE);
    let value_end = value_start.saturating_add(usize::from(length));
    let value = header
        .get(value_start..value_end)
        .ok_or(ParseError::TlvOverrunsHeader {
            offset,
            tlv_type,
            length,
            header_size,
        })?;
    let tlv = decode_value(tlv_type, value, offset)?;
    // Padding to 4 may be cut short by the end of the header; that is fine.
    let next = align4(value_end).unwrap_or(usize::MAX).min(header.len());
    Ok((TlvEntry { offset, tlv }, next))
}

/// A short name for a TLV, for reports.
pub fn tlv_name(tlv: &Tlv<'_>) -> &'static str {
    let raw = match tlv {
        Tlv::Unknown { tlv_type, .. } => *tlv_type,
        Tlv::Main(_) => TlvType::Main as u16,
        Tlv::WriteableFlashRegions(_) => TlvType::WriteableFlashRegions as u16,
        Tlv::PackageName(_) => TlvType::PackageName as u16,
        Tlv::PicOption1(_) => TlvType::PicOption1 as u16,
        Tlv::FixedAddresses(_) => TlvType::FixedAddresses as u16,
        Tlv::Permissions(_) => TlvType::Permissions as u16,
        Tlv::PersistentAcl(_) => TlvType::PersistentAcl as u16,
        Tlv::KernelVersion(_) => TlvType::KernelVersion as u16,
        Tlv::Program(_) => TlvType::Program as u16,
        Tlv::ShortId(_) => TlvType::ShortId as u16,
    };
    tlv_type_name(raw)
}
