//! Tests of the PIN/UV auth protocols: known answers computed by the
//! platform library python-fido2 (2.2.1), and round trips with the
//! independent platform side of `test_platform`.

extern crate std;

use super::test_platform::{authenticate_with, Platform, TestRng};
use super::*;

fn hex<const N: usize>(text: &str) -> [u8; N] {
    let mut bytes = [0; N];
    assert_eq!(text.len(), 2 * N, "hex length");
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * index..2 * index + 2], 16).expect("hex digit");
    }
    bytes
}

// Keys and outputs from python-fido2's PinProtocolV1/V2 (kdf, encrypt,
// authenticate) with the authenticator scalar SHA-256("authenticator key
// agreement") and the platform scalar SHA-256("platform key agreement").
// The plaintext is the PIN "1234" padded with zeros to 64 bytes; protocol
// two's IV is a0 a1 .. af. `python_fido2_vectors.py` (beside) prints them.
const AUTHENTICATOR_SECRET: &str =
    "0039e44f863785040307213fd7c00b8387af906f784d0da5dca65312027d35db";
const AUTHENTICATOR_X: &str = "ca801a78db65110cda741e3af1966bb520636293950290d51f1fe304f7d9adcd";
const AUTHENTICATOR_Y: &str = "035b9fcc658e3f75e7bd316fcafdf90fb8c40d9f85004997c12871964e9cd43e";
const PLATFORM_X: &str = "0080f0a1042606579e0512c42ac471bdca97c9d366e5fed7588186e8f7637424";
const PLATFORM_Y: &str = "cda1052bbe6c21b33809c4e7be93ab20109f8d7039ab104d883d45b94a0e35a2";
const ONE_SECRET: &str = "e7fb9b4cff411ec927f6a4e5cd15cd45330faf270741b483801a096e3de9bde5";
const ONE_ENCRYPTED: &str = "02123138ab6e06690a3c1dcfdc6d74e289859121b0a4d50e2181c0a0e1ee8a20ed517167b70b8c5e370c2dad56a3d39791aa12b3ec982a4b21a82b9813b680d4";
const ONE_TAG: &str = "86da78ad506a01e73c473365f3f23810";
const TWO_SECRET: &str = "dac8e297d6dba7a1cbed8fdb0ed2b9ed47061ff8957e03c830bf2dc2a0cb7955dbc69549f30d293ed2b800638ecb06a8255fa49da2781cb4fdd1d0d42827c685";
const TWO_ENCRYPTED: &str = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf08f869f9e4539ff285da14e453d9e34904335de0e09407dbcf0d984950f035e6b72c2dbfad9190bec9510c3efbdf227897edd19b30b3d60cd48df32da7984d95";
const TWO_TAG: &str = "579ec77fe4e8135a667b43f507b20bc3e8389631bafec6dd562dc47ec30880be";

fn padded_pin() -> [u8; 64] {
    let mut pin = [0; 64];
    pin[..4].copy_from_slice(b"1234");
    pin
}

fn known_key() -> KeyAgreementKey {
    KeyAgreementKey::from_secret_bytes(&hex(AUTHENTICATOR_SECRET)).expect("valid scalar")
}

#[test]
fn key_agreement_public_key_matches_python_fido2() {
    let key = known_key();
    assert_eq!(key.public_x(), &hex::<32>(AUTHENTICATOR_X));
    assert_eq!(key.public_y(), &hex::<32>(AUTHENTICATOR_Y));
    let cose = key.cose_public_key();
    assert_eq!(&cose.x[..], &hex::<32>(AUTHENTICATOR_X));
    assert_eq!(&cose.y[..], &hex::<32>(AUTHENTICATOR_Y));
}

#[test]
fn protocol_one_matches_python_fido2() {
    let secret = known_key()
        .shared_secret(
            PinProtocol::One,
            &hex::<32>(PLATFORM_X),
            &hex::<32>(PLATFORM_Y),
        )
        .expect("valid platform key");
    assert_eq!(secret.hmac_key, hex::<32>(ONE_SECRET));
    assert_eq!(secret.aes_key, hex::<32>(ONE_SECRET));
    let encrypted = hex::<64>(ONE_ENCRYPTED);
    let mut output = [0; 64];
    assert_eq!(
        secret.decrypt(&encrypted, &mut output),
        Ok(&padded_pin()[..])
    );
    // Protocol one's zero IV makes encryption deterministic.
    let mut rng = TestRng::new(1);
    let mut reencrypted = [0; 64];
    assert_eq!(
        secret.encrypt(&padded_pin(), &mut rng, &mut reencrypted),
        Ok(&encrypted[..])
    );
    assert_eq!(
        secret.authenticate(&encrypted).as_slice(),
        &hex::<16>(ONE_TAG)
    );
    assert!(secret.verify(&encrypted, &hex::<16>(ONE_TAG)));
}

#[test]
fn protocol_two_matches_python_fido2() {
    let secret = known_key()
        .shared_secret(
            PinProtocol::Two,
            &hex::<32>(PLATFORM_X),
            &hex::<32>(PLATFORM_Y),
        )
        .expect("valid platform key");
    let expected: [u8; 64] = hex(TWO_SECRET);
    assert_eq!(secret.hmac_key, expected[..32]);
    assert_eq!(secret.aes_key, expected[32..]);
    let encrypted = hex::<80>(TWO_ENCRYPTED);
    let mut output = [0; 80];
    assert_eq!(
        secret.decrypt(&encrypted, &mut output),
        Ok(&padded_pin()[..])
    );
    assert_eq!(
        secret.authenticate(&encrypted).as_slice(),
        &hex::<32>(TWO_TAG)
    );
    assert!(secret.verify(&encrypted, &hex::<32>(TWO_TAG)));
}

#[test]
fn both_protocols_round_trip_with_an_independent_platform() {
    let mut rng = TestRng::new(2);
    let key = KeyAgreementKey::generate(&mut rng);
    for protocol in PinProtocol::SUPPORTED {
        let platform = Platform::agree(protocol.number(), key.public_x(), key.public_y(), &mut rng);
        let secret = key
            .shared_secret(protocol, &platform.public_x, &platform.public_y)
            .expect("valid platform key");
        let message = [0x5A; 48];
        // Platform to authenticator.
        let encrypted = platform.encrypt(&message, &mut rng);
        assert_eq!(encrypted.len(), 48 + protocol.encryption_overhead());
        let mut output = [0; 64];
        assert_eq!(secret.decrypt(&encrypted, &mut output), Ok(&message[..]));
        assert!(secret.verify(&encrypted, &platform.authenticate(&encrypted)));
        // Authenticator to platform.
        let mut buffer = [0; 64];
        let encrypted = secret
            .encrypt(&message, &mut rng, &mut buffer)
            .expect("fits");
        assert_eq!(platform.decrypt(encrypted), message);
        assert_eq!(
            secret.authenticate(encrypted).as_slice(),
            platform.authenticate(encrypted)
        );
    }
}

#[test]
fn protocol_two_encryption_uses_a_fresh_iv() {
    let mut rng = TestRng::new(3);
    let secret = SharedSecret::derive(PinProtocol::Two, &[7; 32]);
    let (mut first, mut second) = ([0; 32], [0; 32]);
    let first = secret
        .encrypt(&[0; 16], &mut rng, &mut first)
        .expect("fits");
    let second = secret
        .encrypt(&[0; 16], &mut rng, &mut second)
        .expect("fits");
    assert_ne!(first[..16], second[..16]);
    assert_ne!(first[16..], second[16..]);
}

#[test]
fn tokens_authenticate_with_the_protocol_length() {
    let token = [0x42; TOKEN_LENGTH];
    for protocol in PinProtocol::SUPPORTED {
        let expected = authenticate_with(protocol.number(), &token, b"client data hash");
        let tag = authenticate(protocol, &token, b"client data hash");
        assert_eq!(tag.as_slice(), expected);
        assert!(verify(protocol, &token, b"client data hash", &expected));
        assert!(verify_parts(
            protocol,
            &token,
            &[b"client ", b"data hash"],
            &expected
        ));
    }
}

#[test]
fn verify_refuses_altered_or_wrongly_sized_tags() {
    let token = [0x42; TOKEN_LENGTH];
    let full = authenticate_with(2, &token, b"message");
    // Protocol one must not accept a full 32-byte tag, nor two a 16-byte one.
    assert!(!verify(PinProtocol::One, &token, b"message", &full));
    assert!(!verify(PinProtocol::Two, &token, b"message", &full[..16]));
    assert!(!verify(PinProtocol::Two, &token, b"message", &[]));
    let mut altered = full.clone();
    altered[31] ^= 1;
    assert!(!verify(PinProtocol::Two, &token, b"message", &altered));
    assert!(!verify(PinProtocol::Two, &token, b"other message", &full));
    assert!(verify(PinProtocol::Two, &token, b"message", &full));
}

#[test]
fn malformed_ciphertexts_are_refused() {
    let mut output = [0; 64];
    let one = SharedSecret::derive(PinProtocol::One, &[1; 32]);
    let two = SharedSecret::derive(PinProtocol::Two, &[1; 32]);
    assert_eq!(
        one.decrypt(&[0; 15], &mut output),
        Err(Error::InvalidLength)
    );
    assert_eq!(
        two.decrypt(&[0; 15], &mut output),
        Err(Error::InvalidLength)
    );
    assert_eq!(
        two.decrypt(&[0; 40], &mut output),
        Err(Error::InvalidLength)
    );
    // Output too small for the plaintext.
    assert_eq!(
        one.decrypt(&[0; 80], &mut output),
        Err(Error::InvalidLength)
    );
    // Plaintext not whole blocks, or output too small.
    let mut rng = TestRng::new(4);
    assert_eq!(
        one.encrypt(&[0; 17], &mut rng, &mut output).err(),
        Some(Error::InvalidLength)
    );
    assert_eq!(
        two.encrypt(&[0; 64], &mut rng, &mut output).err(),
        Some(Error::InvalidLength)
    );
}

#[test]
fn platform_keys_off_the_curve_are_invalid_parameters() {
    let key = known_key();
    let x = hex::<32>(PLATFORM_X);
    let mut y = hex::<32>(PLATFORM_Y);
    y[31] ^= 1;
    for protocol in PinProtocol::SUPPORTED {
        assert!(matches!(
            key.shared_secret(protocol, &x, &y),
            Err(Error::InvalidParameter)
        ));
        assert!(matches!(
            key.shared_secret(protocol, &x[..31], &y),
            Err(Error::InvalidParameter)
        ));
        assert!(matches!(
            key.shared_secret(protocol, &[0; 32], &[0; 32]),
            Err(Error::InvalidParameter)
        ));
    }
}

#[test]
fn protocol_numbers_parse() {
    assert_eq!(PinProtocol::from_number(1), Ok(PinProtocol::One));
    assert_eq!(PinProtocol::from_number(2), Ok(PinProtocol::Two));
    assert_eq!(PinProtocol::from_number(3), Err(Error::InvalidParameter));
    assert_eq!(PinProtocol::from_number(0), Err(Error::InvalidParameter));
    assert_eq!(PinProtocol::from_option(None), Err(Error::MissingParameter));
    assert_eq!(PinProtocol::Two.number(), 2);
}
