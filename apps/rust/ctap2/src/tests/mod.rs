//! Host tests of the authenticator through its CBOR interface, as a
//! platform meets it: requests built and responses read as generic CBOR
//! (ciborium), signatures verified with p256, the store over RAM.

extern crate std;

mod assertions;
mod hmac_secret;
mod large_blobs;
mod pin;
mod robustness;

use crate::authenticator::{Authenticator, Platform, MAX_RESPONSE};
use crate::storage::STORE_KEYS;
use ciborium::value::{Integer, Value};
use credential_store::ram::RamStorage;
use credential_store::Store;
use ctap_types::heapless;
use ctap_types::Error;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use sha2::{Digest, Sha256};
use std::vec::Vec;

/// The records the tests run on.
pub type TestRecords = Store<RamStorage, STORE_KEYS>;
/// A region like the device's (256 KiB).
pub const REGION: usize = 256 * 1024;

/// A deterministic platform: SHA-256 counter randomness, a touch that is
/// given or not, a settable clock.
pub struct FakePlatform {
    counter: u64,
    /// Whether the user touches when asked.
    pub touch: bool,
    /// How often presence was asked for.
    pub presence_asked: usize,
    /// Milliseconds since power-up.
    pub now_ms: u64,
}

impl FakePlatform {
    pub fn new() -> Self {
        FakePlatform {
            counter: 0,
            touch: true,
            presence_asked: 0,
            now_ms: 1,
        }
    }
}

impl Platform for FakePlatform {
    fn fill_random(&mut self, buffer: &mut [u8]) -> Result<(), Error> {
        for chunk in buffer.chunks_mut(32) {
            self.counter += 1;
            let block = Sha256::digest(self.counter.to_le_bytes());
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }

    fn wait_for_presence(&mut self) -> Result<(), Error> {
        self.presence_asked += 1;
        if self.touch {
            Ok(())
        } else {
            Err(Error::UserActionTimeout)
        }
    }

    fn take_recent_presence(&mut self) -> bool {
        self.touch
    }

    fn uptime_ms(&mut self) -> u64 {
        self.now_ms
    }
}

/// An authenticator on a fresh RAM store, and its platform.
pub fn fresh() -> (Authenticator<TestRecords>, FakePlatform) {
    let store = Store::open(RamStorage::new(REGION)).unwrap();
    let mut platform = FakePlatform::new();
    let authenticator = Authenticator::new(store, &mut platform).unwrap();
    (authenticator, platform)
}

pub fn int(value: i64) -> Value {
    Value::Integer(value.into())
}

pub fn text(value: &str) -> Value {
    Value::Text(value.into())
}

pub fn bytes(value: &[u8]) -> Value {
    Value::Bytes(value.to_vec())
}

/// A CBOR map with integer keys.
pub fn map(entries: Vec<(i64, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(key, value)| (int(key), value))
            .collect(),
    )
}

/// A CBOR map with text keys.
pub fn text_map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(key, value)| (text(key), value))
            .collect(),
    )
}

/// The entry `key` (integer or text) of a map.
pub fn get<'a>(value: &'a Value, key: &Value) -> Option<&'a Value> {
    value
        .as_map()?
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

pub fn get_int(value: &Value, key: i64) -> Option<&Value> {
    get(value, &int(key))
}

pub fn as_bytes(value: Option<&Value>) -> Vec<u8> {
    value
        .and_then(Value::as_bytes)
        .cloned()
        .expect("a byte string")
}

pub fn as_integer(value: Option<&Value>) -> i128 {
    let integer: Integer = value.and_then(Value::as_integer).expect("an integer");
    integer.into()
}

/// Sends `command` with `parameters` (CBOR) and returns the raw response.
pub fn raw(
    authenticator: &mut Authenticator<TestRecords>,
    platform: &mut FakePlatform,
    request: &[u8],
) -> Vec<u8> {
    let mut response: heapless::Vec<u8, MAX_RESPONSE> = heapless::Vec::new();
    authenticator.handle(platform, request, &mut response);
    response.to_vec()
}

/// Sends `command` with `parameters` and returns the status and the
/// decoded response map.
pub fn call(
    authenticator: &mut Authenticator<TestRecords>,
    platform: &mut FakePlatform,
    command: u8,
    parameters: Option<&Value>,
) -> (u8, Option<Value>) {
    let mut request = std::vec![command];
    if let Some(parameters) = parameters {
        ciborium::ser::into_writer(parameters, &mut request).unwrap();
    }
    let response = raw(authenticator, platform, &request);
    let status = response[0];
    let body = (response.len() > 1).then(|| ciborium::de::from_reader(&response[1..]).unwrap());
    (status, body)
}

pub const CLIENT_DATA_HASH: [u8; 32] = [0xcd; 32];

/// A MakeCredential request's parameters.
pub fn make_credential_request(rp_id: &str, user_id: &[u8], extra: Vec<(i64, Value)>) -> Value {
    let mut entries = std::vec![
        (1, bytes(&CLIENT_DATA_HASH)),
        (
            2,
            text_map(std::vec![("id", text(rp_id)), ("name", text("Example"))])
        ),
        (
            3,
            text_map(std::vec![
                ("id", bytes(user_id)),
                ("name", text("ada")),
                ("displayName", text("Ada Lovelace")),
            ]),
        ),
        (
            4,
            Value::Array(std::vec![text_map(std::vec![
                ("alg", int(-7)),
                ("type", text("public-key")),
            ])]),
        ),
    ];
    entries.extend(extra);
    map(entries)
}

/// The parts of authenticator data.
pub struct ParsedAuthenticatorData {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub counter: u32,
    pub credential_id: Vec<u8>,
    pub public_key: Option<VerifyingKey>,
    pub extensions: Option<Value>,
}

/// Parses authenticator data (WebAuthn 6.1), with the COSE key if any.
pub fn parse_authenticator_data(data: &[u8]) -> ParsedAuthenticatorData {
    let mut parsed = ParsedAuthenticatorData {
        rp_id_hash: data[..32].try_into().unwrap(),
        flags: data[32],
        counter: u32::from_be_bytes(data[33..37].try_into().unwrap()),
        credential_id: Vec::new(),
        public_key: None,
        extensions: None,
    };
    let mut rest = &data[37..];
    if parsed.flags & 0x40 != 0 {
        assert_eq!(&rest[..16], &crate::attestation::AAGUID);
        let length = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
        parsed.credential_id = rest[18..18 + length].to_vec();
        rest = &rest[18 + length..];
        let mut reader = rest;
        let cose: Value = ciborium::de::from_reader(&mut reader).unwrap();
        rest = reader;
        let x = as_bytes(get_int(&cose, -2));
        let y = as_bytes(get_int(&cose, -3));
        assert_eq!(as_integer(get_int(&cose, 3)), -7);
        let mut sec1 = std::vec![4u8];
        sec1.extend(x);
        sec1.extend(y);
        parsed.public_key = Some(VerifyingKey::from_sec1_bytes(&sec1).unwrap());
    }
    if parsed.flags & 0x80 != 0 {
        let mut reader = rest;
        parsed.extensions = Some(ciborium::de::from_reader(&mut reader).unwrap());
        rest = reader;
    }
    assert!(rest.is_empty(), "trailing bytes in authenticator data");
    parsed
}

/// Verifies a DER ECDSA signature over `authenticator data || clientDataHash`.
pub fn verify(key: &VerifyingKey, authenticator_data: &[u8], signature: &[u8]) {
    let mut message = authenticator_data.to_vec();
    message.extend_from_slice(&CLIENT_DATA_HASH);
    let signature = DerSignature::try_from(signature).unwrap();
    key.verify(&message, &signature)
        .expect("the signature verifies");
}

/// Makes a credential and returns (credential ID, public key, response).
pub fn make_credential(
    authenticator: &mut Authenticator<TestRecords>,
    platform: &mut FakePlatform,
    request: &Value,
) -> (Vec<u8>, VerifyingKey, Value) {
    let (status, response) = call(authenticator, platform, 0x01, Some(request));
    assert_eq!(status, 0, "MakeCredential failed");
    let response = response.unwrap();
    let data = as_bytes(get_int(&response, 2));
    let parsed = parse_authenticator_data(&data);
    (
        parsed.credential_id.clone(),
        parsed.public_key.unwrap(),
        response,
    )
}

pub fn rp_id_hash(rp_id: &str) -> [u8; 32] {
    Sha256::digest(rp_id.as_bytes()).into()
}
