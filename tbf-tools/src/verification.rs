//! Checking an image's credentials: digests against the integrity region,
//! ECDSA P-256 signatures against a given public key, and RSA-4096
//! signatures against the public key they carry (which proves integrity and
//! names the signer; whether that signer is trusted is the board's call).

use rsa::pkcs1v15;
use rsa::signature::Verifier;
use sha2::Sha512;

use tbf::{CredentialCheck, CredentialsFormat, Footer};

/// The verdict on one credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Verified,
    Failed,
    /// An ECDSA signature and no key to check it with.
    NoKey,
    /// An ECDSA signature that does not verify with the key given: the
    /// image was altered after signing, or another key signed it. The two
    /// cannot be told apart (every signature verifies under some key), so
    /// this is "not verified", not a failure; a digest credential beside
    /// it tells an altered image apart.
    NotByKey,
    Reserved,
    Unsupported,
}

impl Verdict {
    /// A word for people and scripts.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Failed => "FAILED",
            Verdict::NoKey => "not checked (no --key)",
            Verdict::NotByKey => "does not verify with --key (altered, or signed by another key)",
            Verdict::Reserved => "reserved space",
            Verdict::Unsupported => "not checkable",
        }
    }
}

/// One credential and its verdict.
#[derive(Debug, Clone)]
pub struct CredentialReport {
    pub offset: usize,
    pub format: CredentialsFormat,
    pub data: Vec<u8>,
    pub verdict: Verdict,
}

/// All credentials of one image; `error` when the image or a footer is malformed.
#[derive(Debug, Clone, Default)]
pub struct ImageReport {
    pub credentials: Vec<CredentialReport>,
    pub error: Option<String>,
}

impl ImageReport {
    /// Something is wrong: malformed, or a credential that does not match.
    pub fn failed(&self) -> bool {
        self.error.is_some()
            || self
                .credentials
                .iter()
                .any(|c| c.verdict == Verdict::Failed)
    }

    /// At least one credential was checked and matched.
    pub fn any_verified(&self) -> bool {
        self.credentials
            .iter()
            .any(|c| c.verdict == Verdict::Verified)
    }

    /// An ECDSA signature verified with the given key.
    pub fn key_verified(&self) -> bool {
        self.credentials
            .iter()
            .any(|c| c.format == CredentialsFormat::EcdsaNistP256 && c.verdict == Verdict::Verified)
    }
}

/// Credentials for display: a run of neighbouring Reserved credentials
/// (large padding is split into many, each at most 64 KiB) becomes one
/// entry. Returns `(first, count, total length)` per entry.
pub fn grouped(credentials: &[CredentialReport]) -> Vec<(&CredentialReport, usize, usize)> {
    let mut groups: Vec<(&CredentialReport, usize, usize)> = Vec::new();
    for credential in credentials {
        match groups.last_mut() {
            Some((first, count, length))
                if first.verdict == Verdict::Reserved
                    && credential.verdict == Verdict::Reserved =>
            {
                *count += 1;
                *length += credential.data.len();
            }
            _ => groups.push((credential, 1, credential.data.len())),
        }
    }
    groups
}

/// Checks an RSA-4096 credential (`modulus || signature`, exponent 65537,
/// PKCS#1 v1.5 over SHA-512) against its own embedded modulus.
fn check_rsa4096(integrity: &[u8], data: &[u8]) -> Verdict {
    let Some((modulus, signature)) = data.split_at_checked(512) else {
        return Verdict::Failed;
    };
    let Ok(key) = rsa::RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(modulus),
        rsa::BigUint::from(65_537u32),
    ) else {
        return Verdict::Failed;
    };
    let Ok(signature) = pkcs1v15::Signature::try_from(signature) else {
        return Verdict::Failed;
    };
    match pkcs1v15::VerifyingKey::<Sha512>::new(key).verify(integrity, &signature) {
        Ok(()) => Verdict::Verified,
        Err(_) => Verdict::Failed,
    }
}

/// Checks every credential of `bytes`; ECDSA signatures need `key`.
pub fn check_image(bytes: &[u8], key: Option<&p256::ecdsa::VerifyingKey>) -> ImageReport {
    let mut report = ImageReport::default();
    let tbf = match tbf::parse(bytes) {
        Ok(tbf) => tbf,
        Err(error) => {
            report.error = Some(error.to_string());
            return report;
        }
    };
    let Some(integrity) = tbf.integrity_region() else {
        report.error = Some("the image is shorter than its total_size".to_string());
        return report;
    };
    for footer in tbf.footers() {
        match footer {
            Ok(Footer::Credentials(credential)) => {
                let verdict = if credential.format == CredentialsFormat::Rsa4096Key {
                    check_rsa4096(integrity, credential.data)
                } else {
                    match credential.check(integrity, key) {
                        CredentialCheck::Verified => Verdict::Verified,
                        CredentialCheck::Failed
                            if credential.format == CredentialsFormat::EcdsaNistP256 =>
                        {
                            Verdict::NotByKey
                        }
                        CredentialCheck::Failed => Verdict::Failed,
                        CredentialCheck::NoKey => Verdict::NoKey,
                        CredentialCheck::Reserved => Verdict::Reserved,
                        CredentialCheck::Unsupported => Verdict::Unsupported,
                    }
                };
                report.credentials.push(CredentialReport {
                    offset: credential.offset,
                    format: credential.format,
                    data: credential.data.to_vec(),
                    verdict,
                });
            }
            Ok(Footer::Other { .. }) => {}
            Err(error) => report.error = Some(error.to_string()),
        }
    }
    report
}
