//! FIDO2 (CTAP 2.1) and U2F security key app for libtock-rs.
//!
//! What it is: an authenticator speaking CTAPHID over the kernel's CTAP
//! HID driver: CBOR requests (MakeCredential, GetAssertion,
//! GetNextAssertion, GetInfo, ClientPIN with PIN/UV auth protocols 1 and
//! 2, Reset, CredentialManagement, Selection, LargeBlobs) with the
//! credProtect, hmac-secret and largeBlobKey extensions, and U2F raw
//! messages through the `u2f` crate.
//! Credentials are ES256 (P-256) keys; a credential's private key only
//! exists wrapped in its credential ID ([`credential`]), resident ones
//! keep their ID and user in the app's isolated storage
//! ([`persistent`], over `credential-store`), with the PIN state, the
//! device secret and the signature counter. User presence is a button
//! press within 30 s, with CTAPHID keepalives while waiting.
//!
//! The pure logic ([`authenticator`] and the command files) builds and is
//! tested on the host against a RAM store; [`app`] is the event loop over
//! the real drivers, [`storage`] the adapter to the isolated storage.
//!
//! Guarantees: the signature counter is stored before a signature that
//! carries it leaves the device, so it never goes back, not even across a
//! power cut or a reset; no signature is made without the user's touch
//! when presence is required (MakeCredential always, GetAssertion unless
//! the platform asked `up: false`, and then the UP flag is clear); a
//! credential ID is only accepted for the relying party and options it was
//! made for; credProtect levels are enforced; malformed CBOR or CTAPHID
//! input gets a CTAP or CTAPHID error, never a panic.
//!
//! Must never: let a private key, the device secret, the PIN hash or a
//! pinUvAuthToken leave the device; keep anything that matters in the
//! app's flash image (an update through the loader must keep every
//! credential); sign with a counter value that is not yet stored.
#![no_std]
#![forbid(unsafe_code)]

pub mod app;
pub mod attestation;
pub mod authenticator;
pub mod client_pin;
pub mod credential;
pub mod credential_management;
pub mod ctaphid;
pub mod extensions;
pub mod get_assertion;
pub mod info;
pub mod large_blobs;
pub mod make_credential;
pub mod persistent;
pub mod pin_protocol;
pub mod random;
pub mod resident;
pub mod resident_credentials;
pub mod storage;
pub mod user_verification;

#[cfg(test)]
mod tests;
