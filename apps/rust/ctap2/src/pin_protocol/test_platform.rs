//! The platform's half of the PIN/UV auth protocols, written for the tests
//! straight on the RustCrypto crates and independently of the module under
//! test, plus a deterministic RNG and a small CBOR encoder for requests.

extern crate std;

use std::vec::Vec;

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use p256::elliptic_curve::rand_core::{CryptoRng, RngCore};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use sha2::{Digest, Sha256};

/// A deterministic RNG: SHA-256 of a seed and a counter. Good enough to
/// drive tests; never used outside them.
pub struct TestRng {
    seed: u64,
    counter: u64,
}

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng { seed, counter: 0 }
    }
}

impl RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0; 4];
        self.fill_bytes(&mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn fill_bytes(&mut self, destination: &mut [u8]) {
        for chunk in destination.chunks_mut(32) {
            let mut hasher = Sha256::new();
            hasher.update(self.seed.to_le_bytes());
            hasher.update(self.counter.to_le_bytes());
            self.counter += 1;
            let block = hasher.finalize();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
    }

    fn try_fill_bytes(
        &mut self,
        destination: &mut [u8],
    ) -> Result<(), p256::elliptic_curve::rand_core::Error> {
        self.fill_bytes(destination);
        Ok(())
    }
}

impl CryptoRng for TestRng {}

/// The platform's side of one key agreement.
pub struct Platform {
    pub protocol: u8,
    hmac_key: [u8; 32],
    aes_key: [u8; 32],
    /// The platform's public key, to send as `keyAgreement`.
    pub public_x: [u8; 32],
    pub public_y: [u8; 32],
}

impl Platform {
    /// Generates a platform key pair and agrees with the authenticator's key.
    pub fn agree(
        protocol: u8,
        authenticator_x: &[u8],
        authenticator_y: &[u8],
        rng: &mut TestRng,
    ) -> Self {
        let secret = p256::NonZeroScalar::random(&mut *rng);
        let mut sec1 = Vec::from([0x04]);
        sec1.extend_from_slice(authenticator_x);
        sec1.extend_from_slice(authenticator_y);
        let authenticator =
            p256::PublicKey::from_sec1_bytes(&sec1).expect("authenticator key on curve");
        let z = p256::ecdh::diffie_hellman(secret, authenticator.as_affine());
        let own = p256::PublicKey::from_secret_scalar(&secret).to_encoded_point(false);
        let (hmac_key, aes_key) = Self::kdf(protocol, z.raw_secret_bytes());
        Platform {
            protocol,
            hmac_key,
            aes_key,
            public_x: own.x().expect("x")[..].try_into().expect("32 bytes"),
            public_y: own.y().expect("y")[..].try_into().expect("32 bytes"),
        }
    }

    /// Protocol one: SHA-256(Z); protocol two: HKDF-SHA-256, salt of 32
    /// zeros, "CTAP2 HMAC key" and "CTAP2 AES key".
    pub fn kdf(protocol: u8, z: &[u8]) -> ([u8; 32], [u8; 32]) {
        if protocol == 1 {
            let key: [u8; 32] = Sha256::digest(z).into();
            (key, key)
        } else {
            let salt = [0u8; 32];
            let hkdf = hkdf::Hkdf::<Sha256>::new(Some(&salt), z);
            let (mut hmac_key, mut aes_key) = ([0; 32], [0; 32]);
            hkdf.expand(b"CTAP2 HMAC key", &mut hmac_key).expect("hkdf");
            hkdf.expand(b"CTAP2 AES key", &mut aes_key).expect("hkdf");
            (hmac_key, aes_key)
        }
    }

    pub fn encrypt(&self, plaintext: &[u8], rng: &mut TestRng) -> Vec<u8> {
        let mut iv = [0u8; 16];
        if self.protocol == 2 {
            rng.fill_bytes(&mut iv);
        }
        let mut output = if self.protocol == 2 {
            Vec::from(iv)
        } else {
            Vec::new()
        };
        let mut cipher = cbc::Encryptor::<aes::Aes256>::new(&self.aes_key.into(), &iv.into());
        for block in plaintext.chunks(16) {
            let mut block: [u8; 16] = block.try_into().expect("whole blocks");
            cipher.encrypt_block_mut((&mut block).into());
            output.extend_from_slice(&block);
        }
        output
    }

    pub fn decrypt(&self, ciphertext: &[u8]) -> Vec<u8> {
        let (iv, body) = if self.protocol == 2 {
            (ciphertext[..16].try_into().expect("iv"), &ciphertext[16..])
        } else {
            ([0u8; 16], ciphertext)
        };
        let mut cipher = cbc::Decryptor::<aes::Aes256>::new(&self.aes_key.into(), &iv.into());
        let mut output = Vec::new();
        for block in body.chunks(16) {
            let mut block: [u8; 16] = block.try_into().expect("whole blocks");
            cipher.decrypt_block_mut((&mut block).into());
            output.extend_from_slice(&block);
        }
        output
    }

    /// authenticate(sharedSecret, message).
    pub fn authenticate(&self, message: &[u8]) -> Vec<u8> {
        authenticate_with(self.protocol, &self.hmac_key, message)
    }
}

/// authenticate(key, message) for either protocol, e.g. with a token.
pub fn authenticate_with(protocol: u8, key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(message);
    let tag = mac.finalize().into_bytes();
    let length = if protocol == 1 { 16 } else { 32 };
    tag[..length].to_vec()
}

/// Bytes from hexadecimal text (test vectors).
pub fn from_hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "hex length");
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(&text[index..index + 2], 16).expect("hex digit"))
        .collect()
}

/// A minimal canonical CBOR encoder for building requests in tests.
#[derive(Default)]
pub struct Cbor(pub Vec<u8>);

impl Cbor {
    fn head(&mut self, major: u8, value: u64) -> &mut Self {
        let major = major << 5;
        match value {
            0..=23 => self.0.push(major | value as u8),
            24..=0xFF => self.0.extend_from_slice(&[major | 24, value as u8]),
            0x100..=0xFFFF => {
                self.0.push(major | 25);
                self.0.extend_from_slice(&(value as u16).to_be_bytes());
            }
            _ => {
                self.0.push(major | 26);
                self.0.extend_from_slice(&(value as u32).to_be_bytes());
            }
        }
        self
    }

    pub fn unsigned(&mut self, value: u64) -> &mut Self {
        self.head(0, value)
    }

    pub fn integer(&mut self, value: i64) -> &mut Self {
        if value >= 0 {
            self.head(0, value as u64)
        } else {
            self.head(1, (-1 - value) as u64)
        }
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.head(2, bytes.len() as u64);
        self.0.extend_from_slice(bytes);
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        self.head(3, text.len() as u64);
        self.0.extend_from_slice(text.as_bytes());
        self
    }

    pub fn map(&mut self, entries: u64) -> &mut Self {
        self.head(5, entries)
    }

    /// A COSE_Key for a P-256 key agreement key (alg -25).
    pub fn cose_key(&mut self, x: &[u8], y: &[u8]) -> &mut Self {
        self.map(5).integer(1).integer(2).integer(3).integer(-25);
        self.integer(-1)
            .integer(1)
            .integer(-2)
            .bytes(x)
            .integer(-3)
            .bytes(y)
    }
}
