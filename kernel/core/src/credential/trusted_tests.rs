//! Checking against a trust state: its active keys, revocations (named),
//! verified-digest records (skip the verification) and minimum versions.

extern crate alloc;
extern crate std;

use alloc::vec::Vec;

use tbf::crypto::{sha256, verifying_key_to_raw, SigningKey, VerifyingKey};
use tbf::sign::{add_credentials, CredentialRequest, SignOptions};
use tbf::trust::{fingerprint, Change, ChangeKind, RawKey, Scope, TrustState};
use tbf::{HeaderBuilder, HeaderTlv, ProgramTlv};

use super::*;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).expect("a valid scalar")
}

fn raw(key: &SigningKey) -> RawKey {
    verifying_key_to_raw(&VerifyingKey::from(key))
}

/// An image named `app` at `version`, signed by `signers`.
fn image(version: u32, signers: &[&SigningKey]) -> Vec<u8> {
    let mut header = HeaderBuilder::new()
        .enabled(true)
        .tlv(HeaderTlv::Program(ProgramTlv {
            app_version: version,
            ..ProgramTlv::default()
        }))
        .tlv(HeaderTlv::PackageName("app".into()))
        .build();
    let size = u32::from(header.header_size().expect("sizes"));
    header.program_mut().expect("Program").binary_end_offset = size + 64;
    header.total_size = size + 64;
    let mut image = header.to_bytes().expect("builds");
    image.extend((0..64u8).map(|byte| byte.wrapping_mul(7)));
    let requests: Vec<_> = signers
        .iter()
        .map(|key| CredentialRequest::EcdsaP256(key))
        .collect();
    add_credentials(&image, &requests, &SignOptions::default())
        .expect("signs")
        .image
}

fn policy(signers_required: usize) -> CredentialPolicy {
    // The built-in keys are ignored when a trust state is given.
    CredentialPolicy::EcdsaP256 {
        keys: &[],
        signers_required,
    }
}

fn state() -> TrustState {
    TrustState::bootstrap(Some(raw(&key(1))), &[raw(&key(2)), raw(&key(3))])
}

fn revoke(state: &mut TrustState, seed: u8, sequence: u32) {
    let change = Change {
        kind: ChangeKind::RevokeKey(raw(&key(seed))),
        sequence,
        scope: Scope::Any,
    };
    state.apply(&change, b"").expect("revokes");
}

fn digest_of(image: &[u8]) -> [u8; 32] {
    let tbf = tbf::parse(image).expect("parses");
    sha256(tbf.integrity_region().expect("region"))
}

#[test]
fn the_stores_active_keys_sign_and_the_digest_is_returned_for_a_record() {
    let signed = image(2, &[&key(3)]);
    let trusted = check_trusted(&signed, &policy(1), &state()).expect("approved");
    assert_eq!(trusted.approval, Approval::SignedBy(1));
    assert_eq!(trusted.verified, Some((digest_of(&signed), 1, 1)));
    assert_eq!((trusted.name, trusted.version), (Some("app"), 2));
    let unknown = image(2, &[&key(9)]);
    assert!(matches!(
        check_trusted(&unknown, &policy(1), &state()),
        Err(Refusal::SignatureInvalid {
            verified: 0,
            keys: 2,
            ..
        })
    ));
}

#[test]
fn a_record_of_the_current_epoch_skips_the_verification() {
    let signed = image(1, &[&key(2)]);
    let mut state = state();
    // A record says key 1 verified it: the check believes the record
    // (it does not verify, or it would find key 0).
    state.record_verified(&digest_of(&signed), 1, 1);
    let trusted = check_trusted(&signed, &policy(1), &state).expect("approved");
    assert_eq!(trusted.approval, Approval::SignedBy(1));
    assert_eq!(trusted.verified, None);
    // Too few signers on record for a stricter policy: verified again.
    assert!(check_trusted(&signed, &policy(2), &state).is_err());
    // Any key change makes every record stale.
    revoke(&mut state, 3, 1);
    let trusted = check_trusted(&signed, &policy(1), &state).expect("approved");
    assert_eq!(trusted.approval, Approval::SignedBy(0));
    assert!(trusted.verified.is_some());
}

#[test]
fn an_app_signed_only_by_a_revoked_key_is_refused_naming_it() {
    let signed = image(1, &[&key(2)]);
    let mut state = state();
    revoke(&mut state, 2, 1);
    assert_eq!(
        check_trusted(&signed, &policy(1), &state),
        Err(Refusal::RevokedSigner(fingerprint(&raw(&key(2)))))
    );
    let message = std::format!("{}", Refusal::RevokedSigner(fingerprint(&raw(&key(2)))));
    assert!(
        message.starts_with("signed only by revoked key "),
        "{message}"
    );
    // Also signed by an active key: it runs, under that key.
    let both = image(1, &[&key(2), &key(3)]);
    let trusted = check_trusted(&both, &policy(1), &state).expect("approved");
    assert_eq!(trusted.approval, Approval::SignedBy(1));
}

#[test]
fn a_version_below_the_minimum_is_refused() {
    let mut state = state();
    assert_eq!(state.raise_minimum(b"app", 3), Ok(true));
    let old = image(2, &[&key(2)]);
    let refusal = check_trusted(&old, &policy(1), &state).expect_err("refused");
    assert_eq!(
        std::format!("{}", refusal),
        "version 2 below the minimum 3 for app"
    );
    assert!(check_trusted(&image(3, &[&key(2)]), &policy(1), &state).is_ok());
}
