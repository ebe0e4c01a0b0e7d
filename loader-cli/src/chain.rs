//! The app chain in flash: TBF images back to back from the board's app
//! start, each next one at `address + total_size`, ended by the first bytes
//! that are not a valid TBF header (erased flash, or tockloader's 0x00).
//!
//! ```text
//! app_address                                            end
//! | app A (total_size) | padding | app B | 0xFF 0xFF ...
//! ```
//! Parsing goes through the `tbf` crate only.

use crate::error::LoaderResult;
use crate::transport::Transport;

/// What the walk reads first at each image: the base header, which says
/// how much more to read (and at the chain's end, that there is no more:
/// 16 bytes on the wire instead of a whole header's worth).
const HEADER_PROBE: usize = tbf::BASE_HEADER_SIZE;

/// One image in the chain: an app or a padding image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledApp {
    /// Start of its TBF.
    pub address: u32,
    /// Its header bytes, exactly as in flash.
    pub header: Vec<u8>,
    /// Bytes to the next image.
    pub total_size: u32,
    /// Package name (empty for padding).
    pub name: String,
    /// Header flag.
    pub enabled: bool,
    /// Header flag.
    pub sticky: bool,
    /// A padding image (no program).
    pub is_padding: bool,
    /// Fixed flash address of its binary, for fixed-address builds.
    pub fixed_flash: Option<u32>,
    /// Fixed RAM address, for fixed-address builds.
    pub fixed_ram: Option<u32>,
    /// Program TLV version, when there is one.
    pub version: Option<u32>,
    /// Where the binary ends and footers (credentials) start.
    pub binary_end_offset: u32,
}

impl InstalledApp {
    /// Parse a header read from `address`.
    pub fn from_header(address: u32, header: &[u8]) -> Result<InstalledApp, tbf::ParseError> {
        let tbf = tbf::parse_header(header)?;
        let fixed = tbf.fixed_addresses();
        Ok(InstalledApp {
            address,
            header: tbf.header_bytes().to_vec(),
            total_size: tbf.total_size(),
            name: tbf.package_name().unwrap_or_default().to_string(),
            enabled: tbf.enabled(),
            sticky: tbf.sticky(),
            is_padding: tbf.is_padding(),
            fixed_flash: fixed.and_then(|f| f.flash()),
            fixed_ram: fixed.and_then(|f| f.ram()),
            version: tbf.program().map(|p| p.app_version),
            binary_end_offset: tbf.binary_end_offset(),
        })
    }

    /// One past its last byte.
    pub fn end(&self) -> u64 {
        u64::from(self.address) + u64::from(self.total_size)
    }
}

/// The whole chain and where it stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// Images in flash order, padding included.
    pub images: Vec<InstalledApp>,
    /// First byte after the last image.
    pub end: u32,
}

impl Chain {
    /// The apps (padding left out), as tockloader lists them.
    pub fn apps(&self) -> impl Iterator<Item = &InstalledApp> {
        self.images.iter().filter(|image| !image.is_padding)
    }
}

/// Walk the chain from `start`, not past `limit` (one past the last flash
/// byte). A header that does not parse ends the chain, as on the device.
pub fn read_chain(transport: &mut dyn Transport, start: u32, limit: u64) -> LoaderResult<Chain> {
    let mut images = Vec::new();
    let mut address = start;
    loop {
        let room = limit.saturating_sub(u64::from(address));
        if room < tbf::BASE_HEADER_SIZE as u64 {
            break;
        }
        let probe = transport.read(address, HEADER_PROBE.min(room as usize))?;
        let Ok(base) = tbf::parse_base(&probe) else {
            break;
        };
        let header_size = usize::from(base.header_size);
        let header = if header_size > probe.len() {
            if header_size as u64 > room {
                break;
            }
            transport.read(address, header_size)?
        } else {
            probe
        };
        let Ok(image) = InstalledApp::from_header(address, &header) else {
            break;
        };
        if image.total_size == 0 || image.end() > limit {
            break;
        }
        address = image.end() as u32;
        images.push(image);
    }
    Ok(Chain {
        images,
        end: address,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::transport::{MemoryFlash, Transport};
    use tbf::{FooterCredential, HeaderBuilder, HeaderTlv, ProgramTlv};

    /// A minimal app image with a SHA-256 credential.
    pub(crate) fn app_image(name: &str, binary_length: usize) -> Vec<u8> {
        let mut image = unsigned_app_image(name, binary_length, 40);
        image.truncate(image.len() - 40);
        let footer = FooterCredential::sha256(&image);
        image.extend_from_slice(&footer.to_bytes().unwrap());
        image
    }

    /// A minimal app image with no credential, `footer_room` bytes of
    /// reserved footer space after the binary.
    pub(crate) fn unsigned_app_image(
        name: &str,
        binary_length: usize,
        footer_room: u32,
    ) -> Vec<u8> {
        let mut header = HeaderBuilder::new()
            .enabled(true)
            .tlv(HeaderTlv::Program(ProgramTlv::default()))
            .tlv(HeaderTlv::PackageName(name.into()))
            .build();
        let header_size = u32::from(header.header_size().unwrap());
        let binary_end = header_size + binary_length as u32;
        header.program_mut().unwrap().binary_end_offset = binary_end;
        header.total_size = binary_end + footer_room;
        let mut image = header.to_bytes().unwrap();
        image.extend(std::iter::repeat_n(0xA5, binary_length));
        image.resize(image.len() + footer_room as usize, 0);
        image
    }

    #[test]
    fn walks_apps_and_padding_and_stops_at_erased_flash() {
        let mut flash = MemoryFlash::erased(0x1000, 0x4000);
        let first = app_image("first", 100);
        let padding = crate::image::padding_header(0x200);
        let second = app_image("second", 300);
        let mut address = 0x1000u32;
        for image in [&first, &padding, &second] {
            flash.write(address, image).unwrap();
            address += tbf::parse_base(image).unwrap().total_size;
        }
        let chain = read_chain(&mut flash, 0x1000, 0x5000).unwrap();
        let names: Vec<&str> = chain.apps().map(|app| app.name.as_str()).collect();
        assert_eq!(names, ["first", "second"]);
        assert_eq!(chain.images.len(), 3);
        assert!(chain.images[1].is_padding);
        assert_eq!(chain.end, address);
    }

    #[test]
    fn a_corrupt_header_ends_the_chain_and_oversized_images_are_not_followed() {
        let mut flash = MemoryFlash::erased(0, 0x1000);
        let mut image = app_image("app", 64);
        flash.write(0, &image).unwrap();
        let size = image.len() as u32;
        // Second image: checksum broken.
        image[12] ^= 1;
        flash.write(size, &image).unwrap();
        let chain = read_chain(&mut flash, 0, 0x1000).unwrap();
        assert_eq!(chain.images.len(), 1);
        assert_eq!(chain.end, size);
        // An image claiming more than the flash holds is not followed.
        let chain = read_chain(&mut flash, 0, u64::from(size) - 1).unwrap();
        assert!(chain.images.is_empty());
    }
}
