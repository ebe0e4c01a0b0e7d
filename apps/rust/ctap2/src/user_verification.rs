//! The PIN side of the authenticator: the client PIN module's state and
//! storage, authenticatorClientPIN, and the pinUvAuthParam checks of
//! MakeCredential and GetAssertion (CTAP 2.1, 6.1.2 steps 1-11 and 6.2.2
//! steps 1-8 as far as they concern PINs).
//!
//! PIN records ([`crate::persistent`]): `PIN_FIRST_KEY` holds LEFT(SHA-256(PIN),
//! 16), `PIN_FIRST_KEY + 1` the retries left (one byte), `PIN_FIRST_KEY + 2`
//! the minimum PIN length (one byte, absent means the default).

use crate::authenticator::{Authenticator, Platform};
use crate::client_pin::{
    Permissions, PinStorage, DEFAULT_MINIMUM_PIN_LENGTH, MAXIMUM_PIN_RETRIES, PIN_HASH_LENGTH,
};
use crate::persistent::{Persistent, Records, PIN_FIRST_KEY};
use crate::pin_protocol::PinProtocol;
use crate::random::SeededRng;
use ctap_types::ctap2::client_pin;
use ctap_types::Error;

const PIN_HASH_KEY: u16 = PIN_FIRST_KEY;
const PIN_RETRIES_KEY: u16 = PIN_FIRST_KEY + 1;
const MINIMUM_PIN_LENGTH_KEY: u16 = PIN_FIRST_KEY + 2;

/// What a pinUvAuthParam must allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// authenticatorMakeCredential (mc).
    MakeCredential,
    /// authenticatorGetAssertion (ga).
    GetAssertion,
}

impl<R: Records> PinStorage for Persistent<R> {
    fn pin_hash(&mut self) -> Result<Option<[u8; PIN_HASH_LENGTH]>, Error> {
        let mut hash = [0u8; PIN_HASH_LENGTH];
        match self.records.get(PIN_HASH_KEY, &mut hash)? {
            None => Ok(None),
            Some(PIN_HASH_LENGTH) => Ok(Some(hash)),
            Some(_) => Err(Error::Other),
        }
    }

    fn set_pin_hash(&mut self, hash: &[u8; PIN_HASH_LENGTH]) -> Result<(), Error> {
        Ok(self.records.insert(PIN_HASH_KEY, hash)?)
    }

    fn pin_retries(&mut self) -> Result<u8, Error> {
        let mut retries = [0u8; 1];
        match self.records.get(PIN_RETRIES_KEY, &mut retries)? {
            None => Ok(MAXIMUM_PIN_RETRIES),
            Some(1) => Ok(retries[0]),
            Some(_) => Err(Error::Other),
        }
    }

    fn set_pin_retries(&mut self, retries: u8) -> Result<(), Error> {
        Ok(self.records.insert(PIN_RETRIES_KEY, &[retries])?)
    }

    fn minimum_pin_length(&mut self) -> Result<u8, Error> {
        let mut length = [0u8; 1];
        match self.records.get(MINIMUM_PIN_LENGTH_KEY, &mut length)? {
            Some(1) => Ok(length[0]),
            _ => Ok(DEFAULT_MINIMUM_PIN_LENGTH),
        }
    }
}

impl<R: Records> Authenticator<R> {
    /// Whether a PIN is set (a storage fault counts as set: the stricter).
    pub(crate) fn pin_is_set(&mut self) -> bool {
        self.client_pin
            .is_pin_set(&mut self.persistent)
            .unwrap_or(true)
    }

    /// The minimum PIN length GetInfo reports.
    pub(crate) fn min_pin_length(&mut self) -> usize {
        usize::from(
            self.persistent
                .minimum_pin_length()
                .unwrap_or(DEFAULT_MINIMUM_PIN_LENGTH),
        )
    }

    /// authenticatorClientPIN.
    // Its own frame: inlined into the dispatcher, every command's locals
    // would be on the stack at once.
    #[inline(never)]
    pub(crate) fn client_pin_command(
        &mut self,
        platform: &mut impl Platform,
        request: &client_pin::Request,
    ) -> Result<client_pin::Response, Error> {
        let mut rng = SeededRng::from_platform(platform)?;
        self.client_pin
            .process(request, &mut self.persistent, &mut rng)
    }

    /// Checks a request's pinUvAuthParam: `Ok(true)` when it proves user
    /// verification with `permission` for `rp_id`, `Ok(false)` when there
    /// is none. A zero-length one is a platform asking which PIN state the
    /// device is in, after a touch (6.1.2 step 1).
    pub(crate) fn verify_request(
        &mut self,
        platform: &mut impl Platform,
        param: Option<&[u8]>,
        protocol: Option<u32>,
        client_data_hash: &[u8],
        permission: Permission,
        rp_id: &str,
    ) -> Result<bool, Error> {
        let Some(param) = param else {
            return Ok(false);
        };
        if param.is_empty() {
            platform.wait_for_presence()?;
            return Err(if self.pin_is_set() {
                Error::PinInvalid
            } else {
                Error::PinNotSet
            });
        }
        let number = protocol.ok_or(Error::MissingParameter)?;
        let protocol = PinProtocol::from_number(u8::try_from(number).unwrap_or(0))?;
        let permissions = match permission {
            Permission::MakeCredential => Permissions::MAKE_CREDENTIAL,
            Permission::GetAssertion => Permissions::GET_ASSERTION,
        };
        self.client_pin.verify_pin_uv_auth_param(
            protocol,
            client_data_hash,
            param,
            permissions,
            Some(rp_id),
        )?;
        Ok(true)
    }

    /// After a MakeCredential or GetAssertion that used the token: its
    /// flags and permissions are spent (6.1.2 step 12, 6.2.2 step 10).
    pub(crate) fn spend_token(&mut self) {
        self.client_pin.clear_user_present_flag();
        self.client_pin.clear_user_verified_flag();
        self.client_pin.clear_permissions_except_large_blob_write();
    }

    /// Advances the token's timers to `now_ms` (uptime).
    pub(crate) fn advance_pin_time(&mut self, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(self.last_request_ms);
        self.last_request_ms = now_ms;
        self.client_pin
            .advance_time(u32::try_from(elapsed).unwrap_or(u32::MAX));
    }
}
