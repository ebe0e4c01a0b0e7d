//! authenticatorClientPIN (CTAP 2.1, 6.5): PIN set-up, change and
//! verification, pinUvAuthTokens with permissions, and the checks other
//! commands make of a pinUvAuthParam.
//!
//! [`ClientPin`] holds the volatile state: one key agreement key and one
//! pinUvAuthToken per protocol, the token's usage state (permissions, the
//! permissions RP ID, user-present and user-verified flags, timer), and the
//! count of consecutive wrong PINs. The PIN hash and the retry counter persist
//! through [`PinStorage`], which the app implements over its store.
//!
//! Invariants: the retry counter is decremented in storage before a PIN is
//! compared, so a power cut cannot grant a free guess; after three consecutive
//! wrong PINs every PIN check fails with `CTAP2_ERR_PIN_AUTH_BLOCKED` until
//! power cycle (a new `ClientPin`); with no retries left every PIN check fails
//! with `CTAP2_ERR_PIN_BLOCKED`. The authenticator has no built-in user
//! verification, so the UV subcommands are refused.

pub use ctap_types::ctap2::client_pin::Permissions;
use ctap_types::ctap2::client_pin::{PinV1Subcommand, Request, Response};
use ctap_types::ctap2::Error;
use p256::elliptic_curve::rand_core::CryptoRngCore;
use p256::elliptic_curve::zeroize::Zeroize;
use sha2::{Digest, Sha256};

use crate::pin_protocol::{self, KeyAgreementKey, PinProtocol, SharedSecret, TOKEN_LENGTH};

/// PIN retries after a successful PIN entry (and after reset).
pub const MAXIMUM_PIN_RETRIES: u8 = 8;
/// Consecutive wrong PINs after which a power cycle is needed.
pub const CONSECUTIVE_FAILURES_BEFORE_POWER_CYCLE: u8 = 3;
/// The spec's floor on a PIN's length, in Unicode code points.
pub const DEFAULT_MINIMUM_PIN_LENGTH: u8 = 4;
/// Longest PIN, in UTF-8 bytes.
pub const MAXIMUM_PIN_BYTES: usize = 63;
/// Length of the zero-padded PIN inside `newPinEnc`.
pub const PADDED_PIN_LENGTH: usize = 64;
/// Length of the stored PIN hash: LEFT(SHA-256(PIN), 16).
pub const PIN_HASH_LENGTH: usize = 16;
/// A token not used within this time after it was obtained expires.
pub const INITIAL_USAGE_TIME_LIMIT_MILLISECONDS: u32 = 30_000;
/// A token expires this long after it was obtained, used or not.
pub const MAXIMUM_USAGE_TIME_MILLISECONDS: u32 = 600_000;

/// Persistent PIN state, implemented by the app over its store. A write must
/// be durable when it returns `Ok`.
pub trait PinStorage {
    /// LEFT(SHA-256(PIN), 16) of the current PIN, or `None` if no PIN is set.
    fn pin_hash(&mut self) -> Result<Option<[u8; PIN_HASH_LENGTH]>, Error>;
    /// Stores a new PIN hash (setPIN, changePIN).
    fn set_pin_hash(&mut self, hash: &[u8; PIN_HASH_LENGTH]) -> Result<(), Error>;
    /// PIN retries left (8 when no PIN was ever entered wrong).
    fn pin_retries(&mut self) -> Result<u8, Error>;
    /// Stores the PIN retries left.
    fn set_pin_retries(&mut self, retries: u8) -> Result<(), Error>;
    /// Minimum PIN length in code points: [`DEFAULT_MINIMUM_PIN_LENGTH`]
    /// unless authenticatorConfig raised it.
    fn minimum_pin_length(&mut self) -> Result<u8, Error> {
        Ok(DEFAULT_MINIMUM_PIN_LENGTH)
    }
}

/// Key agreement key and pinUvAuthToken of one protocol.
struct ProtocolState {
    key_agreement: KeyAgreementKey,
    token: [u8; TOKEN_LENGTH],
}

impl ProtocolState {
    fn new(rng: &mut impl CryptoRngCore) -> Self {
        let mut token = [0; TOKEN_LENGTH];
        rng.fill_bytes(&mut token);
        ProtocolState {
            key_agreement: KeyAgreementKey::generate(rng),
            token,
        }
    }
}

impl Drop for ProtocolState {
    fn drop(&mut self) {
        self.token.zeroize();
    }
}

/// The pinUvAuthToken usage state (6.5.2.1), shared by both protocols' tokens.
#[derive(Default)]
struct TokenUsage {
    in_use: bool,
    permissions: Permissions,
    /// SHA-256 of the permissions RP ID; comparing hashes is comparing IDs.
    rp_id_hash: Option<[u8; 32]>,
    user_verified: bool,
    user_present: bool,
    used: bool,
    elapsed_milliseconds: u32,
}

/// authenticatorClientPIN state. Create one at power-up: creation is the power
/// cycle that clears a PIN_AUTH_BLOCKED state.
pub struct ClientPin {
    protocols: [ProtocolState; 2],
    usage: TokenUsage,
    consecutive_failures: u8,
    supported_permissions: Permissions,
}

mod commands;

impl ClientPin {
    /// Power-up initialisation: fresh key agreement keys and tokens for both
    /// protocols. The token permissions granted default to mc, ga and cm.
    pub fn new(rng: &mut impl CryptoRngCore) -> Self {
        ClientPin {
            protocols: [ProtocolState::new(rng), ProtocolState::new(rng)],
            usage: TokenUsage::default(),
            consecutive_failures: 0,
            supported_permissions: Permissions::MAKE_CREDENTIAL
                | Permissions::GET_ASSERTION
                | Permissions::CREDENTIAL_MANAGEMENT,
        }
    }

    /// Sets the permissions getPinUvAuthTokenUsingPinWithPermissions may grant
    /// (add lbw or acfg when the app implements those commands); others are
    /// refused with `CTAP2_ERR_UNAUTHORIZED_PERMISSION`.
    pub fn set_supported_permissions(&mut self, permissions: Permissions) {
        self.supported_permissions = permissions;
    }

    /// Handles one authenticatorClientPIN request.
    // Not inlined: the app's dispatcher would otherwise carry this command's
    // locals in its own frame during every other command too.
    #[inline(never)]
    pub fn process(
        &mut self,
        request: &Request,
        storage: &mut impl PinStorage,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Response, Error> {
        match request.sub_command {
            PinV1Subcommand::GetRetries => self.get_retries(storage),
            PinV1Subcommand::GetKeyAgreement => self.get_key_agreement(request),
            PinV1Subcommand::SetPin => self.set_pin(request, storage, rng),
            PinV1Subcommand::ChangePin => self.change_pin(request, storage, rng),
            PinV1Subcommand::GetPinToken => self.get_pin_token(request, storage, rng),
            PinV1Subcommand::GetPinUvAuthTokenUsingPinWithPermissions => {
                self.get_token_with_permissions(request, storage, rng)
            }
            // No built-in user verification: the UV subcommands do not exist here.
            _ => Err(Error::InvalidSubcommand),
        }
    }

    /// Whether a PIN is set (GetInfo's clientPin option, and the "PIN set but
    /// no pinUvAuthParam" rules of MakeCredential and GetAssertion).
    pub fn is_pin_set(&self, storage: &mut impl PinStorage) -> Result<bool, Error> {
        Ok(storage.pin_hash()?.is_some())
    }

    /// Whether three consecutive wrong PINs need a power cycle.
    pub fn power_cycle_required(&self) -> bool {
        self.consecutive_failures >= CONSECUTIVE_FAILURES_BEFORE_POWER_CYCLE
    }

    /// authenticatorReset: new keys and tokens, no token in use, no failures.
    /// The app erases the stored PIN hash and restores the retries itself.
    pub fn reset(&mut self, rng: &mut impl CryptoRngCore) {
        *self = ClientPin {
            supported_permissions: self.supported_permissions,
            ..ClientPin::new(rng)
        };
    }

    /// The shared secret between `protocol`'s key agreement key and the
    /// platform's (COSE x and y coordinates), for hmac-secret.
    pub fn shared_secret(
        &self,
        protocol: PinProtocol,
        platform_x: &[u8],
        platform_y: &[u8],
    ) -> Result<SharedSecret, Error> {
        self.protocols[protocol.index()]
            .key_agreement
            .shared_secret(protocol, platform_x, platform_y)
    }

    /// Checks a pinUvAuthParam made with the current pinUvAuthToken of
    /// `protocol` over `message` (the clientDataHash for MakeCredential and
    /// GetAssertion), then that the token carries `permission`, is bound to
    /// `rp_id` if it is bound at all (binding it now if it is not), and has its
    /// user-verified flag. Every failure is `CTAP2_ERR_PIN_AUTH_INVALID`.
    /// `rp_id` is `None` for permissions that are not RP-scoped.
    pub fn verify_pin_uv_auth_param(
        &mut self,
        protocol: PinProtocol,
        message: &[u8],
        param: &[u8],
        permission: Permissions,
        rp_id: Option<&str>,
    ) -> Result<(), Error> {
        self.verify_token_param(protocol, &[message], param)?;
        let rp_id_hash = rp_id.map(|id| -> [u8; 32] { Sha256::digest(id.as_bytes()).into() });
        self.check_permission(permission, rp_id_hash.as_ref())?;
        if let (None, Some(hash)) = (self.usage.rp_id_hash, rp_id_hash) {
            self.usage.rp_id_hash = Some(hash);
        }
        Ok(())
    }

    /// Verifies `param` as a tag of the in-use token of `protocol` over the
    /// concatenation of `parts`, marking the token used. No permission check.
    pub fn verify_token_param(
        &mut self,
        protocol: PinProtocol,
        parts: &[&[u8]],
        param: &[u8],
    ) -> Result<(), Error> {
        let token = &self.protocols[protocol.index()].token;
        if !self.usage.in_use || !pin_protocol::verify_parts(protocol, token, parts, param) {
            return Err(Error::PinAuthInvalid);
        }
        self.usage.used = true;
        Ok(())
    }

    /// Checks that the in-use token carries `permission` and, when
    /// `rp_id_hash` is given and the token is bound, that it is bound to that
    /// RP; also that the user-verified flag is set.
    pub fn check_permission(
        &self,
        permission: Permissions,
        rp_id_hash: Option<&[u8; 32]>,
    ) -> Result<(), Error> {
        let usage = &self.usage;
        let rp_matches = match (usage.rp_id_hash.as_ref(), rp_id_hash) {
            (Some(bound), Some(requested)) => bound == requested,
            _ => true,
        };
        if !usage.in_use || !usage.permissions.contains(permission) || !rp_matches {
            return Err(Error::PinAuthInvalid);
        }
        if !usage.user_verified {
            return Err(Error::PinAuthInvalid);
        }
        Ok(())
    }

    /// Whether the in-use token carries `permission`, whatever its flags:
    /// lbw outlives the assertion that spent the user-verified flag, for
    /// the large-blob write that follows it (CTAP 2.1, 6.10.2).
    pub fn token_has_permission(&self, permission: Permissions) -> bool {
        self.usage.in_use && self.usage.permissions.contains(permission)
    }

    /// SHA-256 of the in-use token's permissions RP ID, if it has one.
    pub fn permissions_rp_id_hash(&self) -> Option<&[u8; 32]> {
        self.usage.rp_id_hash.as_ref().filter(|_| self.usage.in_use)
    }

    /// getUserPresentFlagValue(): whether the token already carries a user
    /// presence test (never for a PIN-obtained token until the app sets it).
    pub fn user_present_flag(&self) -> bool {
        self.usage.in_use && self.usage.user_present
    }

    /// Records that a user presence test was made while using the token.
    pub fn set_user_present_flag(&mut self) {
        self.usage.user_present = self.usage.in_use;
    }

    /// clearUserPresentFlag().
    pub fn clear_user_present_flag(&mut self) {
        self.usage.user_present = false;
    }

    /// getUserVerifiedFlagValue().
    pub fn user_verified_flag(&self) -> bool {
        self.usage.in_use && self.usage.user_verified
    }

    /// clearUserVerifiedFlag().
    pub fn clear_user_verified_flag(&mut self) {
        self.usage.user_verified = false;
    }

    /// clearPinUvAuthTokenPermissionsExceptLbw(): MakeCredential and
    /// GetAssertion call it after using the token.
    pub fn clear_permissions_except_large_blob_write(&mut self) {
        self.usage.permissions &= Permissions::LARGE_BLOB_WRITE;
    }

    /// The usage timer: call with the time passed since the last call. The
    /// token expires 30 s after it was obtained unless used, and after 10 min.
    pub fn advance_time(&mut self, elapsed_milliseconds: u32) {
        let usage = &mut self.usage;
        if !usage.in_use {
            return;
        }
        usage.elapsed_milliseconds = usage
            .elapsed_milliseconds
            .saturating_add(elapsed_milliseconds);
        let unused_too_long =
            !usage.used && usage.elapsed_milliseconds > INITIAL_USAGE_TIME_LIMIT_MILLISECONDS;
        if unused_too_long || usage.elapsed_milliseconds > MAXIMUM_USAGE_TIME_MILLISECONDS {
            self.stop_using_token();
        }
    }

    /// Replaces `protocol`'s token, so that recorded requests of a real
    /// platform, authenticated with a known token, can be replayed.
    #[cfg(test)]
    pub(crate) fn replace_token_for_tests(
        &mut self,
        protocol: PinProtocol,
        token: [u8; TOKEN_LENGTH],
    ) {
        self.protocols[protocol.index()].token = token;
    }

    /// stopUsingPinUvAuthToken(): the token no longer authenticates anything.
    pub fn stop_using_token(&mut self) {
        self.usage = TokenUsage::default();
    }
}

#[cfg(test)]
pub(crate) mod tests;
