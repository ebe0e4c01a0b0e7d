//! The authenticatorClientPIN subcommands (CTAP 2.1, 6.5.5), in the order
//! of checks the spec gives for each.

use ctap_types::ctap2::client_pin::{Request, Response};
use ctap_types::ctap2::Error;
use ctap_types::Bytes;
use p256::elliptic_curve::rand_core::CryptoRngCore;
use p256::elliptic_curve::subtle::ConstantTimeEq;
use p256::elliptic_curve::zeroize::Zeroize;
use sha2::{Digest, Sha256};

use super::{
    ClientPin, Permissions, PinStorage, TokenUsage, CONSECUTIVE_FAILURES_BEFORE_POWER_CYCLE,
    MAXIMUM_PIN_BYTES, MAXIMUM_PIN_RETRIES, PADDED_PIN_LENGTH, PIN_HASH_LENGTH,
};
use crate::pin_protocol::{KeyAgreementKey, PinProtocol, SharedSecret, BLOCK_LENGTH, TOKEN_LENGTH};

/// The platform key of a request, as the shared secret it yields.
fn shared_secret_of(
    client_pin: &ClientPin,
    protocol: PinProtocol,
    request: &Request,
) -> Result<SharedSecret, Error> {
    let key = request
        .key_agreement
        .as_ref()
        .ok_or(Error::MissingParameter)?;
    client_pin.shared_secret(protocol, &key.x, &key.y)
}

fn required<T>(value: Option<T>) -> Result<T, Error> {
    value.ok_or(Error::MissingParameter)
}

impl ClientPin {
    pub(super) fn get_retries(&self, storage: &mut impl PinStorage) -> Result<Response, Error> {
        let mut response = Response::default();
        response.retries = Some(storage.pin_retries()?);
        response.power_cycle_state = Some(self.power_cycle_required());
        Ok(response)
    }

    pub(super) fn get_key_agreement(&self, request: &Request) -> Result<Response, Error> {
        let protocol = PinProtocol::from_option(request.pin_protocol)?;
        let mut response = Response::default();
        response.key_agreement = Some(
            self.protocols[protocol.index()]
                .key_agreement
                .cose_public_key(),
        );
        Ok(response)
    }

    pub(super) fn set_pin(
        &mut self,
        request: &Request,
        storage: &mut impl PinStorage,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Response, Error> {
        let protocol = required(request.pin_protocol)?;
        required(request.key_agreement.as_ref())?;
        let new_pin_encrypted = required(request.new_pin_enc)?;
        let param = required(request.pin_auth)?;
        let protocol = PinProtocol::from_number(protocol)?;
        if storage.pin_hash()?.is_some() {
            return Err(Error::NotAllowed);
        }
        let secret = shared_secret_of(self, protocol, request)?;
        if !secret.verify(new_pin_encrypted, param) {
            return Err(Error::PinAuthInvalid);
        }
        let hash = new_pin_hash(&secret, new_pin_encrypted, storage)?;
        storage.set_pin_hash(&hash)?;
        storage.set_pin_retries(MAXIMUM_PIN_RETRIES)?;
        self.reset_tokens(rng);
        Ok(Response::default())
    }

    pub(super) fn change_pin(
        &mut self,
        request: &Request,
        storage: &mut impl PinStorage,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Response, Error> {
        let protocol = required(request.pin_protocol)?;
        required(request.key_agreement.as_ref())?;
        let pin_hash_encrypted = required(request.pin_hash_enc)?;
        let new_pin_encrypted = required(request.new_pin_enc)?;
        let param = required(request.pin_auth)?;
        let protocol = PinProtocol::from_number(protocol)?;
        let stored_hash = self.check_pin_usable(storage)?;
        let secret = shared_secret_of(self, protocol, request)?;
        if !secret.verify_parts(&[new_pin_encrypted, pin_hash_encrypted], param) {
            return Err(Error::PinAuthInvalid);
        }
        self.verify_pin_hash(
            protocol,
            &secret,
            pin_hash_encrypted,
            &stored_hash,
            storage,
            rng,
        )?;
        let hash = new_pin_hash(&secret, new_pin_encrypted, storage)?;
        storage.set_pin_hash(&hash)?;
        self.reset_tokens(rng);
        Ok(Response::default())
    }

    pub(super) fn get_pin_token(
        &mut self,
        request: &Request,
        storage: &mut impl PinStorage,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Response, Error> {
        let protocol = required(request.pin_protocol)?;
        required(request.key_agreement.as_ref())?;
        let pin_hash_encrypted = required(request.pin_hash_enc)?;
        let protocol = PinProtocol::from_number(protocol)?;
        if request.permissions.is_some() || request.rp_id.is_some() {
            return Err(Error::InvalidParameter);
        }
        // CTAP 2.0 compatibility: a PIN token may make credentials and assertions.
        let permissions = Permissions::MAKE_CREDENTIAL | Permissions::GET_ASSERTION;
        self.issue_token(
            protocol,
            request,
            pin_hash_encrypted,
            permissions,
            storage,
            rng,
        )
    }

    pub(super) fn get_token_with_permissions(
        &mut self,
        request: &Request,
        storage: &mut impl PinStorage,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Response, Error> {
        let protocol = required(request.pin_protocol)?;
        let permissions = required(request.permissions)?;
        required(request.key_agreement.as_ref())?;
        let pin_hash_encrypted = required(request.pin_hash_enc)?;
        let protocol = PinProtocol::from_number(protocol)?;
        if permissions == 0 {
            return Err(Error::InvalidParameter);
        }
        let permissions =
            Permissions::from_bits(permissions).ok_or(Error::UnauthorizedPermission)?;
        if !self.supported_permissions.contains(permissions) {
            return Err(Error::UnauthorizedPermission);
        }
        let rp_scoped = Permissions::MAKE_CREDENTIAL | Permissions::GET_ASSERTION;
        if permissions.intersects(rp_scoped) && request.rp_id.is_none() {
            return Err(Error::MissingParameter);
        }
        let response = self.issue_token(
            protocol,
            request,
            pin_hash_encrypted,
            permissions,
            storage,
            rng,
        )?;
        self.usage.rp_id_hash = request.rp_id.map(|id| Sha256::digest(id.as_bytes()).into());
        Ok(response)
    }

    /// The common tail of getPinToken and getPinUvAuthTokenUsingPinWithPermissions:
    /// verify the PIN, then start a new token with `permissions`, returned
    /// encrypted under the shared secret.
    fn issue_token(
        &mut self,
        protocol: PinProtocol,
        request: &Request,
        pin_hash_encrypted: &[u8],
        permissions: Permissions,
        storage: &mut impl PinStorage,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Response, Error> {
        let stored_hash = self.check_pin_usable(storage)?;
        let secret = shared_secret_of(self, protocol, request)?;
        self.verify_pin_hash(
            protocol,
            &secret,
            pin_hash_encrypted,
            &stored_hash,
            storage,
            rng,
        )?;
        self.reset_tokens(rng);
        self.usage = TokenUsage {
            in_use: true,
            permissions,
            user_verified: true,
            ..TokenUsage::default()
        };
        let mut buffer = [0; TOKEN_LENGTH + BLOCK_LENGTH];
        let token = &self.protocols[protocol.index()].token;
        let encrypted = secret.encrypt(token, rng, &mut buffer)?;
        let mut response = Response::default();
        response.pin_token = Some(Bytes::try_from(encrypted).map_err(|_| Error::Other)?);
        Ok(response)
    }

    /// The stored PIN hash, if a PIN may be tried now.
    fn check_pin_usable(
        &self,
        storage: &mut impl PinStorage,
    ) -> Result<[u8; PIN_HASH_LENGTH], Error> {
        if storage.pin_retries()? == 0 {
            return Err(Error::PinBlocked);
        }
        let stored_hash = storage.pin_hash()?.ok_or(Error::PinNotSet)?;
        if self.power_cycle_required() {
            return Err(Error::PinAuthBlocked);
        }
        Ok(stored_hash)
    }

    /// Compares the platform's encrypted PIN hash with the stored one,
    /// spending a retry first and restoring all retries on a match.
    fn verify_pin_hash(
        &mut self,
        protocol: PinProtocol,
        secret: &SharedSecret,
        pin_hash_encrypted: &[u8],
        stored_hash: &[u8; PIN_HASH_LENGTH],
        storage: &mut impl PinStorage,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(), Error> {
        let retries = storage.pin_retries()?.saturating_sub(1);
        // Spend the retry durably before comparing: a power cut must not give
        // a free guess.
        storage.set_pin_retries(retries)?;
        let mut buffer = [0; PIN_HASH_LENGTH + BLOCK_LENGTH];
        let matches = match secret.decrypt(pin_hash_encrypted, &mut buffer) {
            Ok(hash) => bool::from(hash.ct_eq(stored_hash)),
            Err(_) => false,
        };
        buffer.zeroize();
        if !matches {
            self.protocols[protocol.index()].key_agreement = KeyAgreementKey::generate(rng);
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
            return Err(if retries == 0 {
                Error::PinBlocked
            } else if self.consecutive_failures >= CONSECUTIVE_FAILURES_BEFORE_POWER_CYCLE {
                Error::PinAuthBlocked
            } else {
                Error::PinInvalid
            });
        }
        self.consecutive_failures = 0;
        storage.set_pin_retries(MAXIMUM_PIN_RETRIES)
    }

    /// resetPinUvAuthToken() for both protocols: outstanding tokens die.
    fn reset_tokens(&mut self, rng: &mut impl CryptoRngCore) {
        for state in &mut self.protocols {
            rng.fill_bytes(&mut state.token);
        }
        self.stop_using_token();
    }
}

/// Decrypts `newPinEnc`, checks the PIN rules and returns the PIN's hash.
fn new_pin_hash(
    secret: &SharedSecret,
    new_pin_encrypted: &[u8],
    storage: &mut impl PinStorage,
) -> Result<[u8; PIN_HASH_LENGTH], Error> {
    let mut buffer = [0; PADDED_PIN_LENGTH + BLOCK_LENGTH];
    let result = check_new_pin(secret, new_pin_encrypted, &mut buffer, storage);
    // The PIN itself must not linger in RAM.
    buffer.zeroize();
    result
}

fn check_new_pin(
    secret: &SharedSecret,
    new_pin_encrypted: &[u8],
    buffer: &mut [u8; PADDED_PIN_LENGTH + BLOCK_LENGTH],
    storage: &mut impl PinStorage,
) -> Result<[u8; PIN_HASH_LENGTH], Error> {
    let padded = secret
        .decrypt(new_pin_encrypted, buffer)
        .map_err(|_| Error::PinAuthInvalid)?;
    if padded.len() != PADDED_PIN_LENGTH {
        return Err(Error::InvalidParameter);
    }
    let length = padded
        .iter()
        .rposition(|&byte| byte != 0)
        .map_or(0, |last| last + 1);
    let pin = &padded[..length];
    if pin.len() > MAXIMUM_PIN_BYTES {
        return Err(Error::PinPolicyViolation);
    }
    let code_points = match core::str::from_utf8(pin) {
        Ok(text) => text.chars().count(),
        Err(_) => return Err(Error::PinPolicyViolation),
    };
    if code_points < usize::from(storage.minimum_pin_length()?) {
        return Err(Error::PinPolicyViolation);
    }
    let digest = Sha256::digest(pin);
    let mut hash = [0; PIN_HASH_LENGTH];
    hash.copy_from_slice(&digest[..PIN_HASH_LENGTH]);
    Ok(hash)
}
