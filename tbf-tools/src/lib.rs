//! The packager behind the `tbf` command: turns app ELFs into TBF images and
//! TAB bundles exactly as elf2tab 0.13 does (it is a drop-in for it when
//! invoked as `elf2tab`), and adds the signed-distribution steps: key
//! generation, signing an existing image, verifying and inspecting.
//!
//! Guarantees: output is deterministic for the same inputs and flags; a
//! failed command leaves no partial output file; bad input is reported as a
//! typed error, never a panic. It must never parse TBF bytes by hand: reading
//! images goes through the `tbf` crate.
#![forbid(unsafe_code)]

pub mod commands;
pub mod credentials;
pub mod elf_app;
pub mod external_signing;
pub mod header_layout;
pub mod images;
pub mod output;
pub mod package;
pub mod verification;
