//! Tests of authenticatorClientPIN, driven through CBOR requests as a
//! platform sends them, with the platform's cryptography done independently
//! (`pin_protocol::test_platform`).

extern crate std;

use std::vec::Vec;

use super::*;
use crate::pin_protocol::test_platform::{authenticate_with, Cbor, Platform, TestRng};

mod lockout;
mod permissions;
mod python_fido2;
mod robustness;

/// The app's persistent PIN state, in memory.
pub(crate) struct MemoryStorage {
    pub hash: Option<[u8; PIN_HASH_LENGTH]>,
    pub retries: u8,
    pub minimum_length: u8,
}

impl Default for MemoryStorage {
    fn default() -> Self {
        MemoryStorage {
            hash: None,
            retries: MAXIMUM_PIN_RETRIES,
            minimum_length: DEFAULT_MINIMUM_PIN_LENGTH,
        }
    }
}

impl PinStorage for MemoryStorage {
    fn pin_hash(&mut self) -> Result<Option<[u8; PIN_HASH_LENGTH]>, Error> {
        Ok(self.hash)
    }
    fn set_pin_hash(&mut self, hash: &[u8; PIN_HASH_LENGTH]) -> Result<(), Error> {
        self.hash = Some(*hash);
        Ok(())
    }
    fn pin_retries(&mut self) -> Result<u8, Error> {
        Ok(self.retries)
    }
    fn set_pin_retries(&mut self, retries: u8) -> Result<(), Error> {
        self.retries = retries;
        Ok(())
    }
    fn minimum_pin_length(&mut self) -> Result<u8, Error> {
        Ok(self.minimum_length)
    }
}

/// An authenticator's ClientPin with its storage, and a platform talking to it.
pub(crate) struct Authenticator {
    pub client_pin: ClientPin,
    pub storage: MemoryStorage,
    pub rng: TestRng,
}

/// A pinUvAuthToken as the platform holds it.
pub(crate) struct Token {
    pub protocol: PinProtocol,
    pub bytes: Vec<u8>,
}

impl Token {
    pub fn authenticate(&self, message: &[u8]) -> Vec<u8> {
        authenticate_with(self.protocol.number(), &self.bytes, message)
    }
}

pub(crate) fn padded(pin: &[u8]) -> Vec<u8> {
    let mut padded = pin.to_vec();
    padded.resize(PADDED_PIN_LENGTH, 0);
    padded
}

pub(crate) fn pin_hash(pin: &[u8]) -> Vec<u8> {
    let digest: [u8; 32] = Sha256::digest(pin).into();
    digest[..PIN_HASH_LENGTH].to_vec()
}

impl Authenticator {
    pub fn new(seed: u64) -> Self {
        let mut rng = TestRng::new(seed);
        Authenticator {
            client_pin: ClientPin::new(&mut rng),
            storage: MemoryStorage::default(),
            rng,
        }
    }

    /// A new ClientPin over the same storage, as after a power cycle.
    pub fn power_cycle(&mut self) {
        self.client_pin = ClientPin::new(&mut self.rng);
    }

    /// Sends a request given as a CBOR map.
    pub fn send(&mut self, request: &Cbor) -> Result<Response, Error> {
        let request: Request =
            cbor_smol::cbor_deserialize(&request.0).expect("well-formed request");
        self.client_pin
            .process(&request, &mut self.storage, &mut self.rng)
    }

    pub fn retries(&mut self) -> (u8, bool) {
        let mut request = Cbor::default();
        request.map(1).unsigned(2).unsigned(1);
        let response = self.send(&request).expect("getPINRetries");
        (
            response.retries.expect("pinRetries"),
            response.power_cycle_state.expect("state"),
        )
    }

    /// getKeyAgreement, then the platform's side of the agreement.
    pub fn agree(&mut self, protocol: PinProtocol) -> Platform {
        let mut request = Cbor::default();
        request
            .map(2)
            .unsigned(1)
            .unsigned(protocol.number().into())
            .unsigned(2)
            .unsigned(2);
        let response = self.send(&request).expect("getKeyAgreement");
        let key = response.key_agreement.expect("keyAgreement");
        Platform::agree(protocol.number(), &key.x, &key.y, &mut self.rng)
    }

    pub fn set_pin_padded(
        &mut self,
        protocol: PinProtocol,
        padded_pin: &[u8],
    ) -> Result<(), Error> {
        let platform = self.agree(protocol);
        let new_pin_encrypted = platform.encrypt(padded_pin, &mut self.rng);
        let param = platform.authenticate(&new_pin_encrypted);
        let mut request = Cbor::default();
        request
            .map(5)
            .unsigned(1)
            .unsigned(protocol.number().into())
            .unsigned(2)
            .unsigned(3);
        request
            .unsigned(3)
            .cose_key(&platform.public_x, &platform.public_y);
        request
            .unsigned(4)
            .bytes(&param)
            .unsigned(5)
            .bytes(&new_pin_encrypted);
        self.send(&request).map(|_| ())
    }

    pub fn set_pin(&mut self, protocol: PinProtocol, pin: &[u8]) -> Result<(), Error> {
        self.set_pin_padded(protocol, &padded(pin))
    }

    pub fn change_pin(
        &mut self,
        protocol: PinProtocol,
        current: &[u8],
        new: &[u8],
    ) -> Result<(), Error> {
        let platform = self.agree(protocol);
        let pin_hash_encrypted = platform.encrypt(&pin_hash(current), &mut self.rng);
        let new_pin_encrypted = platform.encrypt(&padded(new), &mut self.rng);
        let param =
            platform.authenticate(&[&new_pin_encrypted[..], &pin_hash_encrypted[..]].concat());
        let mut request = Cbor::default();
        request
            .map(6)
            .unsigned(1)
            .unsigned(protocol.number().into())
            .unsigned(2)
            .unsigned(4);
        request
            .unsigned(3)
            .cose_key(&platform.public_x, &platform.public_y);
        request
            .unsigned(4)
            .bytes(&param)
            .unsigned(5)
            .bytes(&new_pin_encrypted);
        request.unsigned(6).bytes(&pin_hash_encrypted);
        self.send(&request).map(|_| ())
    }

    /// getPinToken (`permissions` None) or
    /// getPinUvAuthTokenUsingPinWithPermissions, returning the decrypted token.
    pub fn token(
        &mut self,
        protocol: PinProtocol,
        pin: &[u8],
        permissions: Option<u8>,
        rp_id: Option<&str>,
    ) -> Result<Token, Error> {
        let platform = self.agree(protocol);
        let pin_hash_encrypted = platform.encrypt(&pin_hash(pin), &mut self.rng);
        let entries = 4 + u64::from(permissions.is_some()) + u64::from(rp_id.is_some());
        let subcommand = if permissions.is_some() { 9 } else { 5 };
        let mut request = Cbor::default();
        request
            .map(entries)
            .unsigned(1)
            .unsigned(protocol.number().into());
        request.unsigned(2).unsigned(subcommand);
        request
            .unsigned(3)
            .cose_key(&platform.public_x, &platform.public_y);
        request.unsigned(6).bytes(&pin_hash_encrypted);
        if let Some(permissions) = permissions {
            request.unsigned(9).unsigned(permissions.into());
        }
        if let Some(rp_id) = rp_id {
            request.unsigned(10).text(rp_id);
        }
        let response = self.send(&request)?;
        let encrypted = response.pin_token.expect("pinUvAuthToken");
        assert_eq!(
            encrypted.len(),
            TOKEN_LENGTH + protocol.encryption_overhead()
        );
        Ok(Token {
            protocol,
            bytes: platform.decrypt(&encrypted),
        })
    }

    /// What MakeCredential or GetAssertion would check.
    pub fn use_token(
        &mut self,
        token: &Token,
        permission: Permissions,
        rp_id: &str,
    ) -> Result<(), Error> {
        let client_data_hash = [0xCD; 32];
        let param = token.authenticate(&client_data_hash);
        self.client_pin.verify_pin_uv_auth_param(
            token.protocol,
            &client_data_hash,
            &param,
            permission,
            Some(rp_id),
        )
    }
}

#[test]
fn fresh_authenticator_has_eight_retries_and_no_pin() {
    let mut authenticator = Authenticator::new(1);
    assert_eq!(authenticator.retries(), (8, false));
    assert_eq!(
        authenticator
            .client_pin
            .is_pin_set(&mut authenticator.storage),
        Ok(false)
    );
    for protocol in PinProtocol::SUPPORTED {
        assert_eq!(
            authenticator.token(protocol, b"1234", None, None).err(),
            Some(Error::PinNotSet)
        );
    }
}

#[test]
fn set_pin_stores_the_left_half_of_its_hash_with_both_protocols() {
    for protocol in PinProtocol::SUPPORTED {
        let mut authenticator = Authenticator::new(2);
        assert_eq!(authenticator.set_pin(protocol, b"1234"), Ok(()));
        assert_eq!(
            authenticator.storage.hash.map(|hash| hash.to_vec()),
            Some(pin_hash(b"1234"))
        );
        assert_eq!(
            authenticator
                .client_pin
                .is_pin_set(&mut authenticator.storage),
            Ok(true)
        );
        // A second setPIN is changePIN's job.
        assert_eq!(
            authenticator.set_pin(protocol, b"5678"),
            Err(Error::NotAllowed)
        );
        let token = authenticator
            .token(protocol, b"1234", None, None)
            .expect("token");
        assert_eq!(token.bytes.len(), TOKEN_LENGTH);
        assert_eq!(
            authenticator.use_token(&token, Permissions::MAKE_CREDENTIAL, "example.com"),
            Ok(())
        );
    }
}

#[test]
fn set_pin_with_a_wrong_param_is_refused() {
    let mut authenticator = Authenticator::new(3);
    let platform = authenticator.agree(PinProtocol::Two);
    let new_pin_encrypted = platform.encrypt(&padded(b"1234"), &mut authenticator.rng);
    let mut param = platform.authenticate(&new_pin_encrypted);
    param[0] ^= 1;
    let mut request = Cbor::default();
    request
        .map(5)
        .unsigned(1)
        .unsigned(2)
        .unsigned(2)
        .unsigned(3);
    request
        .unsigned(3)
        .cose_key(&platform.public_x, &platform.public_y);
    request
        .unsigned(4)
        .bytes(&param)
        .unsigned(5)
        .bytes(&new_pin_encrypted);
    assert_eq!(
        authenticator.send(&request).err(),
        Some(Error::PinAuthInvalid)
    );
    assert_eq!(authenticator.storage.hash, None);
}

#[test]
fn set_pin_enforces_the_length_rules() {
    let mut authenticator = Authenticator::new(4);
    let protocol = PinProtocol::One;
    assert_eq!(
        authenticator.set_pin(protocol, b"123"),
        Err(Error::PinPolicyViolation)
    );
    // 64 bytes leave no zero padding: more than 63 bytes.
    assert_eq!(
        authenticator.set_pin(protocol, &[b'7'; 64]),
        Err(Error::PinPolicyViolation)
    );
    // The padded PIN must be exactly 64 bytes.
    assert_eq!(
        authenticator.set_pin_padded(protocol, &[b'7'; 48]),
        Err(Error::InvalidParameter)
    );
    assert_eq!(
        authenticator.set_pin_padded(protocol, &[b'7'; 80]),
        Err(Error::InvalidParameter)
    );
    assert_eq!(
        authenticator.set_pin(protocol, "\u{e9}\u{e9}\u{e9}".as_bytes()),
        Err(Error::PinPolicyViolation)
    );
    // Four code points, eight bytes: long enough.
    assert_eq!(
        authenticator.set_pin(protocol, "\u{e9}\u{e9}\u{e9}\u{e9}".as_bytes()),
        Ok(())
    );

    let mut authenticator = Authenticator::new(5);
    assert_eq!(authenticator.set_pin(PinProtocol::Two, &[b'7'; 63]), Ok(()));

    let mut authenticator = Authenticator::new(6);
    authenticator.storage.minimum_length = 6;
    assert_eq!(
        authenticator.set_pin(PinProtocol::Two, b"12345"),
        Err(Error::PinPolicyViolation)
    );
    assert_eq!(authenticator.set_pin(PinProtocol::Two, b"123456"), Ok(()));
}

#[test]
fn change_pin_replaces_the_pin_and_kills_old_tokens() {
    for protocol in PinProtocol::SUPPORTED {
        let mut authenticator = Authenticator::new(7);
        authenticator.set_pin(protocol, b"1234").expect("setPIN");
        let old_token = authenticator
            .token(protocol, b"1234", None, None)
            .expect("token");
        assert_eq!(
            authenticator.change_pin(protocol, b"1234", b"98765"),
            Ok(())
        );
        assert_eq!(
            authenticator.storage.hash.map(|hash| hash.to_vec()),
            Some(pin_hash(b"98765"))
        );
        assert_eq!(
            authenticator.use_token(&old_token, Permissions::GET_ASSERTION, "example.com"),
            Err(Error::PinAuthInvalid)
        );
        assert_eq!(
            authenticator.token(protocol, b"1234", None, None).err(),
            Some(Error::PinInvalid)
        );
        let token = authenticator
            .token(protocol, b"98765", None, None)
            .expect("token");
        assert_eq!(
            authenticator.use_token(&token, Permissions::GET_ASSERTION, "example.com"),
            Ok(())
        );
        assert_eq!(authenticator.retries(), (8, false));
    }
}

#[test]
fn change_pin_checks_the_current_pin_and_the_new_one() {
    let mut authenticator = Authenticator::new(8);
    authenticator
        .set_pin(PinProtocol::Two, b"1234")
        .expect("setPIN");
    assert_eq!(
        authenticator.change_pin(PinProtocol::Two, b"0000", b"5678"),
        Err(Error::PinInvalid)
    );
    assert_eq!(authenticator.retries(), (7, false));
    assert_eq!(
        authenticator.change_pin(PinProtocol::Two, b"1234", b"56"),
        Err(Error::PinPolicyViolation)
    );
    // The current PIN was right: retries are back to 8, the PIN unchanged.
    assert_eq!(authenticator.retries(), (8, false));
    assert_eq!(
        authenticator.storage.hash.map(|hash| hash.to_vec()),
        Some(pin_hash(b"1234"))
    );
}

#[test]
fn missing_and_unknown_parameters_are_reported() {
    let mut authenticator = Authenticator::new(9);
    let mut request = Cbor::default();
    request.map(1).unsigned(2).unsigned(2);
    assert_eq!(
        authenticator.send(&request).err(),
        Some(Error::MissingParameter)
    );
    let mut request = Cbor::default();
    request
        .map(2)
        .unsigned(1)
        .unsigned(3)
        .unsigned(2)
        .unsigned(2);
    assert_eq!(
        authenticator.send(&request).err(),
        Some(Error::InvalidParameter)
    );
    // setPIN without newPinEnc.
    let mut request = Cbor::default();
    request
        .map(2)
        .unsigned(1)
        .unsigned(2)
        .unsigned(2)
        .unsigned(3);
    assert_eq!(
        authenticator.send(&request).err(),
        Some(Error::MissingParameter)
    );
    // No built-in user verification: getUVRetries and the UV token are refused.
    for subcommand in [6, 7] {
        let mut request = Cbor::default();
        request
            .map(2)
            .unsigned(1)
            .unsigned(2)
            .unsigned(2)
            .unsigned(subcommand);
        assert_eq!(
            authenticator.send(&request).err(),
            Some(Error::InvalidSubcommand)
        );
    }
}

#[test]
fn platform_keys_off_the_curve_are_refused() {
    let mut authenticator = Authenticator::new(10);
    let platform = authenticator.agree(PinProtocol::Two);
    let new_pin_encrypted = platform.encrypt(&padded(b"1234"), &mut authenticator.rng);
    let param = platform.authenticate(&new_pin_encrypted);
    let mut y = platform.public_y;
    y[0] ^= 0x80;
    let mut request = Cbor::default();
    request
        .map(5)
        .unsigned(1)
        .unsigned(2)
        .unsigned(2)
        .unsigned(3);
    request.unsigned(3).cose_key(&platform.public_x, &y);
    request
        .unsigned(4)
        .bytes(&param)
        .unsigned(5)
        .bytes(&new_pin_encrypted);
    assert_eq!(
        authenticator.send(&request).err(),
        Some(Error::InvalidParameter)
    );
}

#[test]
fn hmac_secret_gets_the_same_shared_secret_as_the_platform() {
    let mut authenticator = Authenticator::new(11);
    for protocol in PinProtocol::SUPPORTED {
        let platform = authenticator.agree(protocol);
        let secret = authenticator
            .client_pin
            .shared_secret(protocol, &platform.public_x, &platform.public_y)
            .expect("shared secret");
        let salt = platform.encrypt(&[0x11; 32], &mut authenticator.rng);
        assert!(secret.verify(&salt, &platform.authenticate(&salt)));
        let mut output = [0; 64];
        assert_eq!(secret.decrypt(&salt, &mut output), Ok(&[0x11; 32][..]));
    }
}

#[test]
fn reset_invalidates_tokens_and_key_agreement() {
    let mut authenticator = Authenticator::new(12);
    authenticator
        .set_pin(PinProtocol::Two, b"1234")
        .expect("setPIN");
    let token = authenticator
        .token(PinProtocol::Two, b"1234", None, None)
        .expect("token");
    let key_before = *authenticator.client_pin.protocols[1]
        .key_agreement
        .public_x();
    let mut rng = TestRng::new(99);
    authenticator.client_pin.reset(&mut rng);
    assert_eq!(
        authenticator.use_token(&token, Permissions::MAKE_CREDENTIAL, "example.com"),
        Err(Error::PinAuthInvalid)
    );
    assert_ne!(
        authenticator.client_pin.protocols[1]
            .key_agreement
            .public_x(),
        &key_before
    );
}
