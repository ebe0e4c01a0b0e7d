//! The development attestation identity built into the app: a P-256 key
//! and a self-signed X.509 certificate for it (`attestation/` holds both,
//! made with `openssl ecparam -name prime256v1 -genkey` and `openssl req
//! -x509`). It is public, like the batch keys of open-source keys: it says
//! "a Tock U2F development build", nothing more. A product replaces both
//! files with its own batch key and certificate before building.

use crate::u2f::Attestation;
use p256::ecdsa::SigningKey;

/// The certificate (DER).
pub const CERTIFICATE: &[u8] = include_bytes!("../attestation/certificate.der");
/// The private key (the raw 32-byte scalar).
const PRIVATE_KEY: &[u8; 32] = include_bytes!("../attestation/private_key.bin");

/// The attestation identity, or `None` if the built-in key is not a valid
/// P-256 scalar (a broken build).
pub fn development() -> Option<Attestation> {
    let key = SigningKey::from_slice(PRIVATE_KEY).ok()?;
    Some(Attestation {
        key,
        certificate: CERTIFICATE,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_holds_the_attestation_public_key() {
        let attestation = development().unwrap();
        let public = attestation.key.verifying_key().to_encoded_point(false);
        assert!(CERTIFICATE
            .windows(65)
            .any(|window| window == public.as_bytes()));
        // A DER SEQUENCE with a two-byte length covering the whole file.
        assert_eq!(CERTIFICATE[..2], [0x30, 0x82]);
        let length = usize::from(u16::from_be_bytes([CERTIFICATE[2], CERTIFICATE[3]]));
        assert_eq!(length + 4, CERTIFICATE.len());
    }
}
