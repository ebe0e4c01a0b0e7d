//! Adding or replacing credentials in an existing image (feature `alloc`).
//!
//! Credentials live in the footer area `[binary_end_offset, total_size)`,
//! outside the integrity region, so they can change without rebuilding the
//! app. New footers go into the space Reserved footers held; if they do not
//! fit, the image grows: `total_size` is rewritten in the header (and the
//! checksum with it) BEFORE any digest or signature is computed, because
//! the header is part of the integrity region.
//!
//! ```text
//! before: | header | binary | SHA256 | Reserved (n bytes)          |
//! after:  | header | binary | SHA256 | ECDSA P-256 | Reserved (n-72)|
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::credentials::Footer;
use crate::crypto::{SigningKey, VerifyingKey};
use crate::error::{BuildError, ParseError};
use crate::footer::FooterCredential;
use crate::types::CredentialsFormat;

/// One credential to add.
#[derive(Clone, Debug)]
pub enum CredentialRequest<'k> {
    /// SHA-256 of the integrity region.
    Sha256,
    /// SHA-384 of the integrity region.
    Sha384,
    /// SHA-512 of the integrity region.
    Sha512,
    /// ECDSA P-256 signature with this key.
    EcdsaP256(&'k SigningKey),
    /// ECDSA P-256 signature made outside this process (an HSM through
    /// PKCS#11, a cloud KMS through a command): `sign` gets the SHA-256
    /// digest of the final integrity region and returns `r || s`, which
    /// must verify with `public` or signing fails with
    /// [`SignError::ExternalSignatureInvalid`].
    ExternalEcdsaP256 {
        /// The public key the signature must verify with.
        public: VerifyingKey,
        /// Signs a SHA-256 digest.
        sign: ExternalSigner<'k>,
    },
    /// A credential computed elsewhere (for example an RSA signature). It
    /// must already cover the final integrity region: use it only when the
    /// image does not grow, or check [`SignedImage::grew`].
    Precomputed(FooterCredential),
}

/// Signs a SHA-256 digest with ECDSA P-256, returning `r || s`, or why it
/// could not.
pub type SignDigest<'k> = dyn Fn(&[u8; 32]) -> Result<[u8; 64], String> + 'k;

/// A [`SignDigest`] function kept outside this crate (an HSM, a command).
#[derive(Clone, Copy)]
pub struct ExternalSigner<'k>(pub &'k SignDigest<'k>);

impl fmt::Debug for ExternalSigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExternalSigner(..)")
    }
}

impl CredentialRequest<'_> {
    fn format(&self) -> CredentialsFormat {
        match self {
            CredentialRequest::Sha256 => CredentialsFormat::Sha256,
            CredentialRequest::Sha384 => CredentialsFormat::Sha384,
            CredentialRequest::Sha512 => CredentialsFormat::Sha512,
            CredentialRequest::EcdsaP256(_) | CredentialRequest::ExternalEcdsaP256 { .. } => {
                CredentialsFormat::EcdsaNistP256
            }
            CredentialRequest::Precomputed(c) => c.format,
        }
    }

    /// The public key of a signature request.
    fn public_key(&self) -> Option<VerifyingKey> {
        match self {
            CredentialRequest::EcdsaP256(key) => Some(VerifyingKey::from(*key)),
            CredentialRequest::ExternalEcdsaP256 { public, .. } => Some(*public),
            _ => None,
        }
    }

    fn placeholder(&self) -> FooterCredential {
        match self {
            CredentialRequest::Precomputed(c) => c.clone(),
            other => {
                let format = other.format();
                let length = format.data_length().unwrap_or(0);
                FooterCredential::new(format, alloc::vec![0; length])
            }
        }
    }

    fn compute(&self, region: &[u8]) -> Result<FooterCredential, SignError> {
        Ok(match self {
            CredentialRequest::Sha256 => FooterCredential::sha256(region),
            CredentialRequest::Sha384 => FooterCredential::sha384(region),
            CredentialRequest::Sha512 => FooterCredential::sha512(region),
            CredentialRequest::EcdsaP256(key) => {
                FooterCredential::ecdsa_p256(region, key).ok_or(SignError::SigningFailed)?
            }
            CredentialRequest::ExternalEcdsaP256 { public, sign } => {
                let signature =
                    (sign.0)(&crate::crypto::sha256(region)).map_err(SignError::External)?;
                if !crate::crypto::ecdsa_p256_verify(region, &signature, public) {
                    return Err(SignError::ExternalSignatureInvalid);
                }
                FooterCredential::new(CredentialsFormat::EcdsaNistP256, signature.to_vec())
            }
            CredentialRequest::Precomputed(c) => c.clone(),
        })
    }
}

/// How to size an image that has to grow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GrowPolicy {
    /// Exactly as large as needed (a multiple of 4).
    #[default]
    Exact,
    /// The next power of two, at least 512 bytes (what Cortex-M MPUs need,
    /// and what elf2tab does for them).
    PowerOfTwo,
    /// The next multiple of this many bytes (0 or 1 mean exact).
    MultipleOf(u32),
}

/// Options for [`add_credentials`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignOptions {
    /// Remove existing credentials of the formats being added (default true).
    pub replace_same_format: bool,
    /// How to size the image if the footers do not fit.
    pub grow: GrowPolicy,
    /// With `replace_same_format`, replace only the ECDSA P-256 signatures
    /// made by a key being signed with (re-signing is idempotent) and keep
    /// those of other keys, so several signers can sign one image (default
    /// false: every existing signature is replaced).
    pub keep_other_signers: bool,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            replace_same_format: true,
            grow: GrowPolicy::Exact,
            keep_other_signers: false,
        }
    }
}

/// The result of [`add_credentials`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedImage {
    /// The new image.
    pub image: Vec<u8>,
    /// `total_size` before.
    pub old_total_size: u32,
    /// `total_size` after.
    pub new_total_size: u32,
    /// Existing signatures (not digests) that were kept but no longer match
    /// because the header changed when the image grew.
    pub stale_signatures: usize,
}

impl SignedImage {
    /// Whether the image had to grow.
    pub fn grew(&self) -> bool {
        self.new_total_size != self.old_total_size
    }
}

/// Why credentials could not be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignError {
    /// The image does not parse (header or footers).
    Parse(ParseError),
    /// A footer could not be serialised.
    Build(BuildError),
    /// The image has no Program TLV, so it has no footer area: repackage it.
    NoProgramHeader,
    /// The grown image would exceed 4 GiB.
    TooLarge,
    /// The signing library failed.
    SigningFailed,
    /// An external signer (HSM, command) could not sign; why.
    External(String),
    /// An external signer returned a signature that does not verify with
    /// the public key it was given.
    ExternalSignatureInvalid,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::Parse(e) => write!(f, "the image is not a valid TBF: {e}"),
            SignError::Build(e) => write!(f, "could not build the footers: {e}"),
            SignError::NoProgramHeader => write!(
                f,
                "the image has no Program TLV and so no footer area; repackage it with a current packager"
            ),
            SignError::TooLarge => write!(f, "the image would grow beyond 4 GiB"),
            SignError::SigningFailed => write!(f, "the ECDSA signing library reported a failure"),
            SignError::External(reason) => write!(f, "the external signer failed: {reason}"),
            SignError::ExternalSignatureInvalid => write!(
                f,
                "the external signer's signature does not verify with the given public key \
                 (wrong key, or the signer signed something else than the SHA-256 digest)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SignError {}

impl From<ParseError> for SignError {
    fn from(e: ParseError) -> Self {
        SignError::Parse(e)
    }
}

impl From<BuildError> for SignError {
    fn from(e: BuildError) -> Self {
        SignError::Build(e)
    }
}

fn grown_size(needed: usize, policy: GrowPolicy) -> Option<u32> {
    let needed = u32::try_from(needed).ok()?;
    let aligned = needed.checked_add(3)? & !3;
    match policy {
        GrowPolicy::Exact | GrowPolicy::MultipleOf(0 | 1) => Some(aligned),
        GrowPolicy::PowerOfTwo => aligned.max(512).checked_next_power_of_two(),
        GrowPolicy::MultipleOf(multiple) => aligned.div_ceil(multiple).checked_mul(multiple),
    }
}

/// Adds credentials to `image`, using reserved footer space or growing the
/// image. Existing credentials are kept (except Reserved ones, and those of
/// the requested formats when `replace_same_format`); kept digests are
/// recomputed if the image grew. Footers of other types than credentials
/// carry no meaning and are not kept. The integrity region is copied
/// unchanged unless the image grows (then only `total_size` and the
/// checksum change).
pub fn add_credentials(
    image: &[u8],
    requests: &[CredentialRequest<'_>],
    options: &SignOptions,
) -> Result<SignedImage, SignError> {
    let tbf = crate::parse(image)?;
    if tbf.program().is_none() {
        return Err(SignError::NoProgramHeader);
    }
    let region = tbf.integrity_region().unwrap_or_default();
    let signers: Vec<VerifyingKey> = requests.iter().filter_map(|r| r.public_key()).collect();
    let replaced = |format: CredentialsFormat, data: &[u8]| {
        if !options.replace_same_format || !requests.iter().any(|r| r.format() == format) {
            return false;
        }
        if options.keep_other_signers && format == CredentialsFormat::EcdsaNistP256 {
            return signers
                .iter()
                .any(|key| crate::crypto::ecdsa_p256_verify(region, data, key));
        }
        true
    };
    let mut kept: Vec<FooterCredential> = Vec::new();
    for footer in tbf.footers() {
        if let Footer::Credentials(c) = footer? {
            if c.format != CredentialsFormat::Reserved && !replaced(c.format, c.data) {
                kept.push(FooterCredential::new(c.format, c.data.to_vec()));
            }
        }
    }
    let binary_end = usize::try_from(tbf.binary_end_offset()).map_err(|_| SignError::TooLarge)?;
    let old_total_size = tbf.total_size();
    let footer_space = |total: u32| {
        usize::try_from(total)
            .unwrap_or(usize::MAX)
            .saturating_sub(binary_end)
    };

    let needed = kept
        .iter()
        .map(FooterCredential::encoded_len)
        .chain(requests.iter().map(|r| r.placeholder().encoded_len()))
        .try_fold(0usize, |sum, len| sum.checked_add(len))
        .ok_or(SignError::TooLarge)?;
    let mut new_total_size = old_total_size;
    if needed > footer_space(old_total_size) {
        let minimum = binary_end.checked_add(needed).ok_or(SignError::TooLarge)?;
        new_total_size = grown_size(minimum, options.grow).ok_or(SignError::TooLarge)?;
    }

    let mut out: Vec<u8> = image.get(..binary_end).unwrap_or_default().to_vec();
    let mut stale_signatures: usize = 0;
    if new_total_size != old_total_size {
        crate::edit::edit_base_header(&mut out, None, Some(new_total_size))?;
        for credential in kept.iter_mut() {
            *credential = match credential.format {
                CredentialsFormat::Sha256 => FooterCredential::sha256(&out),
                CredentialsFormat::Sha384 => FooterCredential::sha384(&out),
                CredentialsFormat::Sha512 => FooterCredential::sha512(&out),
                _ => {
                    stale_signatures = stale_signatures.saturating_add(1);
                    continue;
                }
            };
        }
    }
    let mut footers = kept;
    for request in requests {
        footers.push(request.compute(&out)?);
    }
    for footer in &footers {
        footer.write_to(&mut out)?;
    }
    let total = usize::try_from(new_total_size).map_err(|_| SignError::TooLarge)?;
    let leftover = total.saturating_sub(out.len());
    if leftover >= crate::footer::CREDENTIALS_FOOTER_OVERHEAD {
        FooterCredential::reserved(leftover)?.write_to(&mut out)?;
    }
    out.resize(total, 0);
    Ok(SignedImage {
        image: out,
        old_total_size,
        new_total_size,
        stale_signatures,
    })
}
