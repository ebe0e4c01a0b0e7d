//! `tbf keygen`: a new ECDSA P-256 key pair for signing apps.
//!
//! Writes `<out>.pem` and `<out>.der` (the private key, PKCS#8; the DER file
//! is what `--ecdsa-nist-p256-private` takes, as in elf2tab), `<out>.pub`
//! (the public key as the raw 64 bytes `x || y` a board embeds) and
//! `<out>.pub.pem` (SubjectPublicKeyInfo PEM). Existing files are not
//! overwritten unless `--force`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

use crate::output::StagedOutput;

/// Arguments of `tbf keygen`.
#[derive(clap::Args, Debug)]
pub struct KeygenArgs {
    /// Base path of the key files (`<out>.pem`, `.der`, `.pub`, `.pub.pem`).
    #[arg(short, long, default_value = "app-signing-key")]
    pub out: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON document (errors too) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The four files of a key pair.
pub fn key_paths(base: &Path) -> [PathBuf; 4] {
    let with = |suffix: &str| {
        let mut name = base.as_os_str().to_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    [with(".pem"), with(".der"), with(".pub"), with(".pub.pem")]
}

/// Runs `tbf keygen`.
pub fn run(args: &KeygenArgs) -> Result<()> {
    let paths = key_paths(&args.out);
    if !args.force {
        if let Some(existing) = paths.iter().find(|path| path.exists()) {
            bail!(
                "{} exists; pass --force to replace the key pair",
                existing.display()
            );
        }
    }
    let key = SigningKey::random(&mut rand_core::OsRng);
    let private_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .context("cannot encode the private key")?;
    let private_der = key
        .to_pkcs8_der()
        .context("cannot encode the private key")?;
    let public = key.verifying_key();
    let raw_public = tbf::crypto::verifying_key_to_raw(public);
    let public_pem = public
        .to_public_key_pem(LineEnding::LF)
        .context("cannot encode the public key")?;
    let mut staged = StagedOutput::default();
    staged.stage_with_mode(&paths[0], private_pem.as_bytes(), 0o600)?;
    staged.stage_with_mode(&paths[1], private_der.as_bytes(), 0o600)?;
    staged.stage(&paths[2], &raw_public)?;
    staged.stage(&paths[3], public_pem.as_bytes())?;
    staged.commit()?;
    if args.json {
        let name = |index: usize| paths[index].display().to_string();
        return crate::commands::print_json(&serde_json::json!({
            "private_key_pem": name(0),
            "private_key_der": name(1),
            "public_key_raw": name(2),
            "public_key_pem": name(3),
            "public_key": hex(&raw_public),
        }));
    }
    for path in &paths {
        println!("wrote {}", path.display());
    }
    println!("public key (x || y): {}", hex(&raw_public));
    Ok(())
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
