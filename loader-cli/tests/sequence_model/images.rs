//! The app builds the random sequences install: position-independent and
//! fixed-address, signed (a SHA-256 credential that verifies), unsigned,
//! wrongly signed, too big for app flash, linked outside it.

use loader_cli::image::Candidate;
use loader_cli::NewApp;
use tbf::{FixedAddresses, FooterCredential, HeaderBuilder, HeaderTlv, ProgramTlv};

/// Where the simulated board's app flash starts and ends.
pub const APP_START: u32 = 0x1000;
/// The start of the reserved flash after the apps (a journal stand-in).
pub const APP_END: u32 = 0x6_0000;
/// The whole simulated flash.
pub const FLASH_SIZE: usize = 0x6_4000;
/// Headers start on this boundary; the binary this far after it.
const BINARY_OFFSET: u32 = 0x80;
/// A SHA-256 credential footer: type, length, format, digest.
const CREDENTIAL_FOOTER: u32 = 40;

/// How a build is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// A SHA-256 credential that verifies.
    Signed,
    /// No credential.
    Unsigned,
    /// A SHA-256 credential over other bytes.
    WronglySigned,
    /// Larger than all of app flash.
    TooBig,
    /// Fixed-address, linked for flash outside this board's app flash.
    LinkedElsewhere,
}

impl Build {
    /// Whether the board's signing policy accepts it.
    pub fn verifies(self) -> bool {
        self == Build::Signed
    }

    /// Whether the loader refuses it before writing (whatever the board):
    /// too big, linked elsewhere, or a digest that does not match.
    pub fn refused_by_the_loader(self) -> bool {
        matches!(
            self,
            Build::TooBig | Build::LinkedElsewhere | Build::WronglySigned
        )
    }

    /// Whether the header is covered by a credential (flag edits refused).
    pub fn has_credential(self) -> bool {
        matches!(self, Build::Signed | Build::WronglySigned)
    }
}

/// The apps of one sequence: position-independent ones, or fixed-address
/// ones (tockloader cannot mix them in one chain either).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Three position-independent apps.
    PositionIndependent,
    /// `multi` with three fixed-address builds, `single` with one.
    FixedAddress,
}

impl Kind {
    /// The app names.
    pub fn names(self) -> [&'static str; 3] {
        match self {
            Kind::PositionIndependent => ["alpha", "beta", "gamma"],
            Kind::FixedAddress => ["multi", "single", "multi"],
        }
    }

    /// The header addresses the builds of `name` are linked for.
    fn slots(name: &str) -> &'static [u32] {
        match name {
            "multi" => &[0x1000, 0x9000, 0x1_1000],
            "single" => &[0x1_9000],
            _ => &[],
        }
    }
}

/// One image of `name`: `length` bytes of binary, version `version`.
fn image(name: &str, version: u32, length: u32, slot: Option<u32>, build: Build) -> Vec<u8> {
    let footer = match build {
        Build::Signed | Build::WronglySigned => CREDENTIAL_FOOTER,
        _ => 0,
    };
    let header = |protected_size: u32, header_size: u32| {
        let binary_end = header_size + protected_size + length;
        let mut builder = HeaderBuilder::new()
            .enabled(true)
            .tlv(HeaderTlv::Program(ProgramTlv {
                protected_size,
                app_version: version,
                binary_end_offset: binary_end,
                ..ProgramTlv::default()
            }))
            .tlv(HeaderTlv::PackageName(name.into()));
        if let Some(slot) = slot {
            builder = builder.tlv(HeaderTlv::FixedAddresses(FixedAddresses {
                start_process_ram: tbf::NO_FIXED_ADDRESS,
                start_process_flash: slot + BINARY_OFFSET,
            }));
        }
        let mut header = builder.build();
        header.total_size = binary_end + footer;
        header
    };
    let header_size = u32::from(header(0, 0).header_size().unwrap());
    let protected = slot.map_or(0, |_| BINARY_OFFSET - header_size);
    let mut bytes = header(protected, header_size).to_bytes().unwrap();
    bytes.resize((header_size + protected) as usize, 0);
    bytes.extend((0..length).map(|index| (index as u8) ^ (version as u8)));
    match build {
        Build::Signed => {
            let credential = FooterCredential::sha256(&bytes);
            bytes.extend(credential.to_bytes().unwrap());
        }
        Build::WronglySigned => {
            let credential = FooterCredential::sha256(b"other bytes");
            bytes.extend(credential.to_bytes().unwrap());
        }
        _ => {}
    }
    bytes
}

/// A new version of `name` as the loader receives it.
pub fn new_app(kind: Kind, name: &str, version: u32, length: u32, build: Build) -> NewApp {
    let length = match build {
        Build::TooBig => APP_END - APP_START,
        _ => length,
    };
    let slots: Vec<Option<u32>> = match (kind, build) {
        (_, Build::LinkedElsewhere) => vec![Some(0x40_0000)],
        (Kind::PositionIndependent, _) => vec![None],
        (Kind::FixedAddress, _) => Kind::slots(name).iter().copied().map(Some).collect(),
    };
    let candidates = slots
        .into_iter()
        .map(|slot| {
            let bytes = image(name, version, length, slot, build);
            let parsed = tbf::parse(&bytes).unwrap();
            Candidate {
                header_size: u32::from(parsed.header_size()),
                total_size: parsed.total_size(),
                fixed_flash: slot.map(|slot| slot + BINARY_OFFSET),
                fixed_ram: None,
                size_before_binary: u32::from(parsed.header_size()) + parsed.protected_size(),
                signed: build.has_credential(),
                bytes,
            }
        })
        .collect();
    NewApp {
        name: name.to_string(),
        source: format!("{name} v{version} ({build:?})"),
        candidates,
    }
}
