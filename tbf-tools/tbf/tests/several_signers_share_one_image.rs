//! Several ECDSA P-256 signatures on one image: signing with another key
//! keeps the signatures already there (when asked), signing again with the
//! same key replaces its own signature, and a signature made outside the
//! process (HSM, command) is checked before it is written.

mod common;

use tbf::crypto::{SigningKey, VerifyingKey};
use tbf::sign::{add_credentials, CredentialRequest, ExternalSigner, SignError, SignOptions};
use tbf::{CredentialCheck, CredentialsFormat, Footer};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).expect("a valid scalar")
}

fn keeping_others() -> SignOptions {
    SignOptions {
        keep_other_signers: true,
        ..SignOptions::default()
    }
}

/// For each ECDSA footer in order: the seeds of the keys it verifies with.
fn signers(image: &[u8], seeds: &[u8]) -> Vec<Vec<u8>> {
    let tbf = tbf::parse(image).expect("parses");
    let region = tbf.integrity_region().expect("image");
    tbf.footers()
        .filter_map(|footer| match footer.expect("valid footer") {
            Footer::Credentials(c) if c.format == CredentialsFormat::EcdsaNistP256 => Some(c),
            _ => None,
        })
        .map(|credential| {
            seeds
                .iter()
                .copied()
                .filter(|seed| {
                    let public = VerifyingKey::from(&key(*seed));
                    credential.check(region, Some(&public)) == CredentialCheck::Verified
                })
                .collect()
        })
        .collect()
}

fn sign(image: &[u8], signer: &SigningKey, options: &SignOptions) -> Vec<u8> {
    let signed =
        add_credentials(image, &[CredentialRequest::EcdsaP256(signer)], options).expect("signs");
    assert!(
        !signed.grew(),
        "the test image reserves room for three signatures"
    );
    signed.image
}

fn unsigned() -> Vec<u8> {
    common::image(common::minimal_header(), &common::binary(100), &[], 3 * 72)
}

#[test]
fn a_second_key_adds_its_signature_beside_the_first() {
    let once = sign(&unsigned(), &key(1), &keeping_others());
    let twice = sign(&once, &key(2), &keeping_others());
    assert_eq!(signers(&twice, &[1, 2]), [vec![1], vec![2]]);
}

#[test]
fn signing_again_with_the_same_key_replaces_its_signature() {
    let once = sign(&unsigned(), &key(1), &keeping_others());
    let twice = sign(&once, &key(2), &keeping_others());
    let again = sign(&twice, &key(1), &keeping_others());
    assert_eq!(signers(&again, &[1, 2]), [vec![2], vec![1]]);
}

#[test]
fn without_keep_other_signers_a_new_signature_replaces_all() {
    let once = sign(&unsigned(), &key(1), &keeping_others());
    let replaced = sign(&once, &key(2), &SignOptions::default());
    assert_eq!(signers(&replaced, &[1, 2]), [vec![2]]);
}

#[test]
fn an_external_signature_that_verifies_is_written() {
    let hsm_key = key(5);
    let sign_digest = |digest: &[u8; 32]| -> Result<[u8; 64], String> {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let signature: p256::ecdsa::Signature =
            hsm_key.sign_prehash(digest).map_err(|e| e.to_string())?;
        Ok(signature.to_bytes().into())
    };
    let request = CredentialRequest::ExternalEcdsaP256 {
        public: VerifyingKey::from(&hsm_key),
        sign: ExternalSigner(&sign_digest),
    };
    let signed = add_credentials(&unsigned(), &[request], &keeping_others()).expect("signs");
    assert_eq!(signers(&signed.image, &[5]), [vec![5]]);
}

#[test]
fn an_external_signature_by_another_key_is_refused() {
    let wrong_key = key(6);
    let sign_digest = |digest: &[u8; 32]| -> Result<[u8; 64], String> {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let signature: p256::ecdsa::Signature =
            wrong_key.sign_prehash(digest).map_err(|e| e.to_string())?;
        Ok(signature.to_bytes().into())
    };
    let request = CredentialRequest::ExternalEcdsaP256 {
        public: VerifyingKey::from(&key(5)),
        sign: ExternalSigner(&sign_digest),
    };
    assert_eq!(
        add_credentials(&unsigned(), &[request], &keeping_others()),
        Err(SignError::ExternalSignatureInvalid)
    );
}

#[test]
fn an_external_signer_failure_is_reported_with_its_reason() {
    let failing = |_: &[u8; 32]| -> Result<[u8; 64], String> { Err("token removed".into()) };
    let request = CredentialRequest::ExternalEcdsaP256 {
        public: VerifyingKey::from(&key(5)),
        sign: ExternalSigner(&failing),
    };
    assert_eq!(
        add_credentials(&unsigned(), &[request], &keeping_others()),
        Err(SignError::External("token removed".into()))
    );
}
