//! Digests and ECDSA P-256 over the integrity region (no allocation).
//!
//! The integrity region of an image is `[0, binary_end_offset)`: the header
//! and the binary, never the footers. A SHA credential holds the digest of
//! that region; an ECDSA P-256 credential holds `r || s` (32 bytes each,
//! big-endian) of a signature over SHA-256 of that region, as elf2tab
//! writes it (ring's `ECDSA_P256_SHA256_FIXED_SIGNING`).

use p256::ecdsa::signature::{Signer, Verifier};
pub use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Length of an ECDSA P-256 credential: `r || s`.
pub const ECDSA_P256_SIGNATURE_LENGTH: usize = 64;
/// Length of the raw public key a board embeds: `x || y`, 32 bytes each.
pub const ECDSA_P256_RAW_PUBLIC_KEY_LENGTH: usize = 64;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// SHA-384 of `data`.
pub fn sha384(data: &[u8]) -> [u8; 48] {
    Sha384::digest(data).into()
}

/// SHA-512 of `data`.
pub fn sha512(data: &[u8]) -> [u8; 64] {
    Sha512::digest(data).into()
}

/// Signs `region` (the integrity region) with ECDSA P-256 over SHA-256.
///
/// The nonce is derived deterministically (RFC 6979), so the same key and
/// region always give the same bytes. Returns `None` only if the
/// underlying library reports a failure, which a valid key never causes.
pub fn ecdsa_p256_sign(region: &[u8], key: &SigningKey) -> Option<[u8; 64]> {
    let signature: Signature = key.try_sign(region).ok()?;
    Some(signature.to_bytes().into())
}

/// Whether `signature` (`r || s`) is a valid ECDSA P-256 signature over
/// SHA-256 of `region` by `key`. Wrong-length signatures are invalid.
pub fn ecdsa_p256_verify(region: &[u8], signature: &[u8], key: &VerifyingKey) -> bool {
    match Signature::from_slice(signature) {
        Ok(signature) => key.verify(region, &signature).is_ok(),
        Err(_) => false,
    }
}

/// A verifying key from the raw form a board embeds (`x || y`, 64 bytes),
/// or from SEC1 (33-byte compressed or 65-byte uncompressed).
pub fn verifying_key_from_raw(bytes: &[u8]) -> Option<VerifyingKey> {
    if bytes.len() == ECDSA_P256_RAW_PUBLIC_KEY_LENGTH {
        let mut sec1 = [0u8; 65];
        sec1[0] = 0x04;
        for (slot, byte) in sec1.iter_mut().skip(1).zip(bytes) {
            *slot = *byte;
        }
        VerifyingKey::from_sec1_bytes(&sec1).ok()
    } else {
        VerifyingKey::from_sec1_bytes(bytes).ok()
    }
}

/// The raw form of a public key (`x || y`, 64 bytes).
pub fn verifying_key_to_raw(key: &VerifyingKey) -> [u8; 64] {
    let point = key.to_encoded_point(false);
    let mut raw = [0u8; 64];
    for (slot, byte) in raw.iter_mut().zip(point.as_bytes().iter().skip(1)) {
        *slot = *byte;
    }
    raw
}

/// A private key from PKCS#8, DER or PEM (`-----BEGIN PRIVATE KEY-----`),
/// the form elf2tab's `--ecdsa-nist-p256-private` reads (DER).
#[cfg(feature = "std")]
pub fn signing_key_from_pkcs8(bytes: &[u8]) -> Option<SigningKey> {
    use p256::pkcs8::DecodePrivateKey;
    if let Ok(key) = SigningKey::from_pkcs8_der(bytes) {
        return Some(key);
    }
    let text = core::str::from_utf8(bytes).ok()?;
    SigningKey::from_pkcs8_pem(text.trim()).ok()
}

/// The PKCS#8 DER encoding of a private key (with its public key, as ring
/// and so elf2tab expect).
#[cfg(feature = "std")]
pub fn signing_key_to_pkcs8_der(key: &SigningKey) -> Option<std::vec::Vec<u8>> {
    use p256::pkcs8::EncodePrivateKey;
    Some(key.to_pkcs8_der().ok()?.as_bytes().to_vec())
}

/// The PKCS#8 PEM encoding of a private key.
#[cfg(feature = "std")]
pub fn signing_key_to_pkcs8_pem(key: &SigningKey) -> Option<std::string::String> {
    use p256::pkcs8::{EncodePrivateKey, LineEnding};
    Some(key.to_pkcs8_pem(LineEnding::LF).ok()?.as_str().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_key() -> SigningKey {
        SigningKey::from_slice(&[7u8; 32]).expect("a valid scalar")
    }

    #[test]
    fn sha256_of_abc_is_the_standard_vector() {
        let digest = sha256(b"abc");
        assert_eq!(
            digest[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "FIPS 180-2 test vector"
        );
    }

    #[test]
    fn ecdsa_sign_then_verify_round_trips_and_detects_changes() {
        let key = test_key();
        let signature = ecdsa_p256_sign(b"region", &key).expect("signing works");
        let public = VerifyingKey::from(&key);
        assert!(ecdsa_p256_verify(b"region", &signature, &public));
        assert!(!ecdsa_p256_verify(b"regioN", &signature, &public));
        assert!(!ecdsa_p256_verify(b"region", &signature[..63], &public));
    }

    #[cfg(feature = "std")]
    #[test]
    fn pkcs8_der_and_pem_round_trip() {
        let key = test_key();
        let der = signing_key_to_pkcs8_der(&key).expect("encodes");
        let pem = signing_key_to_pkcs8_pem(&key).expect("encodes");
        assert_eq!(signing_key_from_pkcs8(&der), Some(key.clone()));
        assert_eq!(signing_key_from_pkcs8(pem.as_bytes()), Some(key));
        assert_eq!(signing_key_from_pkcs8(b"not a key"), None);
    }

    #[test]
    fn raw_public_key_round_trips() {
        let public = VerifyingKey::from(&test_key());
        let raw = verifying_key_to_raw(&public);
        assert_eq!(verifying_key_from_raw(&raw), Some(public));
        assert_eq!(verifying_key_from_raw(&[0u8; 64]), None);
    }
}
