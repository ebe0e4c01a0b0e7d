//! `tbf sign`: adds or replaces credentials in an existing TBF, or in every
//! TBF of a TAB, without rebuilding the app.
//!
//! New credentials go into the reserved footer space when it is large
//! enough; otherwise the image grows (and `total_size` changes, which is
//! part of the signed region) and the command says so. Images whose size is
//! a power of two (Cortex-M MPU sizing) grow to the next power of two, the
//! others to a multiple of 4.
//!
//! An ECDSA P-256 signature comes from a key file (`--key FILE`), a
//! PKCS#11 token (`--pkcs11 MODULE --token LABEL --key LABEL`) or an outside
//! command (`--signer CMD --key PUBLIC`). Signatures by other keys stay, so
//! several signers can sign one image; a key signing again replaces its own.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use tbf::sign::{add_credentials, CredentialRequest, ExternalSigner, GrowPolicy, SignOptions};
use tbf::{CredentialsFormat, Footer, FooterCredential};

use crate::credentials::{load_rsa4096_private, rsa4096_credential};
use crate::external_signing::EcdsaSigner;
use crate::images::{load, Image};
use crate::output::write_atomically;

/// Arguments of `tbf sign`.
#[derive(clap::Args, Debug)]
pub struct SignArgs {
    /// ECDSA P-256 private key: PKCS#8 (`tbf keygen`) or SEC1 (`openssl ecparam -genkey`), DER or PEM.
    /// With --pkcs11: the key pair's label in the token. With --signer: the signer's public key file.
    #[arg(long, visible_alias = "ecdsa-nist-p256-private")]
    pub key: Option<PathBuf>,
    /// Sign with a key in a PKCS#11 token: the module (shared library), e.g.
    /// /usr/lib/softhsm/libsofthsm2.so. The PIN comes from TBF_PKCS11_PIN or --pin-file.
    #[arg(long, value_name = "MODULE", conflicts_with = "signer")]
    pub pkcs11: Option<PathBuf>,
    /// With --pkcs11: the token's label.
    #[arg(long, value_name = "LABEL", requires = "pkcs11")]
    pub token: Option<String>,
    /// With --pkcs11: a file holding the user PIN (instead of TBF_PKCS11_PIN).
    #[arg(long, value_name = "FILE", requires = "pkcs11")]
    pub pin_file: Option<PathBuf>,
    /// Sign with an outside command (run by `sh -c`): it reads the SHA-256 digest as hex on
    /// stdin and prints a DER ECDSA signature; --key names its public key.
    #[arg(long, value_name = "CMD")]
    pub signer: Option<String>,
    /// Drop every existing ECDSA signature (default: keep other keys' signatures).
    #[arg(long, conflicts_with = "keep_existing")]
    pub replace_signatures: bool,
    /// RSA-4096 private key (PKCS#8 DER or PEM).
    #[arg(long = "rsa4096-private")]
    pub rsa4096_private: Option<PathBuf>,
    /// Add a SHA-256 credential.
    #[arg(long)]
    pub sha256: bool,
    /// Add a SHA-384 credential.
    #[arg(long)]
    pub sha384: bool,
    /// Add a SHA-512 credential.
    #[arg(long)]
    pub sha512: bool,
    /// Keep existing credentials of the formats being added (default: replace them).
    #[arg(long)]
    pub keep_existing: bool,
    /// Write here instead of replacing the input file.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Print one JSON document (errors too) instead of text.
    #[arg(long)]
    pub json: bool,
    /// A .tbf image or a .tab bundle.
    pub file: PathBuf,
}

fn grow_policy(image: &[u8]) -> GrowPolicy {
    match tbf::parse_base(image) {
        Ok(base) if base.total_size >= 512 && base.total_size.is_power_of_two() => {
            GrowPolicy::PowerOfTwo
        }
        _ => GrowPolicy::MultipleOf(4),
    }
}

/// Writes the RSA signature over the final integrity region into the placeholder.
fn fill_rsa(image: &mut [u8], key: &rsa::RsaPrivateKey) -> Result<()> {
    let (offset, integrity_end) = {
        let tbf = tbf::parse(image).context("signed image does not parse")?;
        let offset = tbf
            .footers()
            .filter_map(|f| f.ok())
            .find_map(|footer| match footer {
                Footer::Credentials(c)
                    if c.format == CredentialsFormat::Rsa4096Key
                        && c.data.iter().all(|b| *b == 0) =>
                {
                    Some(c.offset)
                }
                _ => None,
            })
            .context("RSA placeholder not found after signing")?;
        (offset, tbf.binary_end_offset() as usize)
    };
    let data = rsa4096_credential(key, &image[..integrity_end])?;
    image[offset + 8..offset + 8 + data.len()].copy_from_slice(&data);
    Ok(())
}

fn sign_image(
    image: &Image,
    args: &SignArgs,
    ecdsa: Option<CredentialRequest<'_>>,
    rsa_key: Option<&rsa::RsaPrivateKey>,
    reports: &mut Vec<serde_json::Value>,
) -> Result<Vec<u8>> {
    let mut requests = Vec::new();
    for (wanted, request) in [
        (args.sha256, CredentialRequest::Sha256),
        (args.sha384, CredentialRequest::Sha384),
        (args.sha512, CredentialRequest::Sha512),
    ] {
        if wanted {
            requests.push(request);
        }
    }
    if rsa_key.is_some() {
        let placeholder = FooterCredential::new(CredentialsFormat::Rsa4096Key, vec![0; 1024]);
        requests.push(CredentialRequest::Precomputed(placeholder));
    }
    if let Some(request) = ecdsa {
        requests.push(request);
    }
    let options = SignOptions {
        replace_same_format: !args.keep_existing,
        grow: grow_policy(&image.bytes),
        keep_other_signers: !args.replace_signatures,
    };
    let signed = add_credentials(&image.bytes, &requests, &options)
        .map_err(|e| anyhow::anyhow!("{}: {e}", image.name))?;
    let mut bytes = signed.image.clone();
    if let Some(key) = rsa_key {
        fill_rsa(&mut bytes, key)?;
    }
    let mut report = serde_json::json!({
        "name": image.name,
        "total_size": signed.new_total_size,
        "grew_from": signed.grew().then_some(signed.old_total_size),
        "stale_signatures": signed.stale_signatures,
    });
    if signed.grew() {
        let grew = format!(
            "{}: no room in the footer: the image grew from {} to {} bytes",
            image.name, signed.old_total_size, signed.new_total_size
        );
        report["message"] = serde_json::json!(grew);
        if !args.json {
            println!("{grew}");
        }
        if signed.stale_signatures > 0 && !args.json {
            eprintln!(
                "warning: {}: {} existing signature(s) no longer match the grown image; sign again with their keys",
                image.name, signed.stale_signatures
            );
        }
    } else {
        let fitted = format!(
            "{}: credentials written into reserved footer space ({} bytes)",
            image.name, signed.new_total_size
        );
        report["message"] = serde_json::json!(fitted);
        if !args.json {
            println!("{fitted}");
        }
    }
    reports.push(report);
    Ok(bytes)
}

/// The ECDSA signer the flags ask for, if any.
fn ecdsa_signer(args: &SignArgs) -> Result<Option<EcdsaSigner>> {
    EcdsaSigner::from_flags(
        args.key.as_deref(),
        args.pkcs11.as_ref(),
        args.token.as_deref(),
        args.pin_file.as_deref(),
        args.signer.as_deref(),
    )
}

/// Runs `tbf sign`.
pub fn run(args: &SignArgs) -> Result<()> {
    if args.key.is_none()
        && args.rsa4096_private.is_none()
        && !(args.sha256 || args.sha384 || args.sha512)
    {
        bail!(
            "nothing to add: pass --key, --pkcs11, --signer, --rsa4096-private, --sha256, \
             --sha384 or --sha512"
        );
    }
    let ecdsa = ecdsa_signer(args)?;
    let external_sign = |digest: &[u8; 32]| match &ecdsa {
        Some(EcdsaSigner::Token(token)) => token.sign(digest),
        Some(EcdsaSigner::Command(command, _)) => command.sign(digest),
        _ => Err("no external signer".to_string()),
    };
    let request = match &ecdsa {
        None => None,
        Some(EcdsaSigner::File(key)) => Some(CredentialRequest::EcdsaP256(key)),
        Some(EcdsaSigner::Token(token)) => Some(CredentialRequest::ExternalEcdsaP256 {
            public: token.public_key(),
            sign: ExternalSigner(&external_sign),
        }),
        Some(EcdsaSigner::Command(_, public)) => Some(CredentialRequest::ExternalEcdsaP256 {
            public: *public,
            sign: ExternalSigner(&external_sign),
        }),
    };
    let rsa_key = args
        .rsa4096_private
        .as_deref()
        .map(load_rsa4096_private)
        .transpose()?;
    let file = load(&args.file)?;
    let mut signed = Vec::new();
    let mut reports = Vec::new();
    for image in &file.images {
        let bytes = sign_image(image, args, request.clone(), rsa_key.as_ref(), &mut reports)?;
        signed.push(Image {
            name: image.name.clone(),
            bytes,
        });
    }
    let bytes = file.rebuild(&signed).context("cannot rebuild the TAB")?;
    let output = args.output.as_ref().unwrap_or(&args.file);
    write_atomically(output, &bytes)?;
    if args.json {
        return crate::commands::print_json(&serde_json::json!({
            "file": output.display().to_string(),
            "images": reports,
        }));
    }
    Ok(())
}
