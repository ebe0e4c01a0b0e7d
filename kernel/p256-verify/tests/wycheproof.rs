//! Every Wycheproof ECDSA P-256 vector must get its expected verdict.
//!
//! The P1363 sets (r || s, the encoding TBF credentials use) go to
//! `verify_prehashed` as they are. The DER sets are decoded by
//! RustCrypto's strict DER parser first: a vector whose encoding it
//! refuses must be one Wycheproof calls invalid, and every other vector
//! goes to our verifier as r || s.

use p256::ecdsa::Signature;
use p256_verify::{verify_prehashed, PublicKey};
use sha2::{Digest, Sha256, Sha512};
use wycheproof::ecdsa::{TestName, TestSet};
use wycheproof::{HashFunction, TestResult};

/// The leftmost 256 bits of the message's hash (FIPS 186-5's truncation
/// for hashes longer than n).
fn digest(hash: HashFunction, message: &[u8]) -> [u8; 32] {
    let mut digest = [0u8; 32];
    match hash {
        HashFunction::Sha2_256 => digest.copy_from_slice(&Sha256::digest(message)),
        HashFunction::Sha2_512 => digest.copy_from_slice(&Sha512::digest(message)[..32]),
        other => panic!("no test set here uses {other:?}"),
    }
    digest
}

/// Runs one set; `decode` turns a vector's signature bytes into r || s, or
/// `None` if the encoding itself is invalid. Returns the vectors run.
fn run(name: TestName, decode: fn(&[u8]) -> Option<Vec<u8>>) -> usize {
    let set = TestSet::load(name).expect("the wycheproof crate ships this set");
    let mut run = 0;
    let mut wrong = Vec::new();
    for group in &set.test_groups {
        let key = PublicKey::from_sec1_or_raw(&group.key.key);
        for test in &group.tests {
            let digest = digest(group.hash, &test.msg);
            let verdict = match (&key, decode(&test.sig)) {
                (Some(key), Some(signature)) => verify_prehashed(key, &digest, &signature),
                _ => false,
            };
            let expected = match test.result {
                TestResult::Valid => true,
                TestResult::Invalid => false,
                TestResult::Acceptable => {
                    panic!("{name:?} #{}: no acceptable vectors expected", test.tc_id)
                }
            };
            if verdict != expected {
                wrong.push(format!(
                    "#{} {} ({:?})",
                    test.tc_id, test.comment, test.flags
                ));
            }
            run += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{name:?}: wrong verdicts:\n{}",
        wrong.join("\n")
    );
    assert_eq!(run, set.number_of_tests, "{name:?}: every vector ran");
    run
}

fn as_is(signature: &[u8]) -> Option<Vec<u8>> {
    Some(signature.to_vec())
}

fn from_der(signature: &[u8]) -> Option<Vec<u8>> {
    Signature::from_der(signature)
        .ok()
        .map(|signature| signature.to_bytes().to_vec())
}

#[test]
fn wycheproof_p256_sha256_p1363_vectors_all_get_their_verdict() {
    let run = run(TestName::EcdsaSecp256r1Sha256P1363, as_is);
    assert!(run > 200, "only {run} vectors");
}

#[test]
fn wycheproof_p256_sha512_p1363_vectors_all_get_their_verdict() {
    let run = run(TestName::EcdsaSecp256r1Sha512P1363, as_is);
    assert!(run > 200, "only {run} vectors");
}

#[test]
fn wycheproof_p256_sha256_der_vectors_all_get_their_verdict() {
    let run = run(TestName::EcdsaSecp256r1Sha256, from_der);
    assert!(run > 400, "only {run} vectors");
}

#[test]
fn wycheproof_p256_sha512_der_vectors_all_get_their_verdict() {
    let run = run(TestName::EcdsaSecp256r1Sha512, from_der);
    assert!(run > 500, "only {run} vectors");
}
