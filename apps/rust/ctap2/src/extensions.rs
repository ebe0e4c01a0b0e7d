//! The hmac-secret extension (CTAP 2.1, 12.5) on the assertion side: the
//! platform's salts, decrypted with the PIN protocol's shared secret, give
//! HMAC-SHA-256(CredRandom, salt) outputs, encrypted back.
//!
//! Each credential has two CredRandom values, one used with user
//! verification and one without, so a site that learns outputs without
//! the PIN learns nothing about those with it. Both derive from the
//! device secret and the credential's private key (which only exists
//! wrapped in its ID): nothing more to store, and a reset, which makes a
//! new device secret, changes them all. (credProtect, the other
//! extension, is enforced in [`crate::get_assertion`].)

use crate::authenticator::Authenticator;
use crate::persistent::Records;
use crate::pin_protocol::PinProtocol;
use crate::random::SeededRng;
use ctap_types::ctap2::get_assertion::HmacSecretInput;
use ctap_types::{Bytes, Error};
use hmac::{Hmac, Mac};
use p256::ecdsa::SigningKey;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 32], Error> {
    let mut mac = HmacSha256::new_from_slice(key).map_err(|_| Error::Other)?;
    for part in parts {
        mac.update(part);
    }
    Ok(mac.finalize().into_bytes().into())
}

/// CredRandom of the credential with `key`, for use with or without user
/// verification.
pub fn cred_random(
    device_secret: &[u8; 32],
    key: &SigningKey,
    verified: bool,
) -> Result<[u8; 32], Error> {
    let label: &[u8] = if verified {
        b"ctap2 credRandom with uv"
    } else {
        b"ctap2 credRandom without uv"
    };
    hmac(device_secret, &[label, &key.to_bytes()])
}

impl<R: Records> Authenticator<R> {
    /// The encrypted hmac-secret output for `input` and the credential
    /// with `key`.
    pub(crate) fn hmac_secret(
        &mut self,
        input: &HmacSecretInput,
        key: &SigningKey,
        verified: bool,
        seed: [u8; 32],
    ) -> Result<Bytes<80>, Error> {
        let number = input.pin_protocol.unwrap_or(1);
        let protocol = PinProtocol::from_number(u8::try_from(number).unwrap_or(0))?;
        let shared = self.client_pin.shared_secret(
            protocol,
            &input.key_agreement.x,
            &input.key_agreement.y,
        )?;
        if !shared.verify(&input.salt_enc, &input.salt_auth) {
            return Err(Error::PinAuthInvalid);
        }
        let mut salts = [0u8; 64];
        let salts = shared.decrypt(&input.salt_enc, &mut salts)?;
        if salts.len() != 32 && salts.len() != 64 {
            return Err(Error::InvalidLength);
        }
        let random = cred_random(&self.device_secret, key, verified)?;
        let mut outputs = [0u8; 64];
        for (salt, output) in salts.chunks(32).zip(outputs.chunks_mut(32)) {
            output.copy_from_slice(&hmac(&random, &[salt])?);
        }
        let mut encrypted = [0u8; 80];
        let mut rng = SeededRng::from_seed(seed);
        let encrypted = shared.encrypt(&outputs[..salts.len()], &mut rng, &mut encrypted)?;
        Bytes::try_from(encrypted).map_err(|_| Error::Other)
    }
}
