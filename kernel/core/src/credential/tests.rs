//! Host tests of credential checking (the pure part; the QEMU tests in
//! `cargo xtask test signing` check the same on the device).

extern crate alloc;
extern crate std;

use alloc::boxed::Box;
use alloc::vec::Vec;

use tbf::crypto::{verifying_key_to_raw, SigningKey, VerifyingKey};
use tbf::sign::{add_credentials, CredentialRequest, SignOptions};
use tbf::{HeaderBuilder, HeaderTlv, ProgramTlv};

use super::*;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).expect("a valid scalar")
}

fn raw(key: &SigningKey) -> RawPublicKey {
    verifying_key_to_raw(&VerifyingKey::from(key))
}

fn keys(list: &[&SigningKey]) -> &'static [RawPublicKey] {
    Box::leak(
        list.iter()
            .map(|k| raw(k))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

/// An unsigned image: header, a 64-byte binary, no footers.
fn unsigned() -> Vec<u8> {
    let mut header = HeaderBuilder::new()
        .enabled(true)
        .tlv(HeaderTlv::Program(ProgramTlv::default()))
        .tlv(HeaderTlv::PackageName("app".into()))
        .build();
    let size = u32::from(header.header_size().expect("sizes"));
    header.program_mut().expect("Program").binary_end_offset = size + 64;
    header.total_size = size + 64;
    let mut image = header.to_bytes().expect("builds");
    image.extend((0..64u8).map(|byte| byte.wrapping_mul(7)));
    image
}

fn with(image: &[u8], requests: &[CredentialRequest<'_>]) -> Vec<u8> {
    add_credentials(image, requests, &SignOptions::default())
        .expect("signs")
        .image
}

fn ecdsa(keys: &'static [RawPublicKey]) -> CredentialPolicy {
    CredentialPolicy::EcdsaP256 {
        keys,
        signers_required: 1,
    }
}

#[path = "signers_required_tests.rs"]
mod signers_required;

#[test]
fn a_signed_image_is_approved_by_the_key_that_signed_it() {
    let (first, second) = (key(1), key(2));
    let image = with(&unsigned(), &[CredentialRequest::EcdsaP256(&second)]);
    let policy = ecdsa(keys(&[&first, &second]));
    assert_eq!(
        check_credentials(&image, &policy),
        Ok(Approval::SignedBy(1))
    );
}

#[test]
fn an_image_signed_by_an_unknown_key_is_refused() {
    let image = with(&unsigned(), &[CredentialRequest::EcdsaP256(&key(3))]);
    assert_eq!(
        check_credentials(&image, &ecdsa(keys(&[&key(1)]))),
        Err(Refusal::SignatureInvalid {
            signatures: 1,
            keys: 1,
            verified: 0,
            required: 1,
        })
    );
}

#[test]
fn changing_any_signed_byte_or_the_signature_is_refused() {
    let signer = key(4);
    let policy = ecdsa(keys(&[&signer]));
    let image = with(&unsigned(), &[CredentialRequest::EcdsaP256(&signer)]);
    let tbf = tbf::parse(&image).expect("parses");
    let binary_end = tbf.binary_end_offset() as usize;
    // Header (the package name), binary, and the signature's last byte.
    let header_byte = usize::from(tbf.header_size()) - 4;
    let signature_byte = image.len() - 1;
    for offset in [header_byte, binary_end - 1, binary_end - 40, signature_byte] {
        let mut altered = image.clone();
        altered[offset] ^= 0x01;
        let result = check_credentials(&altered, &policy);
        assert!(
            matches!(
                result,
                Err(Refusal::SignatureInvalid { .. }) | Err(Refusal::Malformed(_))
            ),
            "byte {offset} changed: {result:?}"
        );
    }
}

#[test]
fn an_unsigned_image_is_refused_when_a_signature_is_needed() {
    assert_eq!(
        check_credentials(&unsigned(), &ecdsa(keys(&[&key(1)]))),
        Err(Refusal::Missing(CredentialsFormat::EcdsaNistP256))
    );
    let hashed = with(&unsigned(), &[CredentialRequest::Sha256]);
    assert_eq!(
        check_credentials(&hashed, &ecdsa(keys(&[&key(1)]))),
        Err(Refusal::Missing(CredentialsFormat::EcdsaNistP256))
    );
}

#[test]
fn the_sha256_policy_accepts_intact_hashed_images_only() {
    let hashed = with(&unsigned(), &[CredentialRequest::Sha256]);
    let policy = CredentialPolicy::Sha256Integrity;
    assert_eq!(check_credentials(&hashed, &policy), Ok(Approval::Integrity));
    let mut altered = hashed.clone();
    let binary_end = tbf::parse(&hashed).expect("parses").binary_end_offset() as usize;
    altered[binary_end - 1] ^= 0x80;
    assert_eq!(
        check_credentials(&altered, &policy),
        Err(Refusal::DigestMismatch)
    );
    assert_eq!(
        check_credentials(&unsigned(), &policy),
        Err(Refusal::Missing(CredentialsFormat::Sha256))
    );
}

#[test]
fn accept_all_needs_nothing() {
    assert_eq!(
        check_credentials(&unsigned(), &CredentialPolicy::AcceptAll),
        Ok(Approval::Unverified)
    );
}

#[test]
fn a_bad_board_key_is_reported_not_a_panic() {
    let image = with(&unsigned(), &[CredentialRequest::EcdsaP256(&key(1))]);
    let bad: &'static [RawPublicKey] = Box::leak(Box::new([[0u8; 64]]));
    assert_eq!(
        check_credentials(&image, &ecdsa(bad)),
        Err(Refusal::BadBoardKey(0))
    );
}

#[test]
fn garbage_never_panics() {
    let policy = ecdsa(keys(&[&key(1)]));
    for length in 0..80 {
        let bytes: Vec<u8> = (0..length).map(|i| (i * 37) as u8).collect();
        assert!(check_credentials(&bytes, &policy).is_err());
        assert!(check_credentials(&bytes, &CredentialPolicy::Sha256Integrity).is_err());
    }
}

#[test]
fn every_refusal_says_what_to_do() {
    let refusals = [
        Refusal::Missing(CredentialsFormat::EcdsaNistP256),
        Refusal::Missing(CredentialsFormat::Sha256),
        Refusal::DigestMismatch,
        Refusal::SignatureInvalid {
            signatures: 1,
            keys: 2,
            verified: 0,
            required: 1,
        },
        Refusal::SignatureInvalid {
            signatures: 2,
            keys: 2,
            verified: 1,
            required: 2,
        },
        Refusal::BadBoardKey(MAX_BOARD_KEYS),
    ];
    for refusal in refusals {
        let text = std::format!("{refusal}");
        assert!(text.contains('('), "{text} gives no hint");
    }
}
