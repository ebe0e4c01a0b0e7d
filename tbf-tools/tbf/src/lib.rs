//! `tbf`: the Tock Binary Format (TBF v2) and TAB archives, defined once.
//!
//! The kernel (no heap), the packager and the loader all read and write TBF
//! images through this crate; nobody parses TBF by hand elsewhere. The
//! format reference is `docs/tbf.md`.
//!
//! # Guarantees
//! - Parsing never panics, on any bytes: every read is bounds-checked and
//!   every offset sum is checked (the lints below forbid indexing, unchecked
//!   arithmetic, `unwrap` and `panic!` outside tests). A fuzz target and
//!   property tests back this up.
//! - Every malformed input gives a typed [`ParseError`] saying what is wrong
//!   and at which offset.
//! - Without features the crate is `no_std` and allocation-free: parsing,
//!   digests and ECDSA P-256 verification work on a `&[u8]` in flash.
//! - The owned model serialises exactly what it holds, in the given order,
//!   so the packager can reproduce elf2tab 0.13 byte for byte.
//!
//! It must never: use `unsafe`, allocate without the `alloc` feature, or
//! trust a length field before checking it against the bytes.
//!
//! # Features
//! - (none): [`parse()`], [`parse_header`], [`parse_base`], [`Tbf`] and its
//!   TLV and footer iterators, [`crypto`] (SHA-256/384/512, ECDSA P-256),
//!   [`edit`] (flags and total size rewritten in place, checksum fixed).
//! - `alloc`: the owned model [`TbfHeader`] / [`HeaderBuilder`] /
//!   [`HeaderTlv`], footers [`FooterCredential`], and [`sign`] (insert or
//!   replace credentials in an existing image).
//! - `std` (implies `alloc`): [`tab`], reading and writing TAB archives;
//!   PKCS#8 key loading and saving in [`crypto`].
//!
//! # Layout of an image
//! ```text
//! 0            16               header_size         binary_end_offset    total_size
//! +------------+----------------+-------------------+--------------------+
//! | base header| TLVs, each     | protected trailer | footers: TLV 128   |
//! | (16 bytes) | 4-byte aligned | then the binary   | credentials, pad   |
//! +------------+----------------+-------------------+--------------------+
//! |<------ integrity region (hashed / signed) ----->|
//! ```
//!
//! # Building a header (what the packager does)
//! ```
//! # #[cfg(feature = "alloc")] {
//! use tbf::{HeaderBuilder, HeaderTlv, MainTlv, ProgramTlv, FooterCredential};
//! let mut header = HeaderBuilder::new()
//!     .enabled(true)
//!     .tlv(HeaderTlv::Main(MainTlv::default()))
//!     .tlv(HeaderTlv::Program(ProgramTlv::default()))
//!     .tlv(HeaderTlv::PackageName("hello".into()))
//!     .build();
//! // The size does not depend on field values: compute it, then fill in offsets.
//! let header_size = u32::from(header.header_size().unwrap());
//! let binary = [0u8; 64];
//! let binary_end = header_size + binary.len() as u32;
//! header.program_mut().unwrap().binary_end_offset = binary_end;
//! header.total_size = binary_end + 40; // room for a SHA-256 footer
//! let mut image = header.to_bytes().unwrap();
//! image.extend_from_slice(&binary);
//! let footer = FooterCredential::sha256(&image);
//! image.extend_from_slice(&footer.to_bytes().unwrap());
//! let parsed = tbf::parse(&image).unwrap();
//! assert_eq!(parsed.package_name(), Some("hello"));
//! # }
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod bytes;
pub mod credentials;
pub mod crypto;
pub mod edit;
mod error;
pub mod parse;
mod tlv;
pub mod trust;
pub mod types;

#[cfg(feature = "alloc")]
mod footer;
#[cfg(feature = "alloc")]
mod model;
#[cfg(feature = "alloc")]
pub mod sign;
#[cfg(feature = "std")]
pub mod tab;

pub use credentials::{Credential, CredentialCheck, Footer, FooterIter};
pub use edit::{edit_base_header, padding_header, set_enabled_in_place, set_sticky_in_place};
pub use error::{ExpectedLength, ParseError};
pub use parse::{
    integrity_region, parse, parse_base, parse_header, PermissionList, PersistentAclRef,
    RegionList, Tbf, Tlv, TlvEntry, TlvIter, U32List,
};
pub use types::{
    header_checksum, tlv_type_name, BaseHeader, CredentialsFormat, DriverPermission,
    FixedAddresses, KernelVersion, MainTlv, PicOption1, ProgramTlv, TlvType, WriteableFlashRegion,
    BASE_HEADER_SIZE, FLAG_ENABLED, FLAG_STICKY, NO_FIXED_ADDRESS, TBF_VERSION, TLV_HEADER_SIZE,
};

#[cfg(feature = "alloc")]
pub use error::BuildError;
#[cfg(feature = "alloc")]
pub use footer::{footers_to_bytes, FooterCredential, CREDENTIALS_FOOTER_OVERHEAD};
#[cfg(feature = "alloc")]
pub use model::{HeaderBuilder, HeaderTlv, PersistentAcl, TbfHeader};
