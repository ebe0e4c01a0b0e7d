//! Credential checking: which apps a board lets run.
//!
//! A board picks a [`CredentialPolicy`]: ECDSA P-256 signatures by at
//! least N distinct keys of its public keys (N = 1 unless the board says
//! otherwise), SHA-256 integrity only, or nothing. Every process that
//! loading places (at boot, or installed at runtime) goes through one
//! function, `admit`: with a `CredentialChecker` (feature `credentials`)
//! the process stays unstarted ([`Approval::Unchecked`]) until the
//! checker, running in a deferred call, has checked it; without one it is
//! admitted at once as [`Approval::Unverified`].
//!
//! ```text
//!  load_one --admit--> Unchecked --deferred call: check_credentials-->
//!        refused: console says why, slot and RAM freed
//!        approved: waits until no process is Unchecked, then
//!                  identity conflicts are settled (higher version runs)
//!                  and the winners start
//! ```
//!
//! One P-256 verification is millions of instructions with no incremental
//! API, so the checker checks one app per deferred call: interrupts are
//! served between two apps (never during one).
//!
//! The checking itself ([`check_credentials`]) is pure and reuses the
//! `tbf` crate's footer parsing and SHA-256 (no allocation); signatures are
//! verified by `p256-verify`, a verification-only P-256 written for 32-bit
//! cores (about 8x fewer instructions than RustCrypto's `p256`, see
//! docs/performance.md).
//!
//! Must never: start a process whose credentials were not approved, or
//! panic on any image bytes.

mod checker;
mod trust;
#[cfg(feature = "credentials")]
mod trusted;

#[cfg(feature = "credentials")]
pub use checker::CredentialChecker;
pub(crate) use checker::{admit, may_start};
pub use checker::{CredentialCheckClient, NotStarted};
pub use trust::{ChangeRefusal, TrustManagement};
#[cfg(feature = "credentials")]
pub use trusted::{check_trusted, Trusted};

use p256_verify::{verify_prehashed, PublicKey};
use tbf::crypto::{sha256, ECDSA_P256_RAW_PUBLIC_KEY_LENGTH};
use tbf::{parse, CredentialCheck, CredentialsFormat, Footer, ParseError};

use crate::identity::Approval;

/// A board's public key: `x || y` of a P-256 point, 32 bytes each
/// (what `tockpack keygen` writes as `*.pub.raw`).
pub type RawPublicKey = [u8; ECDSA_P256_RAW_PUBLIC_KEY_LENGTH];

/// What a board requires of an app before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialPolicy {
    /// Nothing: every app runs (its identity is its name alone).
    AcceptAll,
    /// A SHA-256 credential matching the image (integrity, not origin).
    Sha256Integrity,
    /// ECDSA P-256 signatures by at least `signers_required` distinct keys
    /// of these; the index of the first key that verifies (in footer
    /// order) becomes part of the app's identity.
    EcdsaP256 {
        /// The board's keys (at most [`MAX_BOARD_KEYS`]).
        keys: &'static [RawPublicKey],
        /// How many distinct keys must have signed (0 counts as 1). Two
        /// signatures by one key count once.
        signers_required: usize,
    },
}

/// The most keys a board may trust (the checker tracks them in a `u64`).
pub const MAX_BOARD_KEYS: usize = 64;

impl CredentialPolicy {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            CredentialPolicy::AcceptAll => "none",
            CredentialPolicy::Sha256Integrity => "SHA-256 integrity",
            CredentialPolicy::EcdsaP256 { .. } => "ECDSA P-256 signature",
        }
    }
}

/// Why an app was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The image or its footers do not parse.
    Malformed(ParseError),
    /// It carries no credential of the kind the policy needs.
    Missing(CredentialsFormat),
    /// Its SHA-256 credential does not match the image.
    DigestMismatch,
    /// Fewer distinct board keys signed it than the board requires: none
    /// (`verified == 0`: no signature verifies with any of the board's
    /// keys), or some but too few.
    SignatureInvalid {
        /// How many signatures it carries.
        signatures: usize,
        /// How many keys the board has.
        keys: usize,
        /// How many distinct board keys verified a signature.
        verified: usize,
        /// How many the board requires.
        required: usize,
    },
    /// One of the board's keys is not a valid P-256 point, or the board
    /// has more than [`MAX_BOARD_KEYS`] (board error).
    BadBoardKey(usize),
    /// Signed only by keys the trust store has revoked (the fingerprint
    /// of the first that verified).
    RevokedSigner(tbf::trust::Fingerprint),
    /// Its version is below the minimum the trust store keeps for its
    /// name (a rollback needs a root-signed permit).
    BelowMinimum {
        /// Its package name.
        name: tbf::trust::AppName,
        /// Its version.
        version: u32,
        /// The minimum.
        minimum: u32,
    },
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Refusal::Malformed(error) => write!(f, "credentials unreadable: {}", error),
            Refusal::Missing(CredentialsFormat::EcdsaNistP256) => f.write_str(
                "not signed (the board needs an ECDSA P-256 signature: sign it with one of its keys)",
            ),
            Refusal::Missing(format) => write!(
                f,
                "no {} credential (the board needs one: add it when packaging)",
                format.name()
            ),
            Refusal::DigestMismatch => {
                f.write_str("SHA-256 credential does not match the image (altered after packaging)")
            }
            Refusal::SignatureInvalid {
                signatures,
                keys,
                verified: 0,
                ..
            } => write!(
                f,
                "{} signature(s) verify with none of the board's {} key(s) \
                 (altered after signing, or signed by an unknown key)",
                signatures, keys
            ),
            Refusal::SignatureInvalid {
                verified, required, ..
            } => write!(
                f,
                "signed by {} of the board's keys, but the board needs {} distinct keys \
                 (have the app signed by more of its keys: tbf sign adds a signature)",
                verified, required
            ),
            Refusal::BadBoardKey(index) if *index >= MAX_BOARD_KEYS => write!(
                f,
                "the board has more than {} keys (build it with fewer)",
                MAX_BOARD_KEYS
            ),
            Refusal::BadBoardKey(index) => {
                write!(f, "board key {} is not a valid P-256 public key", index)
            }
            Refusal::RevokedSigner(fingerprint) => write!(
                f,
                "signed only by revoked key {}",
                tbf::trust::Hex(fingerprint)
            ),
            Refusal::BelowMinimum {
                name,
                version,
                minimum,
            } => write!(
                f,
                "version {} below the minimum {} for {}",
                version, minimum, name
            ),
        }
    }
}

/// Check the credentials of `image` (a whole TBF image) against `policy`.
///
/// Under `EcdsaP256` every ECDSA P-256 footer is tried with every key that
/// has not verified one yet, until `signers_required` distinct keys have;
/// other footers are ignored. Under `Sha256Integrity` a SHA-256 footer must
/// match (the first one decides). Each verification is a full P-256
/// verification (millions of instructions).
pub fn check_credentials(image: &[u8], policy: &CredentialPolicy) -> Result<Approval, Refusal> {
    let (keys, required) = match policy {
        CredentialPolicy::AcceptAll => return Ok(Approval::Unverified),
        CredentialPolicy::Sha256Integrity => return check_sha256(image),
        CredentialPolicy::EcdsaP256 {
            keys,
            signers_required,
        } => (keys, (*signers_required).max(1)),
    };
    if keys.len() > MAX_BOARD_KEYS {
        return Err(Refusal::BadBoardKey(MAX_BOARD_KEYS));
    }
    let tbf = parse(image).map_err(Refusal::Malformed)?;
    let region =
        tbf.integrity_region()
            .ok_or(Refusal::Malformed(ParseError::BaseHeaderTruncated {
                available: image.len(),
            }))?;
    let digest = sha256(region);
    let verified = verify_signatures(&tbf, &digest, keys, u64::MAX, required)?;
    signed_enough(verified, keys.len(), required)
}

/// What [`verify_signatures`] found.
#[derive(Clone, Copy)]
struct Verified {
    /// ECDSA P-256 credentials in the footers.
    signatures: usize,
    /// Bit `n`: key `n` verified a signature (each key counts once).
    signed_by: u64,
    /// The key that verified first (in footer order).
    first_signer: Option<usize>,
}

/// Try every ECDSA P-256 footer of `tbf` with every key of `keys` whose
/// bit is set in `usable` and that has not verified one yet, until
/// `required` distinct keys have. `digest` is SHA-256 of the integrity
/// region (every signature covers it).
fn verify_signatures(
    tbf: &tbf::Tbf<'_>,
    digest: &[u8; 32],
    keys: &[RawPublicKey],
    usable: u64,
    required: usize,
) -> Result<Verified, Refusal> {
    let mut verified = Verified {
        signatures: 0,
        signed_by: 0,
        first_signer: None,
    };
    for footer in tbf.footers() {
        let credential = match footer.map_err(Refusal::Malformed)? {
            Footer::Credentials(credential)
                if credential.format == CredentialsFormat::EcdsaNistP256 =>
            {
                credential
            }
            _ => continue,
        };
        verified.signatures += 1;
        for (index, raw) in keys.iter().enumerate() {
            if verified.signed_by & 1 << index != 0 || usable & 1 << index == 0 {
                continue;
            }
            let key = PublicKey::from_raw(raw).ok_or(Refusal::BadBoardKey(index))?;
            if verify_prehashed(&key, digest, credential.data) {
                verified.signed_by |= 1 << index;
                verified.first_signer.get_or_insert(index);
                break;
            }
        }
        if verified.signed_by.count_ones() as usize >= required {
            break;
        }
    }
    Ok(verified)
}

/// The approval when enough distinct keys signed, else the refusal.
fn signed_enough(verified: Verified, keys: usize, required: usize) -> Result<Approval, Refusal> {
    if verified.signed_by.count_ones() as usize >= required {
        // Boards have a handful of keys: the index fits a byte.
        let first = verified.first_signer.unwrap_or(0);
        return Ok(Approval::SignedBy(u8::try_from(first).unwrap_or(u8::MAX)));
    }
    if verified.signatures == 0 {
        return Err(Refusal::Missing(CredentialsFormat::EcdsaNistP256));
    }
    Err(Refusal::SignatureInvalid {
        signatures: verified.signatures,
        keys,
        verified: verified.signed_by.count_ones() as usize,
        required,
    })
}

fn check_sha256(image: &[u8]) -> Result<Approval, Refusal> {
    let tbf = parse(image).map_err(Refusal::Malformed)?;
    let region =
        tbf.integrity_region()
            .ok_or(Refusal::Malformed(ParseError::BaseHeaderTruncated {
                available: image.len(),
            }))?;
    for footer in tbf.footers() {
        if let Footer::Credentials(credential) = footer.map_err(Refusal::Malformed)? {
            if credential.format == CredentialsFormat::Sha256 {
                return match credential.check(region, None) {
                    CredentialCheck::Verified => Ok(Approval::Integrity),
                    _ => Err(Refusal::DigestMismatch),
                };
            }
        }
    }
    Err(Refusal::Missing(CredentialsFormat::Sha256))
}

#[cfg(test)]
#[path = "credential/tests.rs"]
mod tests;
