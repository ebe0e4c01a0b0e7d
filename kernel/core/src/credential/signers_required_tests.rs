//! The "at least N distinct trusted keys signed" policy: signatures are
//! counted per board key, so a key that signed twice counts once, and a bad
//! signature among good ones neither helps nor hurts.

use tbf::FooterCredential;

use super::*;

fn needing(signers_required: usize, list: &[&SigningKey]) -> CredentialPolicy {
    CredentialPolicy::EcdsaP256 {
        keys: keys(list),
        signers_required,
    }
}

fn signed_by(signers: &[&SigningKey]) -> Vec<u8> {
    let requests: Vec<CredentialRequest<'_>> = signers
        .iter()
        .map(|key| CredentialRequest::EcdsaP256(key))
        .collect();
    with(&unsigned(), &requests)
}

/// A signature-sized credential that verifies with no key.
fn bad_signature() -> CredentialRequest<'static> {
    CredentialRequest::Precomputed(FooterCredential::new(
        CredentialsFormat::EcdsaNistP256,
        alloc::vec![0x55; 64],
    ))
}

#[test]
fn two_required_and_no_signature_is_refused_as_unsigned() {
    let (first, second) = (key(1), key(2));
    assert_eq!(
        check_credentials(&unsigned(), &needing(2, &[&first, &second])),
        Err(Refusal::Missing(CredentialsFormat::EcdsaNistP256))
    );
}

#[test]
fn two_required_and_one_good_signature_is_refused_saying_how_many() {
    let (first, second) = (key(1), key(2));
    let image = signed_by(&[&second]);
    let refusal = check_credentials(&image, &needing(2, &[&first, &second]));
    assert_eq!(
        refusal,
        Err(Refusal::SignatureInvalid {
            signatures: 1,
            keys: 2,
            verified: 1,
            required: 2
        })
    );
    let text = std::format!("{}", refusal.unwrap_err());
    assert!(text.contains("needs 2 distinct keys"), "{text}");
}

#[test]
fn two_required_and_two_good_signatures_run_with_the_first_signer_as_identity() {
    let (first, second) = (key(1), key(2));
    let image = signed_by(&[&second, &first]);
    assert_eq!(
        check_credentials(&image, &needing(2, &[&first, &second])),
        Ok(Approval::SignedBy(1))
    );
}

#[test]
fn the_same_key_signing_twice_counts_once() {
    let (first, second) = (key(1), key(2));
    let image = signed_by(&[&first, &first]);
    assert_eq!(
        check_credentials(&image, &needing(2, &[&first, &second])),
        Err(Refusal::SignatureInvalid {
            signatures: 2,
            keys: 2,
            verified: 1,
            required: 2
        })
    );
}

#[test]
fn a_key_listed_twice_on_the_board_is_not_two_signers() {
    let first = key(1);
    let image = signed_by(&[&first]);
    assert_eq!(
        check_credentials(&image, &needing(2, &[&first, &first])),
        Err(Refusal::SignatureInvalid {
            signatures: 1,
            keys: 2,
            verified: 1,
            required: 2
        })
    );
}

#[test]
fn a_bad_signature_among_good_ones_neither_helps_nor_hurts() {
    let (first, second, third) = (key(1), key(2), key(3));
    let board = [&first, &second, &third];
    let requests = [
        CredentialRequest::EcdsaP256(&first),
        bad_signature(),
        CredentialRequest::EcdsaP256(&third),
    ];
    let image = with(&unsigned(), &requests);
    assert_eq!(
        check_credentials(&image, &needing(2, &board)),
        Ok(Approval::SignedBy(0))
    );
    assert_eq!(
        check_credentials(&image, &needing(3, &board)),
        Err(Refusal::SignatureInvalid {
            signatures: 3,
            keys: 3,
            verified: 2,
            required: 3
        })
    );
}

#[test]
fn only_bad_signatures_are_refused_as_before() {
    let first = key(1);
    let image = with(&unsigned(), &[bad_signature(), bad_signature()]);
    assert_eq!(
        check_credentials(&image, &needing(2, &[&first])),
        Err(Refusal::SignatureInvalid {
            signatures: 2,
            keys: 1,
            verified: 0,
            required: 2
        })
    );
}

#[test]
fn zero_required_means_one() {
    let (first, second) = (key(1), key(2));
    assert_eq!(
        check_credentials(&signed_by(&[&second]), &needing(0, &[&first, &second])),
        Ok(Approval::SignedBy(1))
    );
    assert_eq!(
        check_credentials(&unsigned(), &needing(0, &[&first])),
        Err(Refusal::Missing(CredentialsFormat::EcdsaNistP256))
    );
}

#[test]
fn a_board_with_too_many_keys_is_reported_not_a_panic() {
    let first = key(1);
    let many: Vec<&SigningKey> = (0..=MAX_BOARD_KEYS).map(|_| &first).collect();
    assert_eq!(
        check_credentials(&signed_by(&[&first]), &needing(1, &many)),
        Err(Refusal::BadBoardKey(MAX_BOARD_KEYS))
    );
}
