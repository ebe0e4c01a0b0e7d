//! Raw-message examples in the shape of the U2F specification's: each
//! response is parsed and its signature verified with an independent
//! verifier (p256's ECDSA verification).

extern crate std;

use super::*;
use crate::attestation;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::VerifyingKey;
use std::vec::Vec;

struct FakePlatform {
    next_random: u8,
    present: bool,
    counter: u32,
    storage_fails: bool,
}

impl FakePlatform {
    fn new() -> Self {
        FakePlatform {
            next_random: 1,
            present: false,
            counter: 0,
            storage_fails: false,
        }
    }
}

impl Platform for FakePlatform {
    fn fill_random(&mut self, buffer: &mut [u8]) -> Result<(), PlatformError> {
        for byte in buffer {
            *byte = self.next_random;
            self.next_random = self.next_random.wrapping_mul(73).wrapping_add(41);
        }
        Ok(())
    }
    fn take_user_presence(&mut self) -> bool {
        core::mem::take(&mut self.present)
    }
    fn next_counter(&mut self) -> Result<u32, PlatformError> {
        if self.storage_fails {
            return Err(PlatformError);
        }
        self.counter += 1;
        Ok(self.counter)
    }
}

const CHALLENGE: [u8; 32] = [0xc7; 32];
const APPLICATION: [u8; 32] = [0xa9; 32];

fn authenticator() -> Authenticator {
    Authenticator::new(&[0x5e; 32], attestation::development().unwrap())
}

/// An extended-length APDU, as python-fido2 sends them.
fn apdu(instruction: u8, parameter1: u8, data: &[u8]) -> Vec<u8> {
    let mut message = std::vec![0, instruction, parameter1, 0, 0];
    message.extend_from_slice(&(data.len() as u16).to_be_bytes());
    message.extend_from_slice(data);
    message.extend_from_slice(&[0, 0]);
    message
}

fn run(
    authenticator: &Authenticator,
    platform: &mut FakePlatform,
    message: &[u8],
) -> (Vec<u8>, u16) {
    let mut response = [0u8; MAX_RESPONSE];
    let length = authenticator.handle(platform, message, &mut response);
    let word = u16::from_be_bytes([response[length - 2], response[length - 1]]);
    (response[..length - 2].to_vec(), word)
}

/// Registers; returns the public key and the key handle.
fn register(authenticator: &Authenticator, platform: &mut FakePlatform) -> (Vec<u8>, Vec<u8>) {
    let mut data = CHALLENGE.to_vec();
    data.extend_from_slice(&APPLICATION);
    platform.present = true;
    let (response, word) = run(
        authenticator,
        platform,
        &apdu(instruction::REGISTER, 0, &data),
    );
    assert_eq!(word, status::NO_ERROR);
    assert_eq!(response[0], 0x05, "the reserved byte");
    let public = response[1..66].to_vec();
    assert_eq!(usize::from(response[66]), KEY_HANDLE);
    let handle = response[67..67 + KEY_HANDLE].to_vec();
    let rest = &response[67 + KEY_HANDLE..];
    assert_eq!(
        &rest[..attestation::CERTIFICATE.len()],
        attestation::CERTIFICATE
    );
    let signature = Signature::from_der(&rest[attestation::CERTIFICATE.len()..]).unwrap();
    let mut signed = std::vec![0x00];
    for part in [&APPLICATION[..], &CHALLENGE, &handle, &public] {
        signed.extend_from_slice(part);
    }
    let attestation_key = *attestation::development().unwrap().key.verifying_key();
    attestation_key.verify(&signed, &signature).unwrap();
    (public, handle)
}

fn authenticate_request(control: u8, application: &[u8; 32], handle: &[u8]) -> Vec<u8> {
    let mut data = CHALLENGE.to_vec();
    data.extend_from_slice(application);
    data.push(handle.len() as u8);
    data.extend_from_slice(handle);
    apdu(instruction::AUTHENTICATE, control, &data)
}

#[test]
fn version_is_u2f_v2() {
    let mut platform = FakePlatform::new();
    let (data, word) = run(
        &authenticator(),
        &mut platform,
        &apdu(instruction::VERSION, 0, &[]),
    );
    assert_eq!((data.as_slice(), word), (&b"U2F_V2"[..], status::NO_ERROR));
    let (_, short) = run(&authenticator(), &mut platform, &[0, 3, 0, 0]);
    assert_eq!(short, status::NO_ERROR);
}

#[test]
fn registration_needs_presence_and_is_attested() {
    let authenticator = authenticator();
    let mut platform = FakePlatform::new();
    let mut data = CHALLENGE.to_vec();
    data.extend_from_slice(&APPLICATION);
    let (empty, word) = run(
        &authenticator,
        &mut platform,
        &apdu(instruction::REGISTER, 0, &data),
    );
    assert_eq!((empty.len(), word), (0, status::CONDITIONS_NOT_SATISFIED));
    let (first, first_handle) = register(&authenticator, &mut platform);
    let (second, second_handle) = register(&authenticator, &mut platform);
    assert_ne!(first, second, "every registration has its own key pair");
    assert_ne!(first_handle, second_handle);
    let (_, short) = run(
        &authenticator,
        &mut platform,
        &apdu(instruction::REGISTER, 0, &data[..63]),
    );
    assert_eq!(short, status::WRONG_LENGTH);
}

#[test]
fn authentication_signs_with_the_registered_key_and_counts_up() {
    let authenticator = authenticator();
    let mut platform = FakePlatform::new();
    let (public, handle) = register(&authenticator, &mut platform);
    let verifying = VerifyingKey::from_sec1_bytes(&public).unwrap();
    let request = authenticate_request(control::ENFORCE_PRESENCE, &APPLICATION, &handle);
    assert_eq!(
        run(&authenticator, &mut platform, &request).1,
        status::CONDITIONS_NOT_SATISFIED
    );
    for expected_counter in 1..=2u32 {
        platform.present = true;
        let (response, word) = run(&authenticator, &mut platform, &request);
        assert_eq!(word, status::NO_ERROR);
        assert_eq!(response[0], 0x01, "user presence");
        assert_eq!(response[1..5], expected_counter.to_be_bytes());
        let mut signed = APPLICATION.to_vec();
        signed.extend_from_slice(&response[..5]);
        signed.extend_from_slice(&CHALLENGE);
        let signature = Signature::from_der(&response[5..]).unwrap();
        verifying.verify(&signed, &signature).unwrap();
    }
    let dont_enforce = authenticate_request(control::DONT_ENFORCE_PRESENCE, &APPLICATION, &handle);
    let (response, word) = run(&authenticator, &mut platform, &dont_enforce);
    assert_eq!((response[0], word), (0x00, status::NO_ERROR));
}

#[test]
fn check_only_tells_ours_from_foreign_handles() {
    let authenticator = authenticator();
    let mut platform = FakePlatform::new();
    let (_, handle) = register(&authenticator, &mut platform);
    let ours = authenticate_request(control::CHECK_ONLY, &APPLICATION, &handle);
    assert_eq!(
        run(&authenticator, &mut platform, &ours).1,
        status::CONDITIONS_NOT_SATISFIED
    );
    let other_application = authenticate_request(control::CHECK_ONLY, &[0x11; 32], &handle);
    assert_eq!(
        run(&authenticator, &mut platform, &other_application).1,
        status::WRONG_DATA
    );
    let mut changed = handle.clone();
    changed[20] ^= 1;
    let forged = authenticate_request(control::ENFORCE_PRESENCE, &APPLICATION, &changed);
    platform.present = true;
    assert_eq!(
        run(&authenticator, &mut platform, &forged).1,
        status::WRONG_DATA
    );
    assert_eq!(platform.counter, 0, "no counter for a refused handle");
}

#[test]
fn bad_requests_get_their_status_words() {
    let authenticator = authenticator();
    let mut platform = FakePlatform::new();
    let mut bad_class = apdu(instruction::VERSION, 0, &[]);
    bad_class[0] = 0x80;
    assert_eq!(
        run(&authenticator, &mut platform, &bad_class).1,
        status::CLA_NOT_SUPPORTED
    );
    assert_eq!(
        run(&authenticator, &mut platform, &apdu(0x40, 0, &[])).1,
        status::INS_NOT_SUPPORTED
    );
    assert_eq!(
        run(&authenticator, &mut platform, &[0, 3]).1,
        status::WRONG_LENGTH
    );
    let (_, handle) = register(&authenticator, &mut platform);
    let mut truncated = authenticate_request(control::ENFORCE_PRESENCE, &APPLICATION, &handle);
    truncated.truncate(truncated.len() - 10);
    assert_eq!(
        run(&authenticator, &mut platform, &truncated).1,
        status::WRONG_LENGTH
    );
    let bad_control = authenticate_request(0x55, &APPLICATION, &handle);
    assert_eq!(
        run(&authenticator, &mut platform, &bad_control).1,
        status::WRONG_DATA
    );
    platform.storage_fails = true;
    platform.present = true;
    let request = authenticate_request(control::ENFORCE_PRESENCE, &APPLICATION, &handle);
    let (data, word) = run(&authenticator, &mut platform, &request);
    assert_eq!((data.len(), word), (0, status::INTERNAL_ERROR));
}
