//! `tbf keys sign-change`: one change, signed by the root key.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tbf::trust::{fingerprint, AppName, Change, ChangeKind, Hex, Scope, SignedChange};

use crate::credentials::load_ecdsa_public;
use crate::external_signing::EcdsaSigner;
use crate::output::write_atomically;

/// Arguments of `tbf keys sign-change`: exactly one of the four changes.
#[derive(clap::Args, Debug)]
#[command(group(
    clap::ArgGroup::new("change")
        .required(true)
        .args(["add_key", "revoke_key", "replace_root", "permit_rollback"])
))]
pub struct SignChangeArgs {
    /// Trust a new app signing key (its public key: `.pub`, SEC1, or SPKI DER/PEM).
    #[arg(long, value_name = "PUBLIC_KEY")]
    pub add_key: Option<PathBuf>,
    /// Stop trusting an app signing key; apps it alone signed are refused.
    #[arg(long, value_name = "PUBLIC_KEY")]
    pub revoke_key: Option<PathBuf>,
    /// Hand change signing to a new root key (its public key).
    #[arg(long, value_name = "PUBLIC_KEY")]
    pub replace_root: Option<PathBuf>,
    /// Let app NAME go down to --to-version (its minimum version is lowered).
    #[arg(long, value_name = "NAME", requires = "to_version")]
    pub permit_rollback: Option<String>,
    /// With --permit-rollback: the app's new minimum version.
    #[arg(long, value_name = "VERSION", requires = "permit_rollback")]
    pub to_version: Option<u32>,
    /// The change's sequence number: above the device's (`loader keys list`
    /// shows it), so an old change can never be replayed.
    #[arg(long)]
    pub sequence: u32,
    /// Only boards with this name accept the change (their `board`
    /// attribute, e.g. qemu-rv32-virt); default: any device with the root key.
    #[arg(long, value_name = "BOARD")]
    pub device: Option<String>,
    /// The root key: a private key file (PKCS#8 or SEC1, DER or PEM). With
    /// --pkcs11: the key pair's label in the token. With --signer: the
    /// root's public key file.
    #[arg(long, visible_alias = "root-key")]
    pub key: Option<PathBuf>,
    /// Sign with a root key in a PKCS#11 token: the module, e.g.
    /// /usr/lib/softhsm/libsofthsm2.so. The PIN comes from TBF_PKCS11_PIN or --pin-file.
    #[arg(long, value_name = "MODULE", conflicts_with = "signer")]
    pub pkcs11: Option<PathBuf>,
    /// With --pkcs11: the token's label.
    #[arg(long, value_name = "LABEL", requires = "pkcs11")]
    pub token: Option<String>,
    /// With --pkcs11: a file holding the user PIN (instead of TBF_PKCS11_PIN).
    #[arg(long, value_name = "FILE", requires = "pkcs11")]
    pub pin_file: Option<PathBuf>,
    /// Sign with an outside command (as `tbf sign --signer`): it reads the
    /// SHA-256 digest as hex on stdin and prints a DER ECDSA signature.
    #[arg(long, value_name = "CMD")]
    pub signer: Option<String>,
    /// Where to write the signed change.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print one JSON document (errors too) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The raw `x || y` of a public key file.
fn raw_public(path: &Path) -> Result<[u8; 64]> {
    let key = load_ecdsa_public(path)?;
    Ok(tbf::crypto::verifying_key_to_raw(&key))
}

/// The change the flags describe.
pub fn change_of(args: &SignChangeArgs) -> Result<Change> {
    let kind = if let Some(path) = &args.add_key {
        ChangeKind::AddKey(raw_public(path)?)
    } else if let Some(path) = &args.revoke_key {
        ChangeKind::RevokeKey(raw_public(path)?)
    } else if let Some(path) = &args.replace_root {
        ChangeKind::ReplaceRoot(raw_public(path)?)
    } else if let (Some(name), Some(version)) = (&args.permit_rollback, args.to_version) {
        if name.is_empty() {
            bail!("--permit-rollback needs the app's package name (as `loader list` shows it)");
        }
        ChangeKind::RollbackPermit {
            name: AppName::new(name.as_bytes()),
            version,
        }
    } else {
        bail!(
            "say what the change does: --add-key, --revoke-key, --replace-root or \
             --permit-rollback NAME --to-version V"
        );
    };
    let scope = match &args.device {
        None => Scope::Any,
        Some(board) => Scope::Board(tbf::trust::BoardName::new(board.as_bytes()).with_context(
            || {
                format!(
                    "--device {board:?}: a board name is 1 to {} bytes",
                    tbf::trust::MAX_SCOPE_BYTES
                )
            },
        )?),
    };
    if args.sequence == 0 {
        bail!("--sequence 0 is never above a device's sequence number: use 1 or more (`loader keys list` shows the device's)");
    }
    Ok(Change {
        kind,
        sequence: args.sequence,
        scope,
    })
}

/// Encodes `change` and signs its SHA-256 with `signer`: the file's bytes.
pub fn signed_bytes(change: &Change, signer: &EcdsaSigner) -> Result<Vec<u8>> {
    let mut bytes = vec![0u8; change.encoded_len()];
    change
        .encode(&mut bytes)
        .context("the change does not encode (a field longer than the format allows)")?;
    let signature = signer.sign_digest(&tbf::crypto::sha256(&bytes))?;
    bytes.extend_from_slice(&signature);
    Ok(bytes)
}

/// Runs `tbf keys sign-change`.
pub fn run(args: &SignChangeArgs) -> Result<()> {
    let change = change_of(args)?;
    let signer = EcdsaSigner::from_flags(
        args.key.as_deref(),
        args.pkcs11.as_ref(),
        args.token.as_deref(),
        args.pin_file.as_deref(),
        args.signer.as_deref(),
    )?
    .context(
        "no root key: pass --key ROOT_PRIVATE_KEY, --pkcs11 MODULE --token LABEL --key LABEL, \
         or --signer CMD --key ROOT_PUBLIC_KEY",
    )?;
    let bytes = signed_bytes(&change, &signer)?;
    let root = tbf::crypto::verifying_key_to_raw(&signer.public_key());
    let decoded = SignedChange::decode(&bytes)
        .map_err(|error| anyhow::anyhow!("the signed change does not decode: {error}"))?;
    if decoded.change != change || !decoded.verify(&root) {
        bail!("the signed change does not read back as built; nothing was written");
    }
    write_atomically(&args.output, &bytes)?;
    let root_fingerprint = Hex(&fingerprint(&root)).to_string();
    if args.json {
        let mut value = super::change_json(&decoded);
        value["file"] = args.output.display().to_string().into();
        value["root"] = root_fingerprint.into();
        return crate::commands::print_json(&value);
    }
    println!(
        "{}: {}; signed by root {root_fingerprint}",
        args.output.display(),
        super::describe(&decoded)
    );
    println!(
        "apply it with `loader keys {} {}`",
        super::loader_verb(&change.kind),
        args.output.display()
    );
    Ok(())
}
