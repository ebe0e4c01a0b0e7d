//! The CTAP2 authenticator: its state, what it needs from the device, and
//! the dispatch of a CBOR request (CTAPHID CBOR's payload) to a command.
//!
//! Invariant: every request, however malformed, gets a CTAP status byte
//! (and a CBOR map on success); parsing and building never panic.

use crate::attestation::Attestation;
use crate::client_pin::{ClientPin, Permissions};
use crate::credential_management::CredentialManagement;
use crate::get_assertion::PendingAssertions;
use crate::large_blobs::LargeBlobs;
use crate::persistent::{
    Persistent, Records, CREDENTIAL_FIRST_KEY, CREDENTIAL_LAST_KEY, DEVICE_SECRET, PIN_FIRST_KEY,
    PIN_LAST_KEY,
};
use crate::random::SeededRng;
use crate::resident_credentials::ResidentView;
use ctap_types::ctap2::{credential_management, Request, Response};
use ctap_types::heapless::Vec;
use ctap_types::Error;
use u2f::key_handle::Wrapper;

/// The largest CBOR response (status byte included).
pub const MAX_RESPONSE: usize = 2048;
/// A reset is only allowed this long after power-up (CTAP 2.1, 6.6).
pub const RESET_WINDOW_MS: u64 = 10_000;

/// What the authenticator needs from the device.
pub trait Platform {
    /// Fills `buffer` from a cryptographically secure generator.
    fn fill_random(&mut self, buffer: &mut [u8]) -> Result<(), Error>;
    /// Waits for the user's touch (sending keepalives): `Ok` once given,
    /// `Err(KeepaliveCancel)` if the host cancelled,
    /// `Err(UserActionTimeout)` after 30 s.
    fn wait_for_presence(&mut self) -> Result<(), Error>;
    /// Whether the user touched recently (U2F's presence test, which the
    /// host repeats until it is given); consumes the touch.
    fn take_recent_presence(&mut self) -> bool;
    /// Milliseconds since power-up.
    fn uptime_ms(&mut self) -> u64;
}

/// The device as the U2F crate's platform, sharing this authenticator's
/// counter.
struct U2fPlatform<'a, R: Records, P: Platform> {
    persistent: &'a mut Persistent<R>,
    platform: &'a mut P,
}

impl<R: Records, P: Platform> u2f::u2f::Platform for U2fPlatform<'_, R, P> {
    fn fill_random(&mut self, buffer: &mut [u8]) -> Result<(), u2f::u2f::PlatformError> {
        self.platform
            .fill_random(buffer)
            .map_err(|_| u2f::u2f::PlatformError)
    }

    fn take_user_presence(&mut self) -> bool {
        self.platform.take_recent_presence()
    }

    fn next_counter(&mut self) -> Result<u32, u2f::u2f::PlatformError> {
        self.persistent
            .next_counter()
            .map_err(|_| u2f::u2f::PlatformError)
    }
}

/// The authenticator over the persistent records `R`.
pub struct Authenticator<R: Records> {
    pub(crate) persistent: Persistent<R>,
    pub(crate) wrapper: Wrapper,
    pub(crate) device_secret: [u8; DEVICE_SECRET],
    pub(crate) attestation: Attestation,
    pub(crate) u2f: u2f::u2f::Authenticator,
    pub(crate) pending: Option<PendingAssertions>,
    pub(crate) client_pin: ClientPin,
    pub(crate) credential_management: CredentialManagement,
    /// Uptime at the previous request, for the PIN token's timers.
    pub(crate) last_request_ms: u64,
    /// A large-blob array write in progress.
    pub(crate) large_blobs: LargeBlobs,
}

impl<R: Records> Authenticator<R> {
    /// Opens the authenticator over `records`, making the device secret
    /// on first start.
    #[inline(never)]
    pub fn new(records: R, platform: &mut impl Platform) -> Result<Self, Error> {
        let mut persistent = Persistent::new(records);
        let device_secret = persistent.device_secret(|secret| platform.fill_random(secret))?;
        let attestation = Attestation::built_in().ok_or(Error::Other)?;
        let mut client_pin = ClientPin::new(&mut SeededRng::from_platform(platform)?);
        // authenticatorLargeBlobs is implemented: tokens may carry lbw.
        client_pin.set_supported_permissions(
            Permissions::MAKE_CREDENTIAL
                | Permissions::GET_ASSERTION
                | Permissions::CREDENTIAL_MANAGEMENT
                | Permissions::LARGE_BLOB_WRITE,
        );
        let last_request_ms = platform.uptime_ms();
        Ok(Authenticator {
            persistent,
            wrapper: Wrapper::new(&device_secret),
            device_secret,
            u2f: u2f::u2f::Authenticator::new(&device_secret, attestation.for_u2f()),
            attestation,
            pending: None,
            client_pin,
            credential_management: CredentialManagement::new(),
            last_request_ms,
            large_blobs: LargeBlobs::new(),
        })
    }

    /// The persistent records (for the app's U2F counter and tests).
    pub fn persistent(&mut self) -> &mut Persistent<R> {
        &mut self.persistent
    }

    /// Answers a U2F raw message (CTAPHID MSG) into `response`; returns
    /// its length (data and status word).
    #[inline(never)]
    pub fn handle_u2f(
        &mut self,
        platform: &mut impl Platform,
        message: &[u8],
        response: &mut [u8; u2f::u2f::MAX_RESPONSE],
    ) -> usize {
        self.pending = None;
        self.credential_management.end_enumeration();
        let mut bridge = U2fPlatform {
            persistent: &mut self.persistent,
            platform,
        };
        self.u2f.handle(&mut bridge, message, response)
    }

    /// Answers one CBOR request into `response`; returns its length
    /// (status byte, then the CBOR map if any).
    pub fn handle(
        &mut self,
        platform: &mut impl Platform,
        request: &[u8],
        response: &mut Vec<u8, MAX_RESPONSE>,
    ) {
        response.clear();
        let command = request.first().copied().unwrap_or(0);
        // Any command but GetNextAssertion ends an enumeration.
        if command != 0x08 {
            self.pending = None;
        }
        // The vendor prototype (0x41) shares the command's state.
        if command != 0x0a && command != 0x41 {
            self.credential_management.end_enumeration();
        }
        let now = platform.uptime_ms();
        self.advance_pin_time(now);
        let outcome = match Request::deserialize(request) {
            // Answered straight into `response`: ctap-types' response
            // would carry a whole fragment on the stack.
            Ok(Request::LargeBlobs(parsed)) => {
                if let Err(error) = self.large_blobs_command(&parsed, response) {
                    response.clear();
                    let _ = response.push(error as u8);
                }
                return;
            }
            Ok(parsed) => self.dispatch(platform, &parsed),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(answer) => answer.serialize(response.as_mut_view()),
            Err(error) => {
                // The status byte alone (a Vec of this capacity has room).
                let _ = response.push(error as u8);
            }
        }
    }

    fn dispatch(
        &mut self,
        platform: &mut impl Platform,
        request: &Request,
    ) -> Result<Response, Error> {
        match request {
            Request::GetInfo => Ok(Response::GetInfo(self.info())),
            Request::MakeCredential(request) => self
                .make_credential(platform, request)
                .map(Response::MakeCredential),
            Request::GetAssertion(request) => self
                .get_assertion(platform, request)
                .map(Response::GetAssertion),
            Request::GetNextAssertion => self
                .get_next_assertion(platform)
                .map(Response::GetNextAssertion),
            Request::ClientPin(request) => self
                .client_pin_command(platform, request)
                .map(Response::ClientPin),
            Request::CredentialManagement(request) => self
                .credential_management_command(request)
                .map(Response::CredentialManagement),
            Request::Reset => self.reset(platform).map(|()| Response::Reset),
            Request::Selection => platform.wait_for_presence().map(|()| Response::Selection),
            _ => Err(Error::InvalidCommand),
        }
    }

    /// authenticatorCredentialManagement (and its prototype 0x41).
    // Its own frame: inlined into the dispatcher, every command's locals
    // would be on the stack at once.
    #[inline(never)]
    fn credential_management_command(
        &mut self,
        request: &credential_management::Request,
    ) -> Result<credential_management::Response, Error> {
        let mut view = ResidentView {
            persistent: &mut self.persistent,
            wrapper: &self.wrapper,
        };
        self.credential_management
            .process(request, &mut self.client_pin, &mut view)
    }

    /// authenticatorReset: forgets every resident credential, the PIN and
    /// the large-blob array, and makes a new device secret, so every credential made before
    /// (non-resident and U2F ones too) stops working; only within 10 s of
    /// power-up and with the user's touch. The counter is kept: it never
    /// goes back. Each step is atomic; a power cut in between leaves a
    /// partial reset that the next one completes.
    #[inline(never)]
    fn reset(&mut self, platform: &mut impl Platform) -> Result<(), Error> {
        if platform.uptime_ms() > RESET_WINDOW_MS {
            return Err(Error::NotAllowed);
        }
        platform.wait_for_presence()?;
        let mut secret = [0u8; DEVICE_SECRET];
        platform.fill_random(&mut secret)?;
        self.persistent
            .remove_range(CREDENTIAL_FIRST_KEY, CREDENTIAL_LAST_KEY)?;
        self.persistent.remove_range(PIN_FIRST_KEY, PIN_LAST_KEY)?;
        crate::large_blobs::clear_array(&mut self.persistent.records)?;
        self.large_blobs.abandon();
        self.persistent.replace_device_secret(&secret)?;
        self.wrapper = Wrapper::new(&secret);
        self.u2f = u2f::u2f::Authenticator::new(&secret, self.attestation.for_u2f());
        self.device_secret = secret;
        self.client_pin
            .reset(&mut SeededRng::from_platform(platform)?);
        Ok(())
    }
}
