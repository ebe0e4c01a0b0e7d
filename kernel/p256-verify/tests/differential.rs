//! Differential test against RustCrypto's `p256`: keys, messages and
//! signatures made with its signer, then mutated (one byte of the
//! signature, the digest or the key flipped, s negated, r and s set to
//! edge values); both verifiers must give the same verdict every time.
//!
//! `PROPTEST_CASES` sets the cases per property (CI's host run uses the
//! default below, 128 per property: about six seconds in a debug build).

use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256_verify::{verify_prehashed, PublicKey};
use proptest::prelude::*;

/// n, the group order (big-endian).
const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

struct Case {
    raw_key: [u8; 64],
    digest: [u8; 32],
    signature: [u8; 64],
}

/// A key from `secret` (if it is a valid scalar) and its signature of
/// `digest`.
fn signed_case(secret: [u8; 32], digest: [u8; 32]) -> Option<Case> {
    let signing_key = SigningKey::from_slice(&secret).ok()?;
    let signature: Signature = signing_key.sign_prehash(&digest).ok()?;
    let point = signing_key.verifying_key().to_encoded_point(false);
    let raw_key: [u8; 64] = point.as_bytes()[1..].try_into().ok()?;
    Some(Case {
        raw_key,
        digest,
        signature: signature.to_bytes().into(),
    })
}

/// RustCrypto's verdict (keys and signatures it cannot decode are
/// invalid, as they are for ours).
fn reference_verdict(raw_key: &[u8; 64], digest: &[u8; 32], signature: &[u8; 64]) -> bool {
    let mut sec1 = [0x04u8; 65];
    sec1[1..].copy_from_slice(raw_key);
    let Ok(key) = VerifyingKey::from_sec1_bytes(&sec1) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    key.verify_prehash(digest, &signature).is_ok()
}

fn our_verdict(raw_key: &[u8; 64], digest: &[u8; 32], signature: &[u8; 64]) -> bool {
    PublicKey::from_raw(raw_key).is_some_and(|key| verify_prehashed(&key, digest, signature))
}

/// `n - value` for a big-endian value below n.
fn order_minus(value: &[u8]) -> [u8; 32] {
    let mut result = [0u8; 32];
    let mut borrow = 0i16;
    for index in (0..32).rev() {
        let difference = i16::from(ORDER[index]) - i16::from(value[index]) - borrow;
        borrow = i16::from(difference < 0);
        result[index] = difference.rem_euclid(256) as u8;
    }
    result
}

/// The edge values r or s may be set to.
fn edge_value(which: u8) -> [u8; 32] {
    let mut value = [0u8; 32];
    match which % 5 {
        0 => {}
        1 => value[31] = 1,
        2 => {
            value = order_minus(&{
                let mut one = [0u8; 32];
                one[31] = 1;
                one
            })
        }
        3 => value = ORDER,
        _ => value = [0xff; 32],
    }
    value
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn genuine_signatures_verify_with_both(secret in any::<[u8; 32]>(), digest in any::<[u8; 32]>()) {
        let Some(case) = signed_case(secret, digest) else { return Ok(()) };
        prop_assert!(reference_verdict(&case.raw_key, &case.digest, &case.signature));
        prop_assert!(our_verdict(&case.raw_key, &case.digest, &case.signature));
    }

    #[test]
    fn one_flipped_byte_gets_the_same_verdict_from_both(
        secret in any::<[u8; 32]>(),
        digest in any::<[u8; 32]>(),
        target in 0u8..3,
        position in 0usize..64,
        flip in 1u8..=255,
    ) {
        let Some(mut case) = signed_case(secret, digest) else { return Ok(()) };
        match target {
            0 => case.signature[position] ^= flip,
            1 => case.digest[position % 32] ^= flip,
            _ => case.raw_key[position] ^= flip,
        }
        let reference = reference_verdict(&case.raw_key, &case.digest, &case.signature);
        prop_assert_eq!(our_verdict(&case.raw_key, &case.digest, &case.signature), reference);
    }

    #[test]
    fn negated_s_and_edge_values_get_the_same_verdict_from_both(
        secret in any::<[u8; 32]>(),
        digest in any::<[u8; 32]>(),
        change in 0u8..3,
        edge in any::<u8>(),
    ) {
        let Some(mut case) = signed_case(secret, digest) else { return Ok(()) };
        match change {
            0 => {
                let negated = order_minus(&case.signature[32..]);
                case.signature[32..].copy_from_slice(&negated);
            }
            1 => case.signature[..32].copy_from_slice(&edge_value(edge)),
            _ => case.signature[32..].copy_from_slice(&edge_value(edge)),
        }
        let reference = reference_verdict(&case.raw_key, &case.digest, &case.signature);
        prop_assert_eq!(our_verdict(&case.raw_key, &case.digest, &case.signature), reference);
        if change == 0 {
            // High s is valid ECDSA: both accept it.
            prop_assert!(reference);
        }
    }

    #[test]
    fn random_keys_are_accepted_by_both_or_neither(raw_key in any::<[u8; 64]>()) {
        let mut sec1 = [0x04u8; 65];
        sec1[1..].copy_from_slice(&raw_key);
        let reference = VerifyingKey::from_sec1_bytes(&sec1).is_ok();
        prop_assert_eq!(PublicKey::from_raw(&raw_key).is_some(), reference);
    }
}
