//! The board's trust store formats, defined once for the kernel (which
//! keeps the state in its own flash and applies changes) and the host
//! tools (which sign changes and show the state).
//!
//! # What it holds
//! A [`TrustState`]: the root public key (which signs changes), the
//! sequence number of the last applied change, up to [`MAX_SIGNING_KEYS`]
//! app signing keys, each active or revoked (a revoked key stays listed, so
//! a refusal can name it), up to [`MAX_MINIMUM_VERSIONS`] minimum versions
//! keyed by app name, and up to [`MAX_VERIFIED_DIGESTS`] verified-digest
//! records (the SHA-256 an app's signatures cover, checked once, with the
//! key epoch they were checked under).
//!
//! A [`Change`] (add a key, revoke a key, replace the root key, permit one
//! app's rollback) is applied only when signed by the current root key
//! with a sequence number above the state's ([`TrustState::apply`] after
//! [`SignedChange::verify`]); any key change bumps the epoch, which
//! invalidates every verified-digest record.
//!
//! # API (for the kernel and the tools)
//! - [`TrustState::decode`] / [`TrustState::encode`]: the state as the
//!   kernel stores it in flash and answers TRUST_STATE with.
//! - [`TrustState::bootstrap`]: the first state, from built-in keys.
//! - [`TrustState::apply`]: a verified change, or why not ([`ApplyError`]).
//! - [`TrustState::minimum_version`], [`TrustState::raise_minimum`],
//!   [`TrustState::verified`], [`TrustState::record_verified`].
//! - [`Change::encode`], [`SignedChange::decode`], [`SignedChange::digest`]
//!   (what the root key signs), [`SignedChange::verify`], and with `alloc`
//!   [`sign_change`].
//! - [`fingerprint`]: how keys are named in messages (16 hex digits).
//!
//! # Encoded state (little-endian)
//! ```text
//! format u8 (=1) | flags u8 (bit 0: root present) | keys u8 | minimums u8 | digests u8 | 0 0 0
//! sequence u32 | epoch u32 | root [64] (zeros when absent)
//! keys     × (status u8 (0 active, 1 revoked) | key [64])
//! minimums × (name: length u8 | bytes [32] | version u32)
//! digests  × (sha256 [32] | epoch u32 | signer u8 | signers u8)
//! ```
//! An app name of at most 32 bytes is stored as it is (length 0..=32,
//! zero padded); a longer one as its SHA-256 (length 0xFF).
//!
//! # Encoded signed change
//! ```text
//! "TTCH" | format u8 (=1) | kind u8 | scope_length u8 | 0 | sequence u32 | scope [scope_length]
//! | body | signature [64]
//! kind 1 AddKey, 2 RevokeKey, 3 ReplaceRoot: body = key [64] (x || y)
//! kind 4 RollbackPermit:                     body = name (33 bytes, as above) | version u32
//! ```
//! `scope_length` 0 means any device; otherwise the scope is the board's
//! name (its `board` attribute, at most 32 bytes). The signature is ECDSA
//! P-256, raw `r || s` (32 bytes each, as app credentials), by the root key
//! over SHA-256 of every byte before it.
//!
//! # Threat model
//! The kernel trusts that only it writes the trust store: the store lies
//! outside app flash, no driver exposes it, and the loader service applies
//! only root-signed changes. An attacker who can write flash directly (a
//! debug probe) can also replace the kernel, so a verified-digest record
//! is as trustworthy as the kernel image itself.
//!
//! Must never: panic on any bytes (decoders are bounds-checked, a property
//! test feeds them arbitrary input), or apply a change whose sequence
//! number is not above the state's.

mod change;
mod state;

#[cfg(feature = "alloc")]
pub use change::sign_change;
pub use change::{BoardName, Change, ChangeKind, Scope, SignedChange, CHANGE_MAGIC};
pub use state::{ApplyError, KeyEntry, KeyStatus, MinimumVersion, TrustState, VerifiedDigest};

/// A P-256 public key, `x || y` (32 bytes each, big-endian).
pub type RawKey = [u8; 64];

/// Version of the state encoding.
pub const STATE_FORMAT: u8 = 1;
/// Version of the change encoding.
pub const CHANGE_FORMAT: u8 = 1;
/// App signing keys a state holds (active and revoked).
pub const MAX_SIGNING_KEYS: usize = 8;
/// Minimum versions a state holds.
pub const MAX_MINIMUM_VERSIONS: usize = 32;
/// Verified-digest records a state holds (the oldest gives way).
pub const MAX_VERIFIED_DIGESTS: usize = 32;
/// Longest app name stored as it is (longer ones are hashed).
pub const APP_NAME_BYTES: usize = 32;
/// Longest device scope (a board name).
pub const MAX_SCOPE_BYTES: usize = 32;
/// Fixed part of an encoded state.
pub const STATE_HEADER_BYTES: usize = 16 + 64;
/// One encoded key entry.
pub const KEY_ENTRY_BYTES: usize = 1 + 64;
/// One encoded app name.
pub const APP_NAME_ENCODED_BYTES: usize = 1 + APP_NAME_BYTES;
/// One encoded minimum version.
pub const MINIMUM_ENTRY_BYTES: usize = APP_NAME_ENCODED_BYTES + 4;
/// One encoded verified-digest record.
pub const DIGEST_ENTRY_BYTES: usize = 32 + 4 + 2;
/// The longest encoded state (3000 bytes).
pub const MAX_ENCODED_STATE: usize = STATE_HEADER_BYTES
    + MAX_SIGNING_KEYS * KEY_ENTRY_BYTES
    + MAX_MINIMUM_VERSIONS * MINIMUM_ENTRY_BYTES
    + MAX_VERIFIED_DIGESTS * DIGEST_ENTRY_BYTES;
/// The longest encoded signed change (fits one loader command).
pub const MAX_ENCODED_CHANGE: usize = 12 + MAX_SCOPE_BYTES + 64 + 64;
/// Length of a [`Fingerprint`].
pub const FINGERPRINT_BYTES: usize = 8;
/// The first 8 bytes of SHA-256 of a key's `x || y`: how messages name keys.
pub type Fingerprint = [u8; FINGERPRINT_BYTES];

/// The fingerprint of `key`.
pub fn fingerprint(key: &RawKey) -> Fingerprint {
    let digest = crate::crypto::sha256(key);
    let mut out = [0u8; FINGERPRINT_BYTES];
    for (slot, byte) in out.iter_mut().zip(digest.iter()) {
        *slot = *byte;
    }
    out
}

/// Displays a fingerprint as 16 lower-case hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hex<'a>(pub &'a [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for byte in self.0 {
            write!(f, "{:02x}", byte)?;
        }
        Ok(())
    }
}

/// Why encoded bytes are not a state or a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// Fewer bytes than the encoding needs, or more.
    Length {
        /// Bytes given.
        given: usize,
        /// Bytes the encoding needs.
        needed: usize,
    },
    /// An unknown format version or magic.
    UnknownFormat,
    /// A count above its limit.
    TooMany,
    /// A field holds a value the format does not allow (a reserved byte,
    /// a status, a name length, padding).
    BadField(&'static str),
}

impl core::fmt::Display for FormatError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FormatError::Length { given, needed } => {
                write!(f, "{} bytes where the encoding needs {}", given, needed)
            }
            FormatError::UnknownFormat => f.write_str("unknown format or magic"),
            FormatError::TooMany => f.write_str("a list is longer than its limit"),
            FormatError::BadField(field) => write!(f, "field {} has a bad value", field),
        }
    }
}

/// An app's name as the trust store keys it: the TBF package name itself
/// when at most [`APP_NAME_BYTES`] long, else its SHA-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct AppName {
    /// 0..=32: the name's length; [`AppName::HASHED`]: `bytes` is a SHA-256.
    length: u8,
    bytes: [u8; APP_NAME_BYTES],
}

impl AppName {
    /// The length byte of a hashed name.
    pub const HASHED: u8 = 0xFF;

    /// The key for package name `name`.
    pub fn new(name: &[u8]) -> AppName {
        let mut bytes = [0u8; APP_NAME_BYTES];
        match u8::try_from(name.len()) {
            Ok(length) if name.len() <= APP_NAME_BYTES => {
                for (slot, byte) in bytes.iter_mut().zip(name) {
                    *slot = *byte;
                }
                AppName { length, bytes }
            }
            _ => AppName {
                length: Self::HASHED,
                bytes: crate::crypto::sha256(name),
            },
        }
    }

    /// The name's bytes, or its SHA-256 if hashed.
    pub fn as_bytes(&self) -> &[u8] {
        let length = match self.length {
            Self::HASHED => APP_NAME_BYTES,
            length => usize::from(length),
        };
        self.bytes.get(..length).unwrap_or(&self.bytes)
    }

    /// Whether the stored bytes are a SHA-256 of a longer name.
    pub fn is_hashed(&self) -> bool {
        self.length == Self::HASHED
    }

    pub(crate) fn encode(&self, out: &mut crate::bytes::ArrayWriter<'_>) {
        out.put(&[self.length]);
        out.put(&self.bytes);
    }

    pub(crate) fn decode(bytes: &[u8], at: usize) -> Result<AppName, FormatError> {
        let field = FormatError::BadField("app name");
        let length = *bytes.get(at).ok_or(field)?;
        let stored: [u8; APP_NAME_BYTES] =
            crate::bytes::read_array(bytes, at.checked_add(1).ok_or(field)?).ok_or(field)?;
        let name = AppName {
            length,
            bytes: stored,
        };
        let used = name.as_bytes().len();
        let padding_clear = stored.iter().skip(used).all(|byte| *byte == 0);
        if (usize::from(length) > APP_NAME_BYTES && length != Self::HASHED) || !padding_clear {
            return Err(field);
        }
        Ok(name)
    }
}

impl core::fmt::Display for AppName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match (self.is_hashed(), core::str::from_utf8(self.as_bytes())) {
            (false, Ok(text)) => f.write_str(text),
            _ => write!(f, "sha256:{}", Hex(self.as_bytes())),
        }
    }
}

#[cfg(test)]
mod tests;
