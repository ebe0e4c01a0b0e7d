//! U2F raw messages (FIDO U2F Raw Message Formats v1.2): VERSION, REGISTER
//! and AUTHENTICATE, answered with data and a status word.

use crate::apdu;
use crate::key_handle::{Wrapper, KEY_HANDLE, WRAP_RANDOMNESS};
use p256::ecdsa::signature::DigestSigner;
use p256::ecdsa::{DerSignature, Signature, SigningKey};
use sha2::{Digest, Sha256};

/// Status words (ISO 7816-4, as U2F uses them).
pub mod status {
    /// Success.
    pub const NO_ERROR: u16 = 0x9000;
    /// User presence is required and was not given (the client retries).
    pub const CONDITIONS_NOT_SATISFIED: u16 = 0x6985;
    /// A key handle that is not ours, or malformed request data.
    pub const WRONG_DATA: u16 = 0x6a80;
    /// The request's length is wrong.
    pub const WRONG_LENGTH: u16 = 0x6700;
    /// The class byte is not 0.
    pub const CLA_NOT_SUPPORTED: u16 = 0x6e00;
    /// The instruction is not known.
    pub const INS_NOT_SUPPORTED: u16 = 0x6d00;
    /// The device could not do it (no randomness, storage failed).
    pub const INTERNAL_ERROR: u16 = 0x6f00;
}

/// Instructions.
pub mod instruction {
    /// Create a key pair for an application.
    pub const REGISTER: u8 = 0x01;
    /// Sign with a registered key.
    pub const AUTHENTICATE: u8 = 0x02;
    /// The protocol version string.
    pub const VERSION: u8 = 0x03;
}

/// AUTHENTICATE's control byte (P1).
pub mod control {
    /// Only say whether the key handle is ours.
    pub const CHECK_ONLY: u8 = 0x07;
    /// Sign, requiring user presence.
    pub const ENFORCE_PRESENCE: u8 = 0x03;
    /// Sign whether or not the user is present.
    pub const DONT_ENFORCE_PRESENCE: u8 = 0x08;
}

/// The largest response: REGISTER with a certificate of up to 512 bytes.
pub const MAX_RESPONSE: usize = 1 + 65 + 1 + KEY_HANDLE + 512 + 72 + 2;

/// A device service failed (randomness or persistent storage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlatformError;

/// What the message handler needs from the device.
pub trait Platform {
    /// Fills `buffer` from a cryptographically secure generator.
    fn fill_random(&mut self, buffer: &mut [u8]) -> Result<(), PlatformError>;
    /// Whether the user showed presence since the last call (consumes it).
    fn take_user_presence(&mut self) -> bool;
    /// Advances the signature counter, persists it, and returns the new
    /// value; only returns once the value is stored.
    fn next_counter(&mut self) -> Result<u32, PlatformError>;
}

/// The attestation identity: its key and its X.509 certificate (DER).
pub struct Attestation {
    /// Signs registrations.
    pub key: SigningKey,
    /// The certificate of `key`'s public key.
    pub certificate: &'static [u8],
}

/// Writes a response: data, then the status word.
struct Response<'a> {
    buffer: &'a mut [u8; MAX_RESPONSE],
    length: usize,
}

impl Response<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), u16> {
        let end = self.length + bytes.len();
        // The last two bytes are kept for the status word.
        let target = self
            .buffer
            .get_mut(self.length..end)
            .filter(|_| end + 2 <= MAX_RESPONSE)
            .ok_or(status::INTERNAL_ERROR)?;
        target.copy_from_slice(bytes);
        self.length = end;
        Ok(())
    }
}

/// The U2F authenticator.
pub struct Authenticator {
    wrapper: Wrapper,
    attestation: Attestation,
}

fn signature_der(key: &SigningKey, digest: Sha256) -> DerSignature {
    let signature: Signature = key.sign_digest(digest);
    signature.to_der()
}

impl Authenticator {
    /// An authenticator wrapping keys under `device_secret`.
    pub fn new(device_secret: &[u8; 32], attestation: Attestation) -> Authenticator {
        Authenticator {
            wrapper: Wrapper::new(device_secret),
            attestation,
        }
    }

    /// Answers one raw message into `response`; returns the length (data
    /// and status word).
    pub fn handle(
        &self,
        platform: &mut impl Platform,
        message: &[u8],
        response: &mut [u8; MAX_RESPONSE],
    ) -> usize {
        let mut writer = Response {
            buffer: response,
            length: 0,
        };
        let word = match apdu::parse(message) {
            Err(apdu::WrongLength) => status::WRONG_LENGTH,
            Ok(request) if request.class != 0 => status::CLA_NOT_SUPPORTED,
            Ok(request) => {
                let result = match request.instruction {
                    instruction::VERSION if request.data.is_empty() => writer.put(b"U2F_V2"),
                    instruction::VERSION => Err(status::WRONG_LENGTH),
                    instruction::REGISTER => self.register(platform, request.data, &mut writer),
                    instruction::AUTHENTICATE => self.authenticate(platform, &request, &mut writer),
                    _ => Err(status::INS_NOT_SUPPORTED),
                };
                match result {
                    Ok(()) => status::NO_ERROR,
                    Err(word) => {
                        // An error carries no data.
                        writer.length = 0;
                        word
                    }
                }
            }
        };
        let length = writer.length;
        response[length..length + 2].copy_from_slice(&word.to_be_bytes());
        length + 2
    }

    fn register(
        &self,
        platform: &mut impl Platform,
        data: &[u8],
        out: &mut Response,
    ) -> Result<(), u16> {
        let (challenge, application) = split_parameters(data).ok_or(status::WRONG_LENGTH)?;
        if data.len() != 64 {
            return Err(status::WRONG_LENGTH);
        }
        if !platform.take_user_presence() {
            return Err(status::CONDITIONS_NOT_SATISFIED);
        }
        let (key, handle) = loop {
            let mut randomness = [0u8; WRAP_RANDOMNESS];
            platform
                .fill_random(&mut randomness)
                .map_err(|PlatformError| status::INTERNAL_ERROR)?;
            if let Some(wrapped) = self.wrapper.wrap(application, &randomness) {
                break wrapped;
            }
        };
        let public = key.verifying_key().to_encoded_point(false);
        let digest = Sha256::new()
            .chain_update([0x00])
            .chain_update(application)
            .chain_update(challenge)
            .chain_update(handle)
            .chain_update(public.as_bytes());
        let signature = signature_der(&self.attestation.key, digest);
        out.put(&[0x05])?;
        out.put(public.as_bytes())?;
        out.put(&[KEY_HANDLE as u8])?;
        out.put(&handle)?;
        out.put(self.attestation.certificate)?;
        out.put(signature.as_bytes())
    }

    fn authenticate(
        &self,
        platform: &mut impl Platform,
        request: &apdu::Apdu,
        out: &mut Response,
    ) -> Result<(), u16> {
        let data = request.data;
        let (challenge, application) = split_parameters(data).ok_or(status::WRONG_LENGTH)?;
        let handle_length = usize::from(*data.get(64).ok_or(status::WRONG_LENGTH)?);
        let handle = data.get(65..).ok_or(status::WRONG_LENGTH)?;
        if handle.len() != handle_length {
            return Err(status::WRONG_LENGTH);
        }
        let key = self
            .wrapper
            .unwrap(application, handle)
            .ok_or(status::WRONG_DATA)?;
        let presence = match request.parameter1 {
            // The handle is ours: "conditions not satisfied" is the
            // specified answer to a check-only request.
            control::CHECK_ONLY => return Err(status::CONDITIONS_NOT_SATISFIED),
            control::ENFORCE_PRESENCE => {
                if !platform.take_user_presence() {
                    return Err(status::CONDITIONS_NOT_SATISFIED);
                }
                0x01
            }
            control::DONT_ENFORCE_PRESENCE => u8::from(platform.take_user_presence()),
            _ => return Err(status::WRONG_DATA),
        };
        // Persisted before the signature exists: a reset cannot replay it.
        let counter = platform
            .next_counter()
            .map_err(|PlatformError| status::INTERNAL_ERROR)?
            .to_be_bytes();
        let digest = Sha256::new()
            .chain_update(application)
            .chain_update([presence])
            .chain_update(counter)
            .chain_update(challenge);
        let signature = signature_der(&key, digest);
        out.put(&[presence])?;
        out.put(&counter)?;
        out.put(signature.as_bytes())
    }
}

/// The challenge and application parameters at the start of `data`.
fn split_parameters(data: &[u8]) -> Option<(&[u8; 32], &[u8; 32])> {
    let challenge = data.get(..32)?.try_into().ok()?;
    let application = data.get(32..64)?.try_into().ok()?;
    Some((challenge, application))
}

#[cfg(test)]
mod tests;
