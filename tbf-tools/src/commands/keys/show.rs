//! `tbf keys show`: what a change file says, and whether its signature
//! verifies with a root key.
//!
//! Exit status: 0 it decodes (and, with `--root`, its signature verifies
//! with that key); 1 it is not a signed change; 2 the command could not
//! run (unreadable file, bad key); 3 its signature does not verify with
//! `--root` (signed by another key, or altered after signing).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tbf::trust::{fingerprint, Hex, SignedChange};

use crate::credentials::load_ecdsa_public;

/// Exit status: the file is not a signed change.
pub const EXIT_MALFORMED: u8 = 1;
/// Exit status: the signature does not verify with `--root`.
pub const EXIT_UNVERIFIED: u8 = 3;

/// Arguments of `tbf keys show`.
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// Check the signature with this root public key (`.pub`, SEC1, or SPKI DER/PEM).
    #[arg(long, value_name = "PUBLIC_KEY")]
    pub root: Option<PathBuf>,
    /// Print one JSON document (errors too) instead of text.
    #[arg(long)]
    pub json: bool,
    /// A change written by `tbf keys sign-change`.
    pub file: PathBuf,
}

/// Runs `tbf keys show`.
pub fn run(args: &ShowArgs) -> Result<ExitCode> {
    let root = args
        .root
        .as_deref()
        .map(load_ecdsa_public)
        .transpose()?
        .map(|key| tbf::crypto::verifying_key_to_raw(&key));
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let change = match SignedChange::decode(&bytes) {
        Ok(change) => change,
        Err(error) => {
            let message = format!(
                "{}: not a signed trust change ({error}); make one with `tbf keys sign-change`",
                args.file.display()
            );
            if args.json {
                crate::commands::print_json(&serde_json::json!({
                    "file": args.file.display().to_string(),
                    "error": message,
                    "status": EXIT_MALFORMED,
                }))?;
            } else {
                println!("{message}");
            }
            return Ok(ExitCode::from(EXIT_MALFORMED));
        }
    };
    let verified = root.map(|root| change.verify(&root));
    let status = match verified {
        Some(false) => EXIT_UNVERIFIED,
        _ => 0,
    };
    let root_fingerprint = root.map(|root| Hex(&fingerprint(&root)).to_string());
    if args.json {
        let mut value = super::change_json(&change);
        value["file"] = args.file.display().to_string().into();
        value["root"] = root_fingerprint.into();
        value["verified"] = verified.into();
        value["status"] = status.into();
        crate::commands::print_json(&value)?;
        return Ok(ExitCode::from(status));
    }
    println!("{}:", args.file.display());
    println!("  change:    {}", super::kind_word(&change.change.kind));
    println!("  says:      {}", super::describe(&change));
    println!("  sequence:  {}", change.change.sequence);
    println!("  scope:     {}", super::scope_words(&change.change.scope));
    println!(
        "  apply:     loader keys {} {}",
        super::loader_verb(&change.change.kind),
        args.file.display()
    );
    let verdict = match (verified, &root_fingerprint) {
        (Some(true), Some(root)) => format!("verifies with root {root}"),
        (Some(false), Some(root)) => format!(
            "does NOT verify with root {root} (signed by another key, or altered after signing)"
        ),
        _ => "not checked (pass --root ROOT_PUBLIC_KEY)".to_string(),
    };
    println!("  signature: {verdict}");
    Ok(ExitCode::from(status))
}
