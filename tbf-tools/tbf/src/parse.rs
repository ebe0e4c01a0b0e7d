//! Zero-copy parsing of TBF images (no allocation; what the kernel uses).
//!
//! [`parse`] checks the base header, the checksum and every TLV once, up
//! front; after that the accessors on [`Tbf`] cannot fail. Footers are not
//! covered by integrity, so they are checked lazily by [`Tbf::footers`].
//!
//! ```text
//! 0                header_size          binary_end_offset      total_size
//! +----------------+--------------------+----------------------+
//! | base + TLVs    | protected trailer, | footers (credentials)|
//! |                | binary             | and padding          |
//! +----------------+--------------------+----------------------+
//! |<------- integrity region ---------->|
//! ```

use crate::bytes::read_u32;
use crate::error::ParseError;
use crate::tlv::decode_tlv;
pub use crate::tlv::{
    tlv_name, PermissionList, PersistentAclRef, RegionList, Tlv, TlvEntry, U32List,
};
use crate::types::{
    header_checksum, BaseHeader, CredentialsFormat, FixedAddresses, KernelVersion, MainTlv,
    PicOption1, ProgramTlv, WriteableFlashRegion, BASE_HEADER_SIZE, TBF_VERSION,
};

/// Iterator over the (already validated) TLVs of a parsed header.
#[derive(Clone, Debug)]
pub struct TlvIter<'a> {
    header: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = TlvEntry<'a>;

    fn next(&mut self) -> Option<TlvEntry<'a>> {
        if self.offset >= self.header.len() {
            return None;
        }
        match decode_tlv(self.header, self.offset) {
            Ok((entry, next)) => {
                self.offset = next;
                Some(entry)
            }
            Err(_) => {
                // Unreachable after validation; stop rather than loop.
                self.offset = self.header.len();
                None
            }
        }
    }
}

/// Checks the base header alone (16 bytes): version and sizes.
///
/// This is what walking the chain of apps in flash needs: `total_size`
/// says where the next image starts. The checksum needs the whole header;
/// [`parse_header`] checks it.
pub fn parse_base(bytes: &[u8]) -> Result<BaseHeader, ParseError> {
    let base = BaseHeader::from_bytes(bytes).ok_or(ParseError::BaseHeaderTruncated {
        available: bytes.len(),
    })?;
    if base.version != TBF_VERSION {
        return Err(ParseError::UnsupportedVersion {
            version: base.version,
        });
    }
    if usize::from(base.header_size) < BASE_HEADER_SIZE {
        return Err(ParseError::HeaderSizeTooSmall {
            header_size: base.header_size,
        });
    }
    if u32::from(base.header_size) > base.total_size {
        return Err(ParseError::HeaderLargerThanImage {
            header_size: base.header_size,
            total_size: base.total_size,
        });
    }
    Ok(base)
}

/// A parsed TBF image (or just its header), borrowing the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tbf<'a> {
    base: BaseHeader,
    header: &'a [u8],
    /// The whole image (`total_size` bytes), if it was given.
    image: Option<&'a [u8]>,
    binary_end_offset: u32,
}

/// Parses and checks a header: base fields, checksum and every TLV.
/// Needs `header_size` bytes; footers are not available from the result.
pub fn parse_header(bytes: &[u8]) -> Result<Tbf<'_>, ParseError> {
    let base = parse_base(bytes)?;
    let header = bytes
        .get(..usize::from(base.header_size))
        .ok_or(ParseError::HeaderTruncated {
            header_size: base.header_size,
            available: bytes.len(),
        })?;
    let computed = header_checksum(header);
    if computed != base.checksum {
        return Err(ParseError::ChecksumMismatch {
            stored: base.checksum,
            computed,
        });
    }
    let mut binary_end_offset = base.total_size;
    let mut program_seen = false;
    let mut offset = BASE_HEADER_SIZE;
    while offset < header.len() {
        let (entry, next) = decode_tlv(header, offset)?;
        if let (Tlv::Program(program), false) = (entry.tlv, program_seen) {
            program_seen = true;
            binary_end_offset = program.binary_end_offset;
            if program.binary_end_offset < u32::from(base.header_size)
                || program.binary_end_offset > base.total_size
            {
                return Err(ParseError::BinaryEndOutOfRange {
                    binary_end_offset: program.binary_end_offset,
                    header_size: base.header_size,
                    total_size: base.total_size,
                });
            }
        }
        offset = next;
    }
    Ok(Tbf {
        base,
        header,
        image: None,
        binary_end_offset,
    })
}

/// Parses and checks a whole image (`total_size` bytes; extra bytes after
/// it, such as the next app in flash, are ignored).
pub fn parse(bytes: &[u8]) -> Result<Tbf<'_>, ParseError> {
    let mut tbf = parse_header(bytes)?;
    let total = usize::try_from(tbf.base.total_size).unwrap_or(usize::MAX);
    tbf.image = Some(bytes.get(..total).ok_or(ParseError::ImageTruncated {
        total_size: tbf.base.total_size,
        available: bytes.len(),
    })?);
    Ok(tbf)
}

/// The integrity region `[0, binary_end_offset)` of a whole image: the
/// bytes every digest and signature covers.
pub fn integrity_region(image: &[u8]) -> Result<&[u8], ParseError> {
    let tbf = parse(image)?;
    let end = usize::try_from(tbf.binary_end_offset()).unwrap_or(usize::MAX);
    // `parse` checked binary_end_offset <= total_size <= image.len().
    Ok(image.get(..end).unwrap_or_default())
}

impl<'a> Tbf<'a> {
    /// The base header fields.
    pub fn base(&self) -> BaseHeader {
        self.base
    }

    /// The header bytes (`header_size` of them).
    pub fn header_bytes(&self) -> &'a [u8] {
        self.header
    }

    /// The whole image (`total_size` bytes), if it was parsed with [`parse`].
    pub fn image_bytes(&self) -> Option<&'a [u8]> {
        self.image
    }

    /// `header_size`.
    pub fn header_size(&self) -> u16 {
        self.base.header_size
    }

    /// `total_size`: the next image in flash starts this many bytes later.
    pub fn total_size(&self) -> u32 {
        self.base.total_size
    }

    /// Whether the kernel should start the app at boot.
    pub fn enabled(&self) -> bool {
        self.base.enabled()
    }

    /// Whether tools should ask before erasing the app.
    pub fn sticky(&self) -> bool {
        self.base.sticky()
    }

    /// The TLVs in on-flash order.
    pub fn tlvs(&self) -> TlvIter<'a> {
        TlvIter {
            header: self.header,
            offset: BASE_HEADER_SIZE,
        }
    }

    /// The first Main TLV.
    pub fn main(&self) -> Option<MainTlv> {
        self.tlvs().find_map(|e| match e.tlv {
            Tlv::Main(m) => Some(m),
            _ => None,
        })
    }

    /// The first Program TLV.
    pub fn program(&self) -> Option<ProgramTlv> {
        self.tlvs().find_map(|e| match e.tlv {
            Tlv::Program(p) => Some(p),
            _ => None,
        })
    }

    /// A padding image has neither Main nor Program TLV: its space is unused.
    pub fn is_padding(&self) -> bool {
        self.main().is_none() && self.program().is_none()
    }

    /// Whether this image is an app (has Main or Program).
    pub fn is_app(&self) -> bool {
        !self.is_padding()
    }

    /// Entry point offset after the header (Program preferred over Main; 0 if neither).
    pub fn init_fn_offset(&self) -> u32 {
        self.program()
            .map(|p| p.init_fn_offset)
            .or(self.main().map(|m| m.init_fn_offset))
            .unwrap_or(0)
    }

    /// Protected size after the header (Program preferred over Main; 0 if neither).
    pub fn protected_size(&self) -> u32 {
        self.program()
            .map(|p| p.protected_size)
            .or(self.main().map(|m| m.protected_size))
            .unwrap_or(0)
    }

    /// Minimum RAM (Program preferred over Main; 0 if neither).
    pub fn minimum_ram_size(&self) -> u32 {
        self.program()
            .map(|p| p.minimum_ram_size)
            .or(self.main().map(|m| m.minimum_ram_size))
            .unwrap_or(0)
    }

    /// The package name, if any.
    pub fn package_name(&self) -> Option<&'a str> {
        self.tlvs().find_map(|e| match e.tlv {
            Tlv::PackageName(n) => Some(n),
            _ => None,
        })
    }

    /// Every writeable flash region, across all type 2 TLVs.
    pub fn writeable_flash_regions(&self) -> impl Iterator<Item = WriteableFlashRegion> + 'a {
        self.tlvs()
            .filter_map(|e| match e.tlv {
                Tlv::WriteableFlashRegions(r) => Some(r.iter()),
                _ => None,
            })
            .flatten()
    }

    /// The fixed addresses, if the app was linked for them.
    pub fn fixed_addresses(&self) -> Option<FixedAddresses> {
        self.tlvs().find_map(|e| match e.tlv {
            Tlv::FixedAddresses(f) => Some(f),
            _ => None,
        })
    }

    /// The driver permissions, if the header restricts them.
    pub fn permissions(&self) -> Option<PermissionList<'a>> {
        self.tlvs().find_map(|e| match e.tlv {
            Tlv::Permissions(p) => Some(p),
            _ => None,
        })
    }

    /// The storage permissions, if any.
    pub fn persistent_acl(&self) -> Option<PersistentAclRef<'a>> {
        self.tlvs().find_map(|e| match e.tlv {
            Tlv::PersistentAcl(p) => Some(p),
            _ => None,
        })
    }

    /// The kernel version the app needs, if stated.
    pub fn kernel_version(&self) -> Option<KernelVersion> {
        self.tlvs().find_map(|e| match e.tlv {
            Tlv::KernelVersion(v) => Some(v),
            _ => None,
        })
    }

    /// The short id, if any.
    pub fn short_id(&self) -> Option<u32> {
        self.tlvs().find_map(|e| match e.tlv {
            Tlv::ShortId(id) => Some(id),
            _ => None,
        })
    }

    /// The PIC option 1 description, if any.
    pub fn pic_option1(&self) -> Option<PicOption1> {
        self.tlvs().find_map(|e| match e.tlv {
            Tlv::PicOption1(p) => Some(p),
            _ => None,
        })
    }

    /// TLVs of types this crate does not interpret: `(offset, type, value)`.
    pub fn unknown_tlvs(&self) -> impl Iterator<Item = (usize, u16, &'a [u8])> + 'a {
        self.tlvs().filter_map(|e| match e.tlv {
            Tlv::Unknown { tlv_type, value } => Some((e.offset, tlv_type, value)),
            _ => None,
        })
    }

    /// End of the integrity region: the Program TLV's `binary_end_offset`,
    /// or `total_size` without one (then there are no footers).
    pub fn binary_end_offset(&self) -> u32 {
        self.binary_end_offset
    }

    /// `[0, binary_end_offset)`, the bytes credentials cover. `None` if only
    /// the header was parsed.
    pub fn integrity_region(&self) -> Option<&'a [u8]> {
        self.image?
            .get(..usize::try_from(self.binary_end_offset).ok()?)
    }

    /// The footer area `[binary_end_offset, total_size)`. `None` if only the
    /// header was parsed.
    pub fn footer_bytes(&self) -> Option<&'a [u8]> {
        self.image?
            .get(usize::try_from(self.binary_end_offset).ok()?..)
    }

    /// The footers, checked one by one as they are read.
    pub fn footers(&self) -> crate::credentials::FooterIter<'a> {
        crate::credentials::FooterIter::new(
            self.footer_bytes().unwrap_or_default(),
            usize::try_from(self.binary_end_offset).unwrap_or(usize::MAX),
            self.base.total_size,
        )
    }
}

/// Reads a credentials format word (kept here so footers share the readers).
pub(crate) fn read_format(value: &[u8]) -> Option<CredentialsFormat> {
    read_u32(value, 0).map(CredentialsFormat::from_u32)
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
