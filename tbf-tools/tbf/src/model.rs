//! The owned header model and its builder (feature `alloc`).
//!
//! A [`TbfHeader`] is the base fields plus an ORDERED list of TLVs. It
//! serialises the TLVs exactly in list order, each followed by zero padding
//! to a 4-byte boundary, then fills in `header_size` and the checksum. The
//! caller (the packager) chooses order and content, so it can reproduce
//! elf2tab byte for byte:
//!
//! ```text
//! +------------------+ 0
//! | base header (16) |  version, header_size*, total_size, flags, checksum*
//! +------------------+ 16
//! | TLV 0            |  type u16, length u16, value[length], pad to 4
//! | TLV 1            |
//! | ...              |
//! +------------------+ header_size*        (* computed by to_bytes)
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::BuildError;
use crate::parse::{Tbf, Tlv};
use crate::types::{
    header_checksum, BaseHeader, DriverPermission, FixedAddresses, KernelVersion, MainTlv,
    PicOption1, ProgramTlv, TlvType, WriteableFlashRegion, BASE_HEADER_SIZE, CHECKSUM_OFFSET,
    FLAG_ENABLED, FLAG_STICKY, TBF_VERSION,
};

/// The storage permissions (Persistent ACL, type 7) of an app.
///
/// On flash: `write_id u32, read_count u16, read_ids [u32],
/// access_count u16, access_ids [u32]` (no padding between fields).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PersistentAcl {
    /// The id the app's stored data is written under (0: may not write).
    pub write_id: u32,
    /// Ids whose data the app may read.
    pub read_ids: Vec<u32>,
    /// Ids whose data the app may modify.
    pub access_ids: Vec<u32>,
}

/// One owned header TLV.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HeaderTlv {
    /// Type 1.
    Main(MainTlv),
    /// Type 2: one TLV may hold several regions (elf2tab writes one per TLV).
    WriteableFlashRegions(Vec<WriteableFlashRegion>),
    /// Type 3: written without a terminator, padded with zeros to 4 bytes.
    PackageName(String),
    /// Type 4.
    PicOption1(PicOption1),
    /// Type 5.
    FixedAddresses(FixedAddresses),
    /// Type 6: `count u16, entries [16 bytes each]`.
    Permissions(Vec<DriverPermission>),
    /// Type 7.
    PersistentAcl(PersistentAcl),
    /// Type 8.
    KernelVersion(KernelVersion),
    /// Type 9.
    Program(ProgramTlv),
    /// Type 10.
    ShortId(u32),
    /// Any other type, kept byte for byte.
    Unknown {
        /// The raw type.
        tlv_type: u16,
        /// The raw value (without padding).
        value: Vec<u8>,
    },
}

fn push_u32s(out: &mut Vec<u8>, words: &[u32]) {
    for word in words {
        out.extend_from_slice(&word.to_le_bytes());
    }
}

fn count_u16(tlv_type: TlvType, count: usize) -> Result<u16, BuildError> {
    u16::try_from(count).map_err(|_| BuildError::TooManyEntries {
        tlv_type: tlv_type as u16,
        count,
    })
}

impl HeaderTlv {
    /// The raw TLV type number.
    pub fn tlv_type(&self) -> u16 {
        match self {
            HeaderTlv::Main(_) => TlvType::Main as u16,
            HeaderTlv::WriteableFlashRegions(_) => TlvType::WriteableFlashRegions as u16,
            HeaderTlv::PackageName(_) => TlvType::PackageName as u16,
            HeaderTlv::PicOption1(_) => TlvType::PicOption1 as u16,
            HeaderTlv::FixedAddresses(_) => TlvType::FixedAddresses as u16,
            HeaderTlv::Permissions(_) => TlvType::Permissions as u16,
            HeaderTlv::PersistentAcl(_) => TlvType::PersistentAcl as u16,
            HeaderTlv::KernelVersion(_) => TlvType::KernelVersion as u16,
            HeaderTlv::Program(_) => TlvType::Program as u16,
            HeaderTlv::ShortId(_) => TlvType::ShortId as u16,
            HeaderTlv::Unknown { tlv_type, .. } => *tlv_type,
        }
    }

    /// The value bytes as they go on flash (no TLV head, no padding).
    pub fn value_bytes(&self) -> Result<Vec<u8>, BuildError> {
        let mut out = Vec::new();
        match self {
            HeaderTlv::Main(m) => {
                push_u32s(
                    &mut out,
                    &[m.init_fn_offset, m.protected_size, m.minimum_ram_size],
                );
            }
            HeaderTlv::WriteableFlashRegions(regions) => {
                for region in regions {
                    push_u32s(&mut out, &[region.offset, region.size]);
                }
            }
            HeaderTlv::PackageName(name) => out.extend_from_slice(name.as_bytes()),
            HeaderTlv::PicOption1(pic) => push_u32s(&mut out, &pic.words()),
            HeaderTlv::FixedAddresses(f) => {
                push_u32s(&mut out, &[f.start_process_ram, f.start_process_flash]);
            }
            HeaderTlv::Permissions(perms) => {
                let count = count_u16(TlvType::Permissions, perms.len())?;
                out.extend_from_slice(&count.to_le_bytes());
                for perm in perms {
                    push_u32s(&mut out, &[perm.driver_number, perm.offset]);
                    out.extend_from_slice(&perm.allowed_commands.to_le_bytes());
                }
            }
            HeaderTlv::PersistentAcl(acl) => {
                let reads = count_u16(TlvType::PersistentAcl, acl.read_ids.len())?;
                let accesses = count_u16(TlvType::PersistentAcl, acl.access_ids.len())?;
                out.extend_from_slice(&acl.write_id.to_le_bytes());
                out.extend_from_slice(&reads.to_le_bytes());
                push_u32s(&mut out, &acl.read_ids);
                out.extend_from_slice(&accesses.to_le_bytes());
                push_u32s(&mut out, &acl.access_ids);
            }
            HeaderTlv::KernelVersion(v) => {
                out.extend_from_slice(&v.major.to_le_bytes());
                out.extend_from_slice(&v.minor.to_le_bytes());
            }
            HeaderTlv::Program(p) => push_u32s(
                &mut out,
                &[
                    p.init_fn_offset,
                    p.protected_size,
                    p.minimum_ram_size,
                    p.binary_end_offset,
                    p.app_version,
                ],
            ),
            HeaderTlv::ShortId(id) => out.extend_from_slice(&id.to_le_bytes()),
            HeaderTlv::Unknown { value, .. } => out.extend_from_slice(value),
        }
        Ok(out)
    }

    /// Appends type, length, value and zero padding until `out.len()` is a
    /// multiple of 4, so `out` must start at the image start (or at any
    /// multiple of 4 from it), as it does in [`TbfHeader::to_bytes`].
    pub fn write_to(&self, out: &mut Vec<u8>) -> Result<(), BuildError> {
        let value = self.value_bytes()?;
        let length = u16::try_from(value.len()).map_err(|_| BuildError::TlvTooLong {
            tlv_type: self.tlv_type(),
            length: value.len(),
        })?;
        out.extend_from_slice(&self.tlv_type().to_le_bytes());
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&value);
        // Alignment is relative to the image start; every earlier piece is a
        // multiple of 4, so padding the output vector is the same thing.
        while out.len() & 3 != 0 {
            out.push(0);
        }
        Ok(())
    }

    /// The owned copy of a parsed TLV.
    pub fn from_parsed(tlv: &Tlv<'_>) -> HeaderTlv {
        match tlv {
            Tlv::Main(m) => HeaderTlv::Main(*m),
            Tlv::WriteableFlashRegions(r) => HeaderTlv::WriteableFlashRegions(r.iter().collect()),
            Tlv::PackageName(name) => HeaderTlv::PackageName(String::from(*name)),
            Tlv::PicOption1(p) => HeaderTlv::PicOption1(*p),
            Tlv::FixedAddresses(f) => HeaderTlv::FixedAddresses(*f),
            Tlv::Permissions(p) => HeaderTlv::Permissions(p.iter().collect()),
            Tlv::PersistentAcl(acl) => HeaderTlv::PersistentAcl(PersistentAcl {
                write_id: acl.write_id,
                read_ids: acl.read_ids.iter().collect(),
                access_ids: acl.access_ids.iter().collect(),
            }),
            Tlv::KernelVersion(v) => HeaderTlv::KernelVersion(*v),
            Tlv::Program(p) => HeaderTlv::Program(*p),
            Tlv::ShortId(id) => HeaderTlv::ShortId(*id),
            Tlv::Unknown { tlv_type, value } => HeaderTlv::Unknown {
                tlv_type: *tlv_type,
                value: Vec::from(*value),
            },
        }
    }
}

/// An owned TBF header: base fields plus ordered TLVs.
///
/// `header_size` and `checksum` are not stored: [`TbfHeader::to_bytes`]
/// computes them from the TLVs, so they can never disagree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TbfHeader {
    /// Header version; 2 unless you are testing the parser.
    pub version: u16,
    /// Size of the whole image (header, binary, footers, padding).
    pub total_size: u32,
    /// Flags (bit 0 enabled, bit 1 sticky).
    pub flags: u32,
    /// The TLVs, serialised in this order.
    pub tlvs: Vec<HeaderTlv>,
}

impl Default for TbfHeader {
    fn default() -> Self {
        TbfHeader::new()
    }
}

impl TbfHeader {
    /// Version 2, enabled, no TLVs (a padding header), total size 0.
    pub fn new() -> TbfHeader {
        TbfHeader {
            version: TBF_VERSION,
            total_size: 0,
            flags: FLAG_ENABLED,
            tlvs: Vec::new(),
        }
    }

    /// The owned copy of a parsed header (TLVs in their on-flash order).
    pub fn from_parsed(tbf: &Tbf<'_>) -> TbfHeader {
        let base = tbf.base();
        TbfHeader {
            version: base.version,
            total_size: base.total_size,
            flags: base.flags,
            tlvs: tbf
                .tlvs()
                .map(|entry| HeaderTlv::from_parsed(&entry.tlv))
                .collect(),
        }
    }

    /// Serialises the TLVs only (everything after the base header).
    fn tlv_bytes(&self) -> Result<Vec<u8>, BuildError> {
        // Start the buffer at a multiple of 4 so padding lines up with the image.
        let mut out = Vec::new();
        for tlv in &self.tlvs {
            tlv.write_to(&mut out)?;
        }
        Ok(out)
    }

    /// The `header_size` the serialised header will have.
    pub fn header_size(&self) -> Result<u16, BuildError> {
        let length = self
            .tlv_bytes()?
            .len()
            .checked_add(BASE_HEADER_SIZE)
            .ok_or(BuildError::HeaderTooLong { length: usize::MAX })?;
        u16::try_from(length).map_err(|_| BuildError::HeaderTooLong { length })
    }

    /// The on-flash header: base header with computed `header_size` and
    /// checksum, then the TLVs in order.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BuildError> {
        let tlvs = self.tlv_bytes()?;
        let header_size = self.header_size()?;
        let base = BaseHeader {
            version: self.version,
            header_size,
            total_size: self.total_size,
            flags: self.flags,
            checksum: 0,
        };
        let mut out = Vec::with_capacity(usize::from(header_size));
        out.extend_from_slice(&base.to_bytes());
        out.extend_from_slice(&tlvs);
        let checksum = header_checksum(&out);
        for (slot, byte) in out
            .iter_mut()
            .skip(CHECKSUM_OFFSET)
            .zip(checksum.to_le_bytes())
        {
            *slot = byte;
        }
        Ok(out)
    }

    /// Whether the enabled flag is set.
    pub fn enabled(&self) -> bool {
        self.flags & FLAG_ENABLED != 0
    }

    /// Sets or clears the enabled flag.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.flags = if enabled {
            self.flags | FLAG_ENABLED
        } else {
            self.flags & !FLAG_ENABLED
        };
    }

    /// Whether the sticky flag is set.
    pub fn sticky(&self) -> bool {
        self.flags & FLAG_STICKY != 0
    }

    /// Sets or clears the sticky flag.
    pub fn set_sticky(&mut self, sticky: bool) {
        self.flags = if sticky {
            self.flags | FLAG_STICKY
        } else {
            self.flags & !FLAG_STICKY
        };
    }

    /// The first Main TLV.
    pub fn main(&self) -> Option<&MainTlv> {
        self.tlvs.iter().find_map(|t| match t {
            HeaderTlv::Main(m) => Some(m),
            _ => None,
        })
    }

    /// The first Main TLV, mutable.
    pub fn main_mut(&mut self) -> Option<&mut MainTlv> {
        self.tlvs.iter_mut().find_map(|t| match t {
            HeaderTlv::Main(m) => Some(m),
            _ => None,
        })
    }

    /// The first Program TLV.
    pub fn program(&self) -> Option<&ProgramTlv> {
        self.tlvs.iter().find_map(|t| match t {
            HeaderTlv::Program(p) => Some(p),
            _ => None,
        })
    }

    /// The first Program TLV, mutable.
    pub fn program_mut(&mut self) -> Option<&mut ProgramTlv> {
        self.tlvs.iter_mut().find_map(|t| match t {
            HeaderTlv::Program(p) => Some(p),
            _ => None,
        })
    }

    /// The package name, if there is one.
    pub fn package_name(&self) -> Option<&str> {
        self.tlvs.iter().find_map(|t| match t {
            HeaderTlv::PackageName(n) => Some(n.as_str()),
            _ => None,
        })
    }

    /// Where the integrity region ends: the Program TLV's
    /// `binary_end_offset`, or `total_size` without a Program TLV.
    pub fn binary_end_offset(&self) -> u32 {
        self.program()
            .map_or(self.total_size, |p| p.binary_end_offset)
    }

    /// A padding header has neither Main nor Program TLV.
    pub fn is_padding(&self) -> bool {
        self.main().is_none() && self.program().is_none()
    }
}

/// Fluent construction of a [`TbfHeader`].
///
/// ```
/// # use tbf::{HeaderBuilder, HeaderTlv, MainTlv};
/// let header = HeaderBuilder::new()
///     .total_size(1024)
///     .tlv(HeaderTlv::Main(MainTlv { init_fn_offset: 0, protected_size: 0, minimum_ram_size: 4096 }))
///     .tlv(HeaderTlv::PackageName("blink".into()))
///     .build();
/// assert_eq!(header.header_size().unwrap(), 16 + 16 + 12);
/// ```
#[derive(Clone, Debug, Default)]
pub struct HeaderBuilder {
    header: TbfHeader,
}

impl HeaderBuilder {
    /// Starts from [`TbfHeader::new`] (version 2, enabled, no TLVs).
    pub fn new() -> HeaderBuilder {
        HeaderBuilder {
            header: TbfHeader::new(),
        }
    }

    /// Sets the version field (2 for every real image).
    pub fn version(mut self, version: u16) -> Self {
        self.header.version = version;
        self
    }

    /// Sets `total_size`.
    pub fn total_size(mut self, total_size: u32) -> Self {
        self.header.total_size = total_size;
        self
    }

    /// Sets the raw flags word.
    pub fn flags(mut self, flags: u32) -> Self {
        self.header.flags = flags;
        self
    }

    /// Sets or clears the enabled flag.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.header.set_enabled(enabled);
        self
    }

    /// Sets or clears the sticky flag.
    pub fn sticky(mut self, sticky: bool) -> Self {
        self.header.set_sticky(sticky);
        self
    }

    /// Appends a TLV (order is kept).
    pub fn tlv(mut self, tlv: HeaderTlv) -> Self {
        self.header.tlvs.push(tlv);
        self
    }

    /// The header.
    pub fn build(self) -> TbfHeader {
        self.header
    }
}
