//! `tbf verify`: checks every credential of a TBF, or of each TBF in a TAB.
//!
//! Exit status (documented in docs/packager.md):
//! - 0: every image is well formed, no credential fails, and each image has
//!   at least one verified credential (with `--key`: an ECDSA P-256
//!   signature that verifies with that key);
//! - 1: an image is malformed (bad header, checksum, footer) or a
//!   credential does not match;
//! - 2: the command could not run (usage, unreadable file, bad key, a TAB
//!   member that is not a TBF);
//! - 3: nothing failed, but some image has nothing that verified (no
//!   credentials, only signatures and no `--key`, or none by that key: a
//!   signature that does not verify with `--key` may be another key's, so
//!   it is not a failure; a digest credential beside it catches alteration).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::credentials::load_ecdsa_public;
use crate::images::{load, ImageError};
use crate::verification::{check_image, grouped, ImageReport};

/// Exit status: verified.
pub const EXIT_VERIFIED: u8 = 0;
/// Exit status: malformed or a credential failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: nothing failed, nothing (or not the key's signature) verified.
pub const EXIT_UNVERIFIED: u8 = 3;

/// Arguments of `tbf verify`.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// ECDSA P-256 public key: raw 64 bytes (`.pub` from `tbf keygen`), SEC1, or SPKI DER/PEM.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Print only the verdict line.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print one JSON document (errors too) instead of text.
    #[arg(long)]
    pub json: bool,
    /// A .tbf image or a .tab bundle.
    pub file: PathBuf,
}

fn image_status(report: &ImageReport, with_key: bool) -> u8 {
    if report.failed() {
        EXIT_FAILED
    } else if (with_key && !report.key_verified()) || !report.any_verified() {
        EXIT_UNVERIFIED
    } else {
        EXIT_VERIFIED
    }
}

/// The word for an image's or the file's status.
fn verdict_word(status: u8) -> &'static str {
    match status {
        EXIT_VERIFIED => "OK",
        EXIT_FAILED => "FAILED",
        _ => "UNVERIFIED",
    }
}

/// Prints one image's report as text (the credentials unless `quiet`).
fn print_image(name: &str, report: &ImageReport, image_status: u8, quiet: bool) {
    if !quiet {
        println!("{name}:");
        if let Some(error) = &report.error {
            println!("  malformed: {error}");
        }
        for (credential, count, length) in grouped(&report.credentials) {
            let format = credential.format.name();
            let verdict = credential.verdict.name();
            if count > 1 {
                let offset = credential.offset;
                println!(
                    "  {count} {format} credentials from {offset:#x} ({length} bytes): {verdict}"
                );
            } else {
                println!(
                    "  {format} credential at {:#x}: {verdict}",
                    credential.offset
                );
            }
        }
        if report.credentials.is_empty() && report.error.is_none() {
            println!("  no credentials");
        }
    }
    println!("{name}: {}", verdict_word(image_status));
}

/// One image's report as JSON.
fn image_json(name: &str, report: &ImageReport, image_status: u8) -> serde_json::Value {
    let credentials: Vec<serde_json::Value> = grouped(&report.credentials)
        .into_iter()
        .map(|(credential, count, length)| {
            serde_json::json!({
                "format": credential.format.name(),
                "offset": format!("{:#x}", credential.offset),
                "length": length,
                "count": count,
                "verdict": credential.verdict.name(),
            })
        })
        .collect();
    serde_json::json!({
        "name": name,
        "verdict": verdict_word(image_status),
        "error": report.error,
        "credentials": credentials,
    })
}

/// Runs `tbf verify`.
pub fn run(args: &VerifyArgs) -> Result<ExitCode> {
    let key = args.key.as_deref().map(load_ecdsa_public).transpose()?;
    let file = match load(&args.file) {
        Ok(file) => file,
        Err(malformed @ ImageError::MalformedMember { .. }) => {
            if args.json {
                crate::commands::print_json(&serde_json::json!({
                    "file": args.file.display().to_string(),
                    "verdict": "FAILED",
                    "status": EXIT_FAILED,
                    "error": malformed.to_string(),
                    "images": [],
                }))?;
            } else {
                println!("{malformed}");
                println!("{}: FAILED", args.file.display());
            }
            return Ok(ExitCode::from(EXIT_FAILED));
        }
        Err(error) => return Err(error.into()),
    };
    let mut status = EXIT_VERIFIED;
    let mut images = Vec::new();
    for image in &file.images {
        let report = check_image(&image.bytes, key.as_ref());
        let image_status = image_status(&report, key.is_some());
        // Failure outranks "unverified", which outranks success.
        status = match (status, image_status) {
            (EXIT_FAILED, _) | (_, EXIT_FAILED) => EXIT_FAILED,
            (EXIT_UNVERIFIED, _) | (_, EXIT_UNVERIFIED) => EXIT_UNVERIFIED,
            _ => EXIT_VERIFIED,
        };
        if args.json {
            images.push(image_json(&image.name, &report, image_status));
        } else {
            print_image(&image.name, &report, image_status, args.quiet);
        }
    }
    if args.json {
        crate::commands::print_json(&serde_json::json!({
            "file": args.file.display().to_string(),
            "verdict": verdict_word(status),
            "status": status,
            "images": images,
        }))?;
    }
    Ok(ExitCode::from(status))
}
