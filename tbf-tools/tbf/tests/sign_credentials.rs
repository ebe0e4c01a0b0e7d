//! Adding credentials to existing images: reserved space is used first,
//! otherwise the image grows with a re-checksummed header, and everything
//! left in the footer verifies.

mod common;

use tbf::sign::{add_credentials, CredentialRequest, GrowPolicy, SignError, SignOptions};
use tbf::{CredentialCheck, CredentialsFormat, Footer, FooterCredential, HeaderBuilder, HeaderTlv};

/// Every credential's format and verdict (ECDSA checked with `key`).
fn verdicts(
    image: &[u8],
    key: &tbf::crypto::SigningKey,
) -> Vec<(CredentialsFormat, CredentialCheck)> {
    let tbf = tbf::parse(image).expect("parses");
    let region = tbf.integrity_region().expect("image");
    let public = tbf::crypto::VerifyingKey::from(key);
    tbf.footers()
        .map(|f| match f.expect("valid footer") {
            Footer::Credentials(c) => (c.format, c.check(region, Some(&public))),
            Footer::Other { tlv_type, .. } => panic!("unexpected footer type {tlv_type}"),
        })
        .collect()
}

#[test]
fn signing_uses_reserved_space_without_growing() {
    let unsigned = common::image(common::minimal_header(), &common::binary(100), &[], 200);
    let key = common::test_key();
    let signed = add_credentials(
        &unsigned,
        &[CredentialRequest::EcdsaP256(&key)],
        &SignOptions::default(),
    )
    .expect("signs");
    assert!(!signed.grew());
    assert_eq!(signed.image.len(), unsigned.len());
    assert_eq!(
        signed.image[..signed.image.len() - 200],
        unsigned[..unsigned.len() - 200],
        "the integrity region is untouched"
    );
    use CredentialCheck::*;
    assert_eq!(
        verdicts(&signed.image, &key),
        [
            (CredentialsFormat::EcdsaNistP256, Verified),
            (CredentialsFormat::Reserved, Reserved)
        ]
    );
}

#[test]
fn signing_without_room_grows_the_image_and_fixes_the_header() {
    let unsigned = common::image(common::minimal_header(), &common::binary(100), &[], 0);
    let key = common::test_key();
    let signed = add_credentials(
        &unsigned,
        &[
            CredentialRequest::Sha256,
            CredentialRequest::EcdsaP256(&key),
        ],
        &SignOptions::default(),
    )
    .expect("signs");
    assert!(signed.grew());
    assert_eq!(signed.new_total_size as usize, unsigned.len() + 40 + 72);
    assert_eq!(signed.image.len(), signed.new_total_size as usize);
    let tbf = tbf::parse(&signed.image).expect("header checksum was recomputed");
    assert_eq!(tbf.total_size(), signed.new_total_size);
    use CredentialCheck::*;
    assert_eq!(
        verdicts(&signed.image, &key),
        [
            (CredentialsFormat::Sha256, Verified),
            (CredentialsFormat::EcdsaNistP256, Verified)
        ]
    );
}

#[test]
fn signing_again_replaces_the_credential_of_the_same_format() {
    let key_a = common::test_key();
    let key_b = tbf::crypto::SigningKey::from_slice(&[0x17; 32]).expect("valid");
    let once = common::signed_image();
    let twice = add_credentials(
        &once,
        &[CredentialRequest::EcdsaP256(&key_b)],
        &SignOptions::default(),
    )
    .expect("signs");
    assert!(!twice.grew(), "the old signature's space is reused");
    let results = verdicts(&twice.image, &key_b);
    let ecdsa: Vec<_> = results
        .iter()
        .filter(|(f, _)| *f == CredentialsFormat::EcdsaNistP256)
        .collect();
    assert_eq!(
        ecdsa,
        [&(CredentialsFormat::EcdsaNistP256, CredentialCheck::Verified)]
    );
    assert!(verdicts(&twice.image, &key_a)
        .iter()
        .all(|(f, v)| *f != CredentialsFormat::EcdsaNistP256 || *v == CredentialCheck::Failed));
}

#[test]
fn growing_recomputes_kept_digests_and_counts_stale_signatures() {
    let key = common::test_key();
    let base = common::image(common::minimal_header(), &common::binary(64), &[], 0);
    let with_sha = add_credentials(&base, &[CredentialRequest::Sha256], &SignOptions::default())
        .expect("signs");
    let with_ecdsa = add_credentials(
        &with_sha.image,
        &[CredentialRequest::EcdsaP256(&key)],
        &SignOptions::default(),
    )
    .expect("signs");
    assert!(with_ecdsa.grew());
    assert_eq!(with_ecdsa.stale_signatures, 0);
    assert!(verdicts(&with_ecdsa.image, &key)
        .iter()
        .all(|(_, v)| *v == CredentialCheck::Verified));

    let with_sha512 = add_credentials(
        &with_ecdsa.image,
        &[CredentialRequest::Sha512],
        &SignOptions::default(),
    )
    .expect("signs");
    assert_eq!(
        with_sha512.stale_signatures, 1,
        "the ECDSA signature covers the old header"
    );
}

#[test]
fn grow_policies_round_the_new_size() {
    let unsigned = common::image(common::minimal_header(), &common::binary(100), &[], 0);
    let options = SignOptions {
        grow: GrowPolicy::PowerOfTwo,
        ..SignOptions::default()
    };
    let signed = add_credentials(&unsigned, &[CredentialRequest::Sha256], &options).expect("signs");
    assert_eq!(signed.new_total_size, 512);
    assert_eq!(
        verdicts(&signed.image, &common::test_key())
            .last()
            .map(|v| v.0),
        Some(CredentialsFormat::Reserved),
        "the rounding space becomes a Reserved footer"
    );
    let options = SignOptions {
        grow: GrowPolicy::MultipleOf(256),
        ..SignOptions::default()
    };
    let signed = add_credentials(&unsigned, &[CredentialRequest::Sha256], &options).expect("signs");
    assert_eq!(signed.new_total_size % 256, 0);
}

#[test]
fn precomputed_credentials_are_placed_as_given() {
    let unsigned = common::image(common::minimal_header(), &common::binary(10), &[], 64);
    let blob = FooterCredential::new(CredentialsFormat::Unknown(0x77), vec![0xAB; 8]);
    let signed = add_credentials(
        &unsigned,
        &[CredentialRequest::Precomputed(blob.clone())],
        &SignOptions::default(),
    )
    .expect("signs");
    let tbf = tbf::parse(&signed.image).expect("parses");
    let first = tbf.footers().next().expect("one footer").expect("valid");
    assert!(matches!(first, Footer::Credentials(c) if c.data == blob.data.as_slice()));
}

#[test]
fn an_image_without_a_program_header_cannot_hold_credentials() {
    let header = HeaderBuilder::new()
        .tlv(HeaderTlv::Main(tbf::MainTlv::default()))
        .build();
    let image = common::image(header, &[0; 16], &[], 0);
    assert_eq!(
        add_credentials(
            &image,
            &[CredentialRequest::Sha256],
            &SignOptions::default()
        ),
        Err(SignError::NoProgramHeader)
    );
    assert!(matches!(
        add_credentials(
            &image[..8],
            &[CredentialRequest::Sha256],
            &SignOptions::default()
        ),
        Err(SignError::Parse(_))
    ));
}
