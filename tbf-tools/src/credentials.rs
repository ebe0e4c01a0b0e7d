//! Credentials footers: which ones to add, loading their keys, computing
//! them over the integrity region, and laying out the footer area.
//!
//! The footer area is `[binary_end_offset, total_size)`. It holds the
//! credentials in the order elf2tab writes them (SHA-256, SHA-384, SHA-512,
//! RSA-4096, ECDSA P-256), then any spare room as one "reserved" credential
//! so a later `tbf sign` can use it without moving anything.

use std::path::Path;

use p256::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use sha2::Sha512;
use tbf::{BuildError, CredentialsFormat, FooterCredential, CREDENTIALS_FOOTER_OVERHEAD};
use thiserror::Error;

/// Why a key cannot be used.
#[derive(Debug, Error)]
pub enum KeyError {
    #[error("cannot read key {path}: {reason}")]
    Read {
        path: String,
        reason: std::io::Error,
    },
    #[error("{path} is not {expected}; {hint}")]
    Format {
        path: String,
        expected: &'static str,
        hint: &'static str,
    },
    #[error("{path} is a {bits}-bit RSA key; --rsa4096-private needs a 4096-bit key")]
    RsaSize { path: String, bits: usize },
}

/// One credential to compute.
#[derive(Clone)]
pub enum CredentialRequest {
    Sha256,
    Sha384,
    Sha512,
    Rsa4096(Box<rsa::RsaPrivateKey>),
    EcdsaP256(p256::ecdsa::SigningKey),
}

impl CredentialRequest {
    /// The credential's format.
    pub fn format(&self) -> CredentialsFormat {
        match self {
            CredentialRequest::Sha256 => CredentialsFormat::Sha256,
            CredentialRequest::Sha384 => CredentialsFormat::Sha384,
            CredentialRequest::Sha512 => CredentialsFormat::Sha512,
            CredentialRequest::Rsa4096(_) => CredentialsFormat::Rsa4096Key,
            CredentialRequest::EcdsaP256(_) => CredentialsFormat::EcdsaNistP256,
        }
    }

    /// Bytes the whole credential TLV takes in the footer.
    pub fn footer_len(&self) -> usize {
        CREDENTIALS_FOOTER_OVERHEAD + self.format().data_length().unwrap_or(0)
    }

    /// The credential over `integrity` (the TBF's `[0, binary_end_offset)`).
    /// Signatures are deterministic: RSA PKCS#1 v1.5 by nature, ECDSA by RFC 6979.
    pub fn compute(&self, integrity: &[u8]) -> Result<FooterCredential, SigningError> {
        Ok(match self {
            CredentialRequest::Sha256 => FooterCredential::sha256(integrity),
            CredentialRequest::Sha384 => FooterCredential::sha384(integrity),
            CredentialRequest::Sha512 => FooterCredential::sha512(integrity),
            CredentialRequest::Rsa4096(key) => FooterCredential::new(
                CredentialsFormat::Rsa4096Key,
                rsa4096_credential(key, integrity)?,
            ),
            CredentialRequest::EcdsaP256(key) => {
                FooterCredential::ecdsa_p256(integrity, key).ok_or(SigningError::Ecdsa)?
            }
        })
    }
}

/// A signing library failed (a valid key never makes it).
#[derive(Debug, Error)]
pub enum SigningError {
    #[error("the RSA signing library failed: {0}")]
    Rsa(String),
    #[error("the ECDSA signing library failed")]
    Ecdsa,
    #[error(transparent)]
    Footer(#[from] BuildError),
}

/// The RSA-4096 credential data: the 512-byte modulus, then the 512-byte
/// PKCS#1 v1.5 signature over SHA-512 (the layout elf2tab writes).
pub fn rsa4096_credential(
    key: &rsa::RsaPrivateKey,
    integrity: &[u8],
) -> Result<Vec<u8>, SigningError> {
    use rsa::signature::{SignatureEncoding, Signer};
    let signer = rsa::pkcs1v15::SigningKey::<Sha512>::new(key.clone());
    let signature = signer
        .try_sign(integrity)
        .map_err(|e| SigningError::Rsa(e.to_string()))?;
    let mut data = key.n().to_bytes_be();
    data.extend_from_slice(&signature.to_vec());
    Ok(data)
}

/// Appends reserved credentials filling exactly `length` bytes (0 or >= 8).
/// A single TLV holds at most 65535 bytes after its header, so long runs
/// are split (where elf2tab would write a truncated, wrong length).
pub fn append_reserved(mut length: usize, out: &mut Vec<u8>) -> Result<(), BuildError> {
    const LARGEST: usize = 4 + 0xFFFC;
    while length > 0 {
        let mut chunk = length.min(LARGEST);
        if length - chunk != 0 && length - chunk < CREDENTIALS_FOOTER_OVERHEAD {
            chunk -= CREDENTIALS_FOOTER_OVERHEAD;
        }
        FooterCredential::reserved(chunk)?.write_to(out)?;
        length -= chunk;
    }
    Ok(())
}

fn read_key(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|reason| KeyError::Read {
        path: path.display().to_string(),
        reason,
    })
}

fn as_pem(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes)
        .ok()
        .filter(|text| text.contains("-----BEGIN"))
}

/// The PEM block labelled `label` (from its BEGIN line to its END line) in
/// `pem`, which may hold other blocks.
fn pem_block<'text>(pem: &'text str, label: &str) -> Option<&'text str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)?;
    let stop = pem[start..].find(&end)? + start + end.len();
    Some(&pem[start..stop])
}

/// Loads an ECDSA P-256 private key: PKCS#8 in DER (what elf2tab takes) or
/// PEM, or SEC1 (`EC PRIVATE KEY`, what `openssl ecparam -genkey` writes).
pub fn load_ecdsa_private(path: &Path) -> Result<p256::ecdsa::SigningKey, KeyError> {
    let bytes = read_key(path)?;
    let key = match as_pem(&bytes) {
        Some(pem) => match pem_block(pem, "EC PRIVATE KEY") {
            // SEC1, what `openssl ecparam -genkey` writes (after an
            // `EC PARAMETERS` block, which the key repeats).
            Some(block) => p256::SecretKey::from_sec1_pem(block).ok().map(Into::into),
            None => p256::ecdsa::SigningKey::from_pkcs8_pem(pem).ok(),
        },
        None => p256::ecdsa::SigningKey::from_pkcs8_der(&bytes)
            .ok()
            .or_else(|| p256::SecretKey::from_sec1_der(&bytes).ok().map(Into::into)),
    };
    key.ok_or_else(|| KeyError::Format {
        path: path.display().to_string(),
        expected: "an ECDSA P-256 private key in PKCS#8 or SEC1 (DER or PEM)",
        hint: "make one with `tbf keygen`",
    })
}

/// Loads an ECDSA P-256 public key: raw 64-byte `x || y`, 65-byte SEC1
/// uncompressed, SubjectPublicKeyInfo DER or PEM.
pub fn load_ecdsa_public(path: &Path) -> Result<p256::ecdsa::VerifyingKey, KeyError> {
    let bytes = read_key(path)?;
    let key = match (as_pem(&bytes), bytes.len()) {
        (Some(pem), _) => p256::ecdsa::VerifyingKey::from_public_key_pem(pem).ok(),
        (None, 64) => {
            let mut sec1 = vec![4u8];
            sec1.extend_from_slice(&bytes);
            p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).ok()
        }
        (None, 65) => p256::ecdsa::VerifyingKey::from_sec1_bytes(&bytes).ok(),
        (None, _) => p256::ecdsa::VerifyingKey::from_public_key_der(&bytes).ok(),
    };
    key.ok_or_else(|| KeyError::Format {
        path: path.display().to_string(),
        expected: "an ECDSA P-256 public key (raw 64 bytes, SEC1, or SPKI DER/PEM)",
        hint: "use the .pub or .pub.pem file written by `tbf keygen`",
    })
}

/// Loads an RSA-4096 private key: PKCS#8 in DER (what elf2tab takes) or PEM.
pub fn load_rsa4096_private(path: &Path) -> Result<rsa::RsaPrivateKey, KeyError> {
    let bytes = read_key(path)?;
    let key = match as_pem(&bytes) {
        Some(pem) => rsa::RsaPrivateKey::from_pkcs8_pem(pem).ok(),
        None => rsa::RsaPrivateKey::from_pkcs8_der(&bytes).ok(),
    };
    let key = key.ok_or_else(|| KeyError::Format {
        path: path.display().to_string(),
        expected: "an RSA private key in PKCS#8 (DER or PEM)",
        hint: "e.g. `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -outform DER`",
    })?;
    let bits = key.size() * 8;
    if bits != 4096 {
        return Err(KeyError::RsaSize {
            path: path.display().to_string(),
            bits,
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reserved_space_is_split_into_valid_footers() {
        for length in [0, 8, 12, 65_536, 65_540, 65_544, 200_000] {
            let mut out = Vec::new();
            append_reserved(length, &mut out).unwrap();
            assert_eq!(out.len(), length);
            let mut offset = 0;
            while offset < out.len() {
                let tlv_length = u16::from_le_bytes([out[offset + 2], out[offset + 3]]) as usize;
                assert_eq!(&out[offset..offset + 2], &128u16.to_le_bytes());
                assert!(
                    tlv_length >= 4,
                    "{length}: a reserved footer needs its format word"
                );
                offset += 4 + tlv_length.next_multiple_of(4);
            }
            assert_eq!(
                offset, length,
                "{length}: footers must tile the space exactly"
            );
        }
    }
}
