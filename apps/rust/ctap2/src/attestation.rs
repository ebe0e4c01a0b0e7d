//! The batch attestation identity built into the app: a P-256 key and its
//! X.509 certificate (`attestation/`, made by `cargo xtask
//! ctap2-attestation`, which documents the fields FIDO requires of a
//! packed batch certificate). Every device of a build shares it, so it
//! identifies the model (the AAGUID), never a device. It is public, as the
//! batch keys of open-source keys are: a product makes its own before
//! building.

use p256::ecdsa::SigningKey;

/// The authenticator model's AAGUID, also in the certificate's
/// id-fido-gen-ce-aaguid extension.
pub const AAGUID: [u8; 16] = [
    0x12, 0x82, 0x5b, 0x99, 0x3f, 0x95, 0x4d, 0xec, 0x80, 0xee, 0x88, 0x1b, 0x9e, 0x64, 0x51, 0x31,
];
/// The certificate (DER; under 512 bytes, so U2F registrations carry it).
pub const CERTIFICATE: &[u8] = include_bytes!("../attestation/certificate.der");
/// The private key (the raw 32-byte scalar).
const PRIVATE_KEY: &[u8; 32] = include_bytes!("../attestation/private_key.bin");

/// The attestation key and certificate.
pub struct Attestation {
    /// Signs attestation statements.
    pub key: SigningKey,
    /// The certificate of `key`'s public key.
    pub certificate: &'static [u8],
}

impl Attestation {
    /// The identity built into the app, or `None` if the built-in key is
    /// not a valid P-256 scalar (a broken build; the host test below
    /// checks it).
    pub fn built_in() -> Option<Attestation> {
        Some(Attestation {
            key: SigningKey::from_slice(PRIVATE_KEY).ok()?,
            certificate: CERTIFICATE,
        })
    }

    /// The same identity for U2F registrations.
    pub fn for_u2f(&self) -> u2f::u2f::Attestation {
        u2f::u2f::Attestation {
            key: self.key.clone(),
            certificate: self.certificate,
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{DerSignature, VerifyingKey};
    use std::string::ToString;
    use x509_cert::der::{Decode, Encode};
    use x509_cert::Certificate;

    /// id-fido-gen-ce-aaguid.
    const AAGUID_EXTENSION: &str = "1.3.6.1.4.1.45724.1.1.4";
    /// Basic constraints.
    const BASIC_CONSTRAINTS: &str = "2.5.29.19";

    fn subject_value(certificate: &Certificate, oid: &str) -> Option<std::string::String> {
        for set in certificate.tbs_certificate.subject.0.iter() {
            for attribute in set.0.iter() {
                if attribute.oid.to_string() == oid {
                    let value = attribute.value.value();
                    return Some(std::string::String::from_utf8_lossy(value).into_owned());
                }
            }
        }
        None
    }

    #[test]
    fn the_certificate_has_the_fields_fido_requires_and_matches_the_key() {
        let attestation = Attestation::built_in().expect("a valid built-in key");
        let certificate = Certificate::from_der(CERTIFICATE).expect("a DER certificate");
        let tbs = &certificate.tbs_certificate;
        assert_eq!(tbs.version, x509_cert::Version::V3);
        assert_eq!(
            subject_value(&certificate, "2.5.4.11").as_deref(),
            Some("Authenticator Attestation")
        );
        for required in ["2.5.4.6", "2.5.4.10", "2.5.4.3"] {
            assert!(
                subject_value(&certificate, required).is_some_and(|v| !v.is_empty()),
                "{required}"
            );
        }
        let extensions = tbs.extensions.as_ref().expect("extensions");
        let find = |oid: &str| extensions.iter().find(|e| e.extn_id.to_string() == oid);
        // BasicConstraints with cA absent (false): an empty SEQUENCE.
        assert_eq!(
            find(BASIC_CONSTRAINTS)
                .expect("basic constraints")
                .extn_value
                .as_bytes(),
            [0x30, 0x00]
        );
        let aaguid = find(AAGUID_EXTENSION).expect("the AAGUID extension");
        assert!(!aaguid.critical);
        let mut expected = std::vec![0x04, 0x10];
        expected.extend_from_slice(&AAGUID);
        assert_eq!(aaguid.extn_value.as_bytes(), expected.as_slice());
        let public = tbs.subject_public_key_info.subject_public_key.raw_bytes();
        let key = attestation.key.verifying_key().to_encoded_point(false);
        assert_eq!(public, key.as_bytes());
        // Self-signed by the same key; small enough for U2F registrations.
        let signed = tbs.to_der().unwrap();
        let signature = DerSignature::try_from(certificate.signature.raw_bytes()).unwrap();
        let verifying = VerifyingKey::from_sec1_bytes(public).unwrap();
        verifying
            .verify(&signed, &signature)
            .expect("the certificate's signature");
        assert!(CERTIFICATE.len() <= 512);
    }
}
