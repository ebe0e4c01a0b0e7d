//! hmac-secret round trips with a host-side implementation of the
//! platform's half (key agreement, salt encryption and authentication,
//! output decryption) for PIN/UV auth protocols 1 and 2, written from the
//! specification independently of the app's `pin_protocol`.

use super::*;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use std::vec;

type HmacSha256 = Hmac<Sha256>;

/// The platform's side of one shared secret.
pub(super) struct PlatformHalf {
    pub(super) protocol: u8,
    pub(super) cose_key: Value,
    hmac_key: [u8; 32],
    aes_key: [u8; 32],
}

impl PlatformHalf {
    pub(super) fn agree(
        authenticator: &mut Authenticator<TestRecords>,
        platform: &mut FakePlatform,
        protocol: u8,
    ) -> Self {
        let request = map(vec![(1, int(protocol.into())), (2, int(2))]);
        let (status, response) = call(authenticator, platform, 0x06, Some(&request));
        assert_eq!(status, 0, "getKeyAgreement");
        let key = get_int(response.as_ref().unwrap(), 1).unwrap().clone();
        let mut sec1 = vec![4u8];
        sec1.extend(as_bytes(get_int(&key, -2)));
        sec1.extend(as_bytes(get_int(&key, -3)));
        let theirs = p256::PublicKey::from_sec1_bytes(&sec1).unwrap();
        let ours = p256::SecretKey::from_slice(&[0x5a; 32]).unwrap();
        let z = p256::ecdh::diffie_hellman(ours.to_nonzero_scalar(), theirs.as_affine());
        let (hmac_key, aes_key) = if protocol == 1 {
            let key: [u8; 32] = Sha256::digest(z.raw_secret_bytes()).into();
            (key, key)
        } else {
            let hkdf = hkdf::Hkdf::<Sha256>::new(Some(&[0; 32]), z.raw_secret_bytes());
            let (mut hmac_key, mut aes_key) = ([0; 32], [0; 32]);
            hkdf.expand(b"CTAP2 HMAC key", &mut hmac_key).unwrap();
            hkdf.expand(b"CTAP2 AES key", &mut aes_key).unwrap();
            (hmac_key, aes_key)
        };
        let point = ours.public_key().to_encoded_point(false);
        let cose_key = map(vec![
            (1, int(2)),
            (3, int(-25)),
            (-1, int(1)),
            (-2, bytes(point.x().unwrap())),
            (-3, bytes(point.y().unwrap())),
        ]);
        PlatformHalf {
            protocol,
            cose_key,
            hmac_key,
            aes_key,
        }
    }

    pub(super) fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let iv = if self.protocol == 1 {
            [0u8; 16]
        } else {
            [0x77; 16]
        };
        let mut encryptor =
            cbc::Encryptor::<aes::Aes256>::new((&self.aes_key).into(), (&iv).into());
        let mut out = if self.protocol == 1 {
            Vec::new()
        } else {
            iv.to_vec()
        };
        for block in plaintext.chunks(16) {
            let mut block: [u8; 16] = block.try_into().unwrap();
            encryptor.encrypt_block_mut((&mut block).into());
            out.extend_from_slice(&block);
        }
        out
    }

    pub(super) fn decrypt(&self, ciphertext: &[u8]) -> Vec<u8> {
        let (iv, body) = if self.protocol == 1 {
            ([0u8; 16], ciphertext)
        } else {
            (ciphertext[..16].try_into().unwrap(), &ciphertext[16..])
        };
        let mut decryptor =
            cbc::Decryptor::<aes::Aes256>::new((&self.aes_key).into(), (&iv).into());
        let mut out = Vec::new();
        for block in body.chunks(16) {
            let mut block: [u8; 16] = block.try_into().unwrap();
            decryptor.decrypt_block_mut((&mut block).into());
            out.extend_from_slice(&block);
        }
        out
    }

    pub(super) fn authenticate(&self, message: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.hmac_key).unwrap();
        mac.update(message);
        let tag = mac.finalize().into_bytes();
        tag[..if self.protocol == 1 { 16 } else { 32 }].to_vec()
    }

    /// The hmac-secret input for `salts`, optionally with a wrong saltAuth.
    fn input(&self, salts: &[u8], tamper: bool) -> Value {
        let salt_enc = self.encrypt(salts);
        let mut salt_auth = self.authenticate(&salt_enc);
        if tamper {
            salt_auth[0] ^= 1;
        }
        map(vec![
            (1, self.cose_key.clone()),
            (2, bytes(&salt_enc)),
            (3, bytes(&salt_auth)),
            (4, int(self.protocol.into())),
        ])
    }
}

/// Asserts with `id` and the hmac-secret input; the status and the
/// decrypted output.
fn assert_with(
    authenticator: &mut Authenticator<TestRecords>,
    platform: &mut FakePlatform,
    id: &[u8],
    input: Value,
    half: &PlatformHalf,
) -> (u8, Vec<u8>) {
    let request = map(vec![
        (1, text("example.com")),
        (2, bytes(&CLIENT_DATA_HASH)),
        (
            3,
            Value::Array(vec![text_map(vec![
                ("id", bytes(id)),
                ("type", text("public-key")),
            ])]),
        ),
        (4, text_map(vec![("hmac-secret", input)])),
    ]);
    let (status, response) = call(authenticator, platform, 0x02, Some(&request));
    if status != 0 {
        return (status, Vec::new());
    }
    let data = as_bytes(get_int(response.as_ref().unwrap(), 2));
    let extensions = parse_authenticator_data(&data)
        .extensions
        .expect("extension outputs");
    (
        0,
        half.decrypt(&as_bytes(get(&extensions, &text("hmac-secret")))),
    )
}

#[test]
fn hmac_secret_round_trips_with_both_pin_protocols() {
    for protocol in [1u8, 2] {
        let (mut authenticator, mut platform) = fresh();
        let extension = vec![(6, text_map(vec![("hmac-secret", Value::Bool(true))]))];
        let request = make_credential_request("example.com", &[1; 8], extension);
        let (id, _, response) = make_credential(&mut authenticator, &mut platform, &request);
        let made = parse_authenticator_data(&as_bytes(get_int(&response, 2)));
        assert_eq!(
            get(&made.extensions.unwrap(), &text("hmac-secret")),
            Some(&Value::Bool(true))
        );
        let half = PlatformHalf::agree(&mut authenticator, &mut platform, protocol);
        let (salt1, salt2) = ([0x01u8; 32], [0x02u8; 32]);
        let (status, one) = assert_with(
            &mut authenticator,
            &mut platform,
            &id,
            half.input(&salt1, false),
            &half,
        );
        assert_eq!(status, 0, "protocol {protocol}");
        assert_eq!(one.len(), 32);
        let (_, again) = assert_with(
            &mut authenticator,
            &mut platform,
            &id,
            half.input(&salt1, false),
            &half,
        );
        assert_eq!(one, again, "the same salt gives the same secret");
        let both: Vec<u8> = salt1.iter().chain(&salt2).copied().collect();
        let (_, two) = assert_with(
            &mut authenticator,
            &mut platform,
            &id,
            half.input(&both, false),
            &half,
        );
        assert_eq!(two.len(), 64);
        assert_eq!(two[..32], one[..]);
        assert_ne!(two[32..], one[..]);
        let (status, _) = assert_with(
            &mut authenticator,
            &mut platform,
            &id,
            half.input(&salt1, true),
            &half,
        );
        assert_eq!(status, 0x33, "a wrong saltAuth is refused");
    }
}

#[test]
fn without_the_extension_at_creation_there_is_no_output() {
    let (mut authenticator, mut platform) = fresh();
    let request = make_credential_request("example.com", &[1; 8], vec![]);
    let (id, _, _) = make_credential(&mut authenticator, &mut platform, &request);
    let half = PlatformHalf::agree(&mut authenticator, &mut platform, 2);
    let request = map(vec![
        (1, text("example.com")),
        (2, bytes(&CLIENT_DATA_HASH)),
        (
            3,
            Value::Array(vec![text_map(vec![
                ("id", bytes(&id)),
                ("type", text("public-key")),
            ])]),
        ),
        (
            4,
            text_map(vec![("hmac-secret", half.input(&[3; 32], false))]),
        ),
    ]);
    let (status, response) = call(&mut authenticator, &mut platform, 0x02, Some(&request));
    assert_eq!(status, 0);
    let data = as_bytes(get_int(response.as_ref().unwrap(), 2));
    assert!(parse_authenticator_data(&data).extensions.is_none());
}

#[test]
fn outputs_with_user_verification_differ_from_those_without() {
    use super::pin::{pin_token, set_pin, tag};
    let (mut authenticator, mut platform) = fresh();
    let extension = vec![(6, text_map(vec![("hmac-secret", Value::Bool(true))]))];
    let request = make_credential_request("example.com", &[1; 8], extension);
    let (id, _, _) = make_credential(&mut authenticator, &mut platform, &request);
    let half = PlatformHalf::agree(&mut authenticator, &mut platform, 2);
    set_pin(&mut authenticator, &mut platform, &half);
    let half = PlatformHalf::agree(&mut authenticator, &mut platform, 2);
    let salt = [0x0au8; 32];
    let (status, without) = assert_with(
        &mut authenticator,
        &mut platform,
        &id,
        half.input(&salt, false),
        &half,
    );
    assert_eq!(status, 0);
    let token = pin_token(
        &mut authenticator,
        &mut platform,
        &half,
        0x02,
        Some("example.com"),
    );
    let request = map(vec![
        (1, text("example.com")),
        (2, bytes(&CLIENT_DATA_HASH)),
        (
            3,
            Value::Array(vec![text_map(vec![
                ("id", bytes(&id)),
                ("type", text("public-key")),
            ])]),
        ),
        (4, text_map(vec![("hmac-secret", half.input(&salt, false))])),
        (6, bytes(&tag(&half, &token, &CLIENT_DATA_HASH))),
        (7, int(2)),
    ]);
    let (status, response) = call(&mut authenticator, &mut platform, 0x02, Some(&request));
    assert_eq!(status, 0);
    let data = parse_authenticator_data(&as_bytes(get_int(response.as_ref().unwrap(), 2)));
    assert_eq!(data.flags & 0x04, 0x04, "UV set");
    let with = half.decrypt(&as_bytes(get(
        &data.extensions.unwrap(),
        &text("hmac-secret"),
    )));
    assert_eq!(with.len(), 32);
    assert_ne!(with, without, "CredRandom with UV is another secret");
}
