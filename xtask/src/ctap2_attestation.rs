//! `cargo xtask ctap2-attestation`: makes the CTAP2 app's batch attestation
//! identity, `apps/rust/ctap2/attestation/{certificate.der, private_key.bin}`,
//! with the openssl command-line tool.
//!
//! The certificate has what FIDO requires of a packed attestation batch
//! certificate (WebAuthn 8.2.1, FIDO metadata):
//! - X.509 version 3;
//! - subject C (ISO 3166 country), O (vendor), OU exactly "Authenticator
//!   Attestation", CN (a name for the batch);
//! - basic constraints, critical, CA false;
//! - the id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4, not
//!   critical) holding the AAGUID as an OCTET STRING, which must equal the
//!   AAGUID the app reports (`apps/rust/ctap2/src/attestation.rs`; its host
//!   test checks both).
//!
//! It is self-signed by the attestation key (P-256, ECDSA with SHA-256),
//! has no key identifiers, and stays under 512 bytes so U2F registrations
//! can carry it too. `private_key.bin` is the raw 32-byte scalar.
//!
//! Existing files are only replaced with `--force`: every credential a
//! device attested names the old certificate.

use anyhow::{ensure, Context as _, Result};
use std::path::Path;
use std::process::Command;

use crate::cmd;
use crate::context::Context;

/// The app's AAGUID (must match `AAGUID` in the app's `attestation.rs`).
pub const AAGUID: [u8; 16] = [
    0x12, 0x82, 0x5b, 0x99, 0x3f, 0x95, 0x4d, 0xec, 0x80, 0xee, 0x88, 0x1b, 0x9e, 0x64, 0x51, 0x31,
];
/// Where the files go, from the workspace root.
const DIRECTORY: &str = "apps/rust/ctap2/attestation";
/// The subject (and issuer: self-signed).
const SUBJECT: &str =
    "C = US\nO = Tock OS\nOU = Authenticator Attestation\nCN = Tock CTAP2 Batch Attestation";
/// The certificate must fit U2F's REGISTER response.
const MAX_CERTIFICATE: usize = 512;
/// The DER prefix of an OpenSSL P-256 ECPrivateKey: SEQUENCE, version 1,
/// OCTET STRING of 32 bytes (the scalar follows).
const EC_PRIVATE_KEY_PREFIX: [u8; 7] = [0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];

/// The openssl configuration of the certificate request.
fn configuration() -> String {
    let aaguid: Vec<String> = AAGUID.iter().map(|byte| format!("{byte:02X}")).collect();
    format!(
        "[req]\ndistinguished_name = subject\nprompt = no\n\
         [subject]\n{SUBJECT}\n\
         [extensions]\nbasicConstraints = critical, CA:FALSE\n\
         subjectKeyIdentifier = none\nauthorityKeyIdentifier = none\n\
         1.3.6.1.4.1.45724.1.1.4 = DER:04:10:{}\n",
        aaguid.join(":")
    )
}

fn openssl(scratch: &Path) -> Command {
    let mut command = Command::new("openssl");
    command.current_dir(scratch);
    command
}

/// The raw scalar inside an ECPrivateKey DER.
fn scalar(der: &[u8]) -> Result<[u8; 32]> {
    ensure!(
        der.len() >= 39 && der[..7] == EC_PRIVATE_KEY_PREFIX,
        "openssl wrote an EC private key in an unexpected form"
    );
    Ok(der[7..39].try_into()?)
}

/// Makes the key and certificate and writes them into the app's tree.
pub fn generate(ctx: &Context, force: bool) -> Result<()> {
    let target = ctx.workspace.join(DIRECTORY);
    let certificate_path = target.join("certificate.der");
    let key_path = target.join("private_key.bin");
    ensure!(
        force || !(certificate_path.exists() || key_path.exists()),
        "{} already holds an attestation identity: pass --force to replace it",
        target.display()
    );
    let scratch = ctx.scratch_dir("ctap2-attestation")?;
    std::fs::write(scratch.join("openssl.cnf"), configuration())?;
    cmd::run(openssl(&scratch).args([
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "key.pem",
    ]))?;
    cmd::run(openssl(&scratch).args([
        "req",
        "-new",
        "-x509",
        "-config",
        "openssl.cnf",
        "-extensions",
        "extensions",
        "-key",
        "key.pem",
        "-days",
        "7300",
        "-set_serial",
        "1",
        "-sha256",
        "-outform",
        "DER",
        "-out",
        "certificate.der",
    ]))?;
    cmd::run(
        openssl(&scratch).args(["ec", "-in", "key.pem", "-outform", "DER", "-out", "key.der"]),
    )?;
    let certificate = std::fs::read(scratch.join("certificate.der"))?;
    ensure!(
        certificate.len() <= MAX_CERTIFICATE,
        "the certificate is {} bytes, over {MAX_CERTIFICATE}",
        certificate.len()
    );
    let key = scalar(&std::fs::read(scratch.join("key.der"))?)?;
    std::fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
    std::fs::write(&certificate_path, &certificate)?;
    std::fs::write(&key_path, key)?;
    println!(
        "wrote {} ({} bytes) and {}; run `cargo test -p ctap2 attestation` to check them",
        certificate_path.display(),
        certificate.len(),
        key_path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_names_every_required_field() {
        let configuration = configuration();
        for required in [
            "OU = Authenticator Attestation",
            "basicConstraints = critical, CA:FALSE",
            "1.3.6.1.4.1.45724.1.1.4 = DER:04:10:12:82:5B:99",
        ] {
            assert!(configuration.contains(required), "{required}");
        }
    }

    #[test]
    fn the_scalar_is_taken_from_an_ec_private_key_only() {
        let mut der = EC_PRIVATE_KEY_PREFIX.to_vec();
        der.extend(1..=32u8);
        assert_eq!(scalar(&der).unwrap()[0], 1);
        der[1] = 0x78;
        assert!(scalar(&der).is_err());
    }
}
