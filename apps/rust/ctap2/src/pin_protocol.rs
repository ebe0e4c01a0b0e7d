//! PIN/UV auth protocols one and two (CTAP 2.1, 6.5.6 and 6.5.7): the
//! authenticator's ECDH P-256 key agreement key, the shared secret derived
//! from it and a platform key, and the encryption and message authentication
//! built on that secret or on a pinUvAuthToken.
//!
//! hmac-secret uses the same primitives: derive a [`SharedSecret`] from the
//! platform's key agreement key with [`KeyAgreementKey::shared_secret`], check
//! `saltAuth` with [`SharedSecret::verify`], [`SharedSecret::decrypt`] the
//! salts and [`SharedSecret::encrypt`] the outputs.
//!
//! Tags are compared in constant time; a malformed platform key or ciphertext
//! is an error, never a panic; secret keys are zeroized when dropped.

use ctap_types::ctap2::Error;
use hmac::{Hmac, Mac};
use p256::elliptic_curve::rand_core::CryptoRngCore;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::elliptic_curve::zeroize::Zeroize;
use sha2::{Digest, Sha256};

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};

type HmacSha256 = Hmac<Sha256>;
type Aes256CbcEncryptor = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDecryptor = cbc::Decryptor<aes::Aes256>;

/// AES block length, also the length of protocol two's IV prefix.
pub const BLOCK_LENGTH: usize = 16;
/// Length of a pinUvAuthToken (both protocols use 32 random bytes).
pub const TOKEN_LENGTH: usize = 32;
/// Length of a P-256 coordinate in a COSE key.
pub const COORDINATE_LENGTH: usize = 32;

/// A PIN/UV auth protocol, as numbered in CBOR requests (`pinUvAuthProtocol`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinProtocol {
    /// Protocol one: SHA-256 KDF, AES-256-CBC with a zero IV, 16-byte tags.
    One,
    /// Protocol two: HKDF-SHA-256 KDF, AES-256-CBC with a random IV, 32-byte tags.
    Two,
}

impl PinProtocol {
    /// Both protocols, in the order GetInfo lists them (preferred first).
    pub const SUPPORTED: [PinProtocol; 2] = [PinProtocol::Two, PinProtocol::One];

    /// Parses the CBOR protocol number; an unknown number is
    /// `CTAP1_ERR_INVALID_PARAMETER`, as the spec asks of every command.
    pub fn from_number(number: u8) -> Result<Self, Error> {
        match number {
            1 => Ok(PinProtocol::One),
            2 => Ok(PinProtocol::Two),
            _ => Err(Error::InvalidParameter),
        }
    }

    /// Parses an optional protocol number: absent is `CTAP2_ERR_MISSING_PARAMETER`.
    pub fn from_option(number: Option<u8>) -> Result<Self, Error> {
        Self::from_number(number.ok_or(Error::MissingParameter)?)
    }

    /// The CBOR protocol number.
    pub fn number(self) -> u8 {
        match self {
            PinProtocol::One => 1,
            PinProtocol::Two => 2,
        }
    }

    /// Length of the tags [`authenticate`] produces and [`verify`] accepts.
    pub fn tag_length(self) -> usize {
        match self {
            PinProtocol::One => 16,
            PinProtocol::Two => 32,
        }
    }

    /// Bytes [`SharedSecret::encrypt`] adds to a plaintext (protocol two's IV).
    pub fn encryption_overhead(self) -> usize {
        match self {
            PinProtocol::One => 0,
            PinProtocol::Two => BLOCK_LENGTH,
        }
    }

    /// Index of this protocol's state in per-protocol arrays.
    pub(crate) fn index(self) -> usize {
        match self {
            PinProtocol::One => 0,
            PinProtocol::Two => 1,
        }
    }
}

/// A message authentication tag: 16 bytes (protocol one) or 32 (protocol two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag {
    bytes: [u8; 32],
    length: usize,
}

impl Tag {
    /// The tag's bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.length]
    }
}

impl core::ops::Deref for Tag {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// `authenticate(key, message)`: HMAC-SHA-256 of `message` under `key`,
/// truncated to 16 bytes for protocol one. `key` is a pinUvAuthToken or a
/// shared secret's HMAC key.
pub fn authenticate(protocol: PinProtocol, key: &[u8], message: &[u8]) -> Tag {
    authenticate_parts(protocol, key, &[message])
}

/// [`authenticate`] over the concatenation of `parts`, without a buffer.
pub fn authenticate_parts(protocol: PinProtocol, key: &[u8], parts: &[&[u8]]) -> Tag {
    let full: [u8; 32] = mac(key, parts).finalize().into_bytes().into();
    Tag {
        bytes: full,
        length: protocol.tag_length(),
    }
}

/// `verify(key, message, tag)`: whether `tag` authenticates `message`, in
/// constant time. A tag of the wrong length for the protocol never verifies.
pub fn verify(protocol: PinProtocol, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    verify_parts(protocol, key, &[message], tag)
}

/// [`verify`] over the concatenation of `parts`, without a buffer.
pub fn verify_parts(protocol: PinProtocol, key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    if tag.len() != protocol.tag_length() {
        return false;
    }
    // `verify_truncated_left` compares in constant time.
    mac(key, parts).verify_truncated_left(tag).is_ok()
}

fn mac(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac
}

/// The authenticator's ECDH P-256 key agreement key. Regenerate it at power-up
/// and whenever the spec says so (by replacing it with a new one).
pub struct KeyAgreementKey {
    secret: p256::NonZeroScalar,
    public_x: [u8; COORDINATE_LENGTH],
    public_y: [u8; COORDINATE_LENGTH],
}

impl KeyAgreementKey {
    /// Generates a fresh key pair.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        Self::from_secret(p256::NonZeroScalar::random(rng))
    }

    fn from_secret(secret: p256::NonZeroScalar) -> Self {
        let point = p256::PublicKey::from_secret_scalar(&secret).to_encoded_point(false);
        let mut public_x = [0; COORDINATE_LENGTH];
        let mut public_y = [0; COORDINATE_LENGTH];
        // An uncompressed point of a valid public key has both coordinates.
        if let (Some(x), Some(y)) = (point.x(), point.y()) {
            public_x.copy_from_slice(x);
            public_y.copy_from_slice(y);
        }
        KeyAgreementKey {
            secret,
            public_x,
            public_y,
        }
    }

    /// The key pair with this secret scalar (big-endian), for known-answer tests.
    #[cfg(test)]
    pub(crate) fn from_secret_bytes(bytes: &[u8; 32]) -> Option<Self> {
        let secret: Option<p256::NonZeroScalar> =
            p256::NonZeroScalar::from_repr((*bytes).into()).into();
        Some(Self::from_secret(secret?))
    }

    /// The public key's affine x coordinate (big-endian).
    pub fn public_x(&self) -> &[u8; COORDINATE_LENGTH] {
        &self.public_x
    }

    /// The public key's affine y coordinate (big-endian).
    pub fn public_y(&self) -> &[u8; COORDINATE_LENGTH] {
        &self.public_y
    }

    /// `getPublicKey()`: the public key as a COSE key (alg -25, ECDH-ES +
    /// HKDF-256, which the spec demands for both protocols).
    pub fn cose_public_key(&self) -> cosey::EcdhEsHkdf256PublicKey {
        cosey::EcdhEsHkdf256PublicKey {
            x: ctap_types::Bytes::from(self.public_x),
            y: ctap_types::Bytes::from(self.public_y),
        }
    }

    /// `decapsulate(peerCoseKey)`: ECDH with the platform's public key (given by
    /// its COSE coordinates) and the protocol's KDF. A key that is not a point
    /// on P-256 is `CTAP1_ERR_INVALID_PARAMETER`.
    pub fn shared_secret(
        &self,
        protocol: PinProtocol,
        platform_x: &[u8],
        platform_y: &[u8],
    ) -> Result<SharedSecret, Error> {
        if platform_x.len() != COORDINATE_LENGTH || platform_y.len() != COORDINATE_LENGTH {
            return Err(Error::InvalidParameter);
        }
        // SEC1 uncompressed encoding: 0x04 || x || y.
        let mut sec1 = [0x04; 1 + 2 * COORDINATE_LENGTH];
        sec1[1..1 + COORDINATE_LENGTH].copy_from_slice(platform_x);
        sec1[1 + COORDINATE_LENGTH..].copy_from_slice(platform_y);
        let platform_key =
            p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| Error::InvalidParameter)?;
        let z = p256::ecdh::diffie_hellman(&self.secret, platform_key.as_affine());
        Ok(SharedSecret::derive(protocol, z.raw_secret_bytes()))
    }
}

impl Drop for KeyAgreementKey {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// A shared secret: the HMAC key and the AES key of one protocol (the same 32
/// bytes for protocol one).
#[derive(Clone)]
pub struct SharedSecret {
    protocol: PinProtocol,
    hmac_key: [u8; 32],
    aes_key: [u8; 32],
}

impl SharedSecret {
    /// The protocol's KDF applied to the ECDH x coordinate `z`.
    pub fn derive(protocol: PinProtocol, z: &[u8]) -> Self {
        match protocol {
            PinProtocol::One => {
                let key: [u8; 32] = Sha256::digest(z).into();
                SharedSecret {
                    protocol,
                    hmac_key: key,
                    aes_key: key,
                }
            }
            PinProtocol::Two => {
                let hkdf = hkdf::Hkdf::<Sha256>::new(Some(&[0; 32]), z);
                let mut hmac_key = [0; 32];
                let mut aes_key = [0; 32];
                // 32 bytes is far below HKDF-SHA-256's 8160-byte limit.
                let _ = hkdf.expand(b"CTAP2 HMAC key", &mut hmac_key);
                let _ = hkdf.expand(b"CTAP2 AES key", &mut aes_key);
                SharedSecret {
                    protocol,
                    hmac_key,
                    aes_key,
                }
            }
        }
    }

    /// The protocol this secret belongs to.
    pub fn protocol(&self) -> PinProtocol {
        self.protocol
    }

    /// `authenticate(sharedSecret, message)`.
    pub fn authenticate(&self, message: &[u8]) -> Tag {
        authenticate(self.protocol, &self.hmac_key, message)
    }

    /// `verify(sharedSecret, message, tag)`, in constant time.
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        verify(self.protocol, &self.hmac_key, message, tag)
    }

    /// [`SharedSecret::verify`] over the concatenation of `parts`.
    pub fn verify_parts(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        verify_parts(self.protocol, &self.hmac_key, parts, tag)
    }

    /// `encrypt(sharedSecret, plaintext)` into `output`: AES-256-CBC without
    /// padding, after a random IV for protocol two. The plaintext must be whole
    /// blocks and `output` at least `plaintext.len() + encryption_overhead()`
    /// long (else `CTAP1_ERR_INVALID_LENGTH`). Returns the ciphertext.
    pub fn encrypt<'a>(
        &self,
        plaintext: &[u8],
        rng: &mut impl CryptoRngCore,
        output: &'a mut [u8],
    ) -> Result<&'a [u8], Error> {
        let overhead = self.protocol.encryption_overhead();
        let length = plaintext.len() + overhead;
        if !plaintext.len().is_multiple_of(BLOCK_LENGTH) || output.len() < length {
            return Err(Error::InvalidLength);
        }
        let mut iv = [0; BLOCK_LENGTH];
        if self.protocol == PinProtocol::Two {
            rng.fill_bytes(&mut iv);
        }
        let (prefix, body) = output[..length].split_at_mut(overhead);
        prefix.copy_from_slice(&iv[..overhead]);
        body.copy_from_slice(plaintext);
        let mut encryptor = Aes256CbcEncryptor::new((&self.aes_key).into(), (&iv).into());
        for chunk in body.chunks_exact_mut(BLOCK_LENGTH) {
            if let Ok(block) = <&mut [u8; BLOCK_LENGTH]>::try_from(chunk) {
                encryptor.encrypt_block_mut(block.into());
            }
        }
        Ok(&output[..length])
    }

    /// `decrypt(sharedSecret, ciphertext)` into `output`. A ciphertext that is
    /// not whole blocks (after protocol two's IV) is `CTAP1_ERR_INVALID_LENGTH`,
    /// as is an `output` shorter than the plaintext. Returns the plaintext.
    pub fn decrypt<'a>(&self, ciphertext: &[u8], output: &'a mut [u8]) -> Result<&'a [u8], Error> {
        let overhead = self.protocol.encryption_overhead();
        if ciphertext.len() < overhead {
            return Err(Error::InvalidLength);
        }
        let (iv_bytes, body) = ciphertext.split_at(overhead);
        if !body.len().is_multiple_of(BLOCK_LENGTH) || output.len() < body.len() {
            return Err(Error::InvalidLength);
        }
        let mut iv = [0; BLOCK_LENGTH];
        iv[..overhead].copy_from_slice(iv_bytes);
        let plaintext = &mut output[..body.len()];
        plaintext.copy_from_slice(body);
        let mut decryptor = Aes256CbcDecryptor::new((&self.aes_key).into(), (&iv).into());
        for chunk in plaintext.chunks_exact_mut(BLOCK_LENGTH) {
            if let Ok(block) = <&mut [u8; BLOCK_LENGTH]>::try_from(chunk) {
                decryptor.decrypt_block_mut(block.into());
            }
        }
        Ok(plaintext)
    }
}

impl Drop for SharedSecret {
    fn drop(&mut self) {
        self.hmac_key.zeroize();
        self.aes_key.zeroize();
    }
}

#[cfg(test)]
pub(crate) mod test_platform;
#[cfg(test)]
mod tests;
