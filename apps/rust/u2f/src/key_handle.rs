//! Key handles: a registration's private key, encrypted and authenticated
//! under the device secret, bound to the application parameter.
//!
//! ```text
//! key handle (64 bytes):
//! +-----------+----------------------------------+------------------+
//! | nonce 16  | private key XOR keystream (32)   | tag 16           |
//! +-----------+----------------------------------+------------------+
//! keystream = HMAC-SHA256(encryption key, nonce || application)
//! tag       = HMAC-SHA256(authentication key, application || nonce || ciphertext)[..16]
//! encryption key     = HMAC-SHA256(device secret, "u2f key handle encryption")
//! authentication key = HMAC-SHA256(device secret, "u2f key handle authentication")
//! ```
//!
//! HMAC-SHA256 is a PRF, so the keystream is a one-time pad for each fresh
//! random nonce, and the tag (encrypt-then-MAC) makes any change to a
//! handle, or its use under another application, fail before decryption.

use hmac::{Hmac, Mac};
use p256::ecdsa::SigningKey;
use sha2::Sha256;

/// Bytes in a key handle.
pub const KEY_HANDLE: usize = 64;
/// Bytes in the device secret.
pub const DEVICE_SECRET: usize = 32;
/// Bytes of randomness one wrap needs: nonce, then private key candidate.
pub const WRAP_RANDOMNESS: usize = 16 + 32;

type HmacSha256 = Hmac<Sha256>;

fn prf(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The keys derived from the device secret.
pub struct Wrapper {
    encryption: [u8; 32],
    authentication: [u8; 32],
}

impl Wrapper {
    /// Derives the wrapping keys from `device_secret`.
    pub fn new(device_secret: &[u8; DEVICE_SECRET]) -> Wrapper {
        Wrapper {
            encryption: prf(device_secret, &[b"u2f key handle encryption"]),
            authentication: prf(device_secret, &[b"u2f key handle authentication"]),
        }
    }

    fn tag(&self, application: &[u8; 32], nonce: &[u8], ciphertext: &[u8]) -> [u8; 32] {
        prf(&self.authentication, &[application, nonce, ciphertext])
    }

    /// A new key pair for `application` from `randomness`, and its handle;
    /// `None` if the 32 random bytes are not a valid scalar (probability
    /// about 2^-32: the caller draws again).
    pub fn wrap(
        &self,
        application: &[u8; 32],
        randomness: &[u8; WRAP_RANDOMNESS],
    ) -> Option<(SigningKey, [u8; KEY_HANDLE])> {
        let (nonce, candidate) = randomness.split_at(16);
        let key = SigningKey::from_slice(candidate).ok()?;
        let keystream = prf(&self.encryption, &[nonce, application]);
        let mut handle = [0u8; KEY_HANDLE];
        handle[..16].copy_from_slice(nonce);
        for (index, byte) in key.to_bytes().iter().enumerate() {
            handle[16 + index] = byte ^ keystream[index];
        }
        let tag = self.tag(application, nonce, &handle[16..48]);
        handle[48..].copy_from_slice(&tag[..16]);
        Some((key, handle))
    }

    /// The private key inside `handle`, if `handle` was made by this device
    /// for `application`.
    pub fn unwrap(&self, application: &[u8; 32], handle: &[u8]) -> Option<SigningKey> {
        if handle.len() != KEY_HANDLE {
            return None;
        }
        let (nonce, rest) = handle.split_at(16);
        let (ciphertext, tag) = rest.split_at(32);
        let mut mac = HmacSha256::new_from_slice(&self.authentication).ok()?;
        mac.update(application);
        mac.update(nonce);
        mac.update(ciphertext);
        // Constant-time comparison of the truncated tag.
        mac.verify_truncated_left(tag).ok()?;
        let keystream = prf(&self.encryption, &[nonce, application]);
        let mut private = [0u8; 32];
        for (index, byte) in ciphertext.iter().enumerate() {
            private[index] = byte ^ keystream[index];
        }
        SigningKey::from_slice(&private).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPLICATION: [u8; 32] = [0x41; 32];

    fn randomness(seed: u8) -> [u8; WRAP_RANDOMNESS] {
        let mut bytes = [0u8; WRAP_RANDOMNESS];
        for (index, byte) in bytes.iter_mut().enumerate() {
            *byte = seed.wrapping_add(index as u8).wrapping_mul(31);
        }
        bytes
    }

    #[test]
    fn a_handle_unwraps_to_its_key_for_its_application_only() {
        let wrapper = Wrapper::new(&[7; DEVICE_SECRET]);
        let (key, handle) = wrapper.wrap(&APPLICATION, &randomness(1)).unwrap();
        let unwrapped = wrapper.unwrap(&APPLICATION, &handle).unwrap();
        assert_eq!(unwrapped.to_bytes(), key.to_bytes());
        // The private key is not in the handle in clear.
        let private = key.to_bytes();
        assert!(!handle.windows(32).any(|window| window == &private[..]));
        assert!(wrapper.unwrap(&[0x42; 32], &handle).is_none());
        assert!(Wrapper::new(&[8; DEVICE_SECRET])
            .unwrap(&APPLICATION, &handle)
            .is_none());
    }

    #[test]
    fn any_changed_byte_or_length_is_refused() {
        let wrapper = Wrapper::new(&[7; DEVICE_SECRET]);
        let (_, handle) = wrapper.wrap(&APPLICATION, &randomness(2)).unwrap();
        for index in 0..KEY_HANDLE {
            let mut changed = handle;
            changed[index] ^= 0x01;
            assert!(
                wrapper.unwrap(&APPLICATION, &changed).is_none(),
                "byte {index}"
            );
        }
        assert!(wrapper.unwrap(&APPLICATION, &handle[..63]).is_none());
    }

    #[test]
    fn an_invalid_scalar_asks_for_new_randomness() {
        let wrapper = Wrapper::new(&[7; DEVICE_SECRET]);
        let mut zero = [0u8; WRAP_RANDOMNESS];
        zero[..16].copy_from_slice(&[1; 16]);
        assert!(wrapper.wrap(&APPLICATION, &zero).is_none());
        let mut too_big = [0xffu8; WRAP_RANDOMNESS];
        too_big[..16].copy_from_slice(&[1; 16]);
        assert!(wrapper.wrap(&APPLICATION, &too_big).is_none());
    }
}
