//! Signed changes to the trust state: their encoding, what the root key
//! signs, and its verification.

use super::{
    AppName, FormatError, RawKey, APP_NAME_ENCODED_BYTES, CHANGE_FORMAT, MAX_ENCODED_CHANGE,
    MAX_SCOPE_BYTES,
};
use crate::bytes::{read_array, read_u32, ArrayWriter};

/// The first bytes of every encoded change (so no other signed message of
/// the root key can pass for one).
pub const CHANGE_MAGIC: [u8; 4] = *b"TTCH";
/// Fixed part before the scope.
const CHANGE_HEAD: usize = 12;
/// A raw `r || s` signature.
const SIGNATURE_BYTES: usize = 64;

/// What a change does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Trust a new app signing key.
    AddKey(RawKey),
    /// Stop trusting an active app signing key (it stays listed, revoked).
    RevokeKey(RawKey),
    /// Hand change signing to a new root key.
    ReplaceRoot(RawKey),
    /// Lower the minimum version of one app to `version`.
    RollbackPermit {
        /// The app.
        name: AppName,
        /// Its new minimum.
        version: u32,
    },
}

impl ChangeKind {
    fn code(&self) -> u8 {
        match self {
            ChangeKind::AddKey(_) => 1,
            ChangeKind::RevokeKey(_) => 2,
            ChangeKind::ReplaceRoot(_) => 3,
            ChangeKind::RollbackPermit { .. } => 4,
        }
    }

    fn body_len(&self) -> usize {
        match self {
            ChangeKind::RollbackPermit { .. } => APP_NAME_ENCODED_BYTES + 4,
            _ => 64,
        }
    }
}

/// Which devices a change applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every device that trusts the root key.
    Any,
    /// Only boards with this name (their `board` attribute).
    Board(BoardName),
}

/// A board name of at most [`MAX_SCOPE_BYTES`] bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardName {
    length: u8,
    bytes: [u8; MAX_SCOPE_BYTES],
}

impl BoardName {
    /// `None` if `name` is empty or longer than [`MAX_SCOPE_BYTES`].
    pub fn new(name: &[u8]) -> Option<BoardName> {
        if name.is_empty() || name.len() > MAX_SCOPE_BYTES {
            return None;
        }
        let mut bytes = [0u8; MAX_SCOPE_BYTES];
        for (slot, byte) in bytes.iter_mut().zip(name) {
            *slot = *byte;
        }
        Some(BoardName {
            length: u8::try_from(name.len()).ok()?,
            bytes,
        })
    }

    /// The name.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.length)).unwrap_or(&[])
    }
}

/// A change to the trust state, before its signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// What it does.
    pub kind: ChangeKind,
    /// Must be above the state's sequence number (no replays).
    pub sequence: u32,
    /// Which devices accept it.
    pub scope: Scope,
}

impl Change {
    fn scope_bytes(&self) -> &[u8] {
        match &self.scope {
            Scope::Any => &[],
            Scope::Board(name) => name.as_bytes(),
        }
    }

    /// Bytes [`Self::encode`] writes (the signed part).
    pub fn encoded_len(&self) -> usize {
        CHANGE_HEAD
            .saturating_add(self.scope_bytes().len())
            .saturating_add(self.kind.body_len())
    }

    /// Write the signed part (everything but the signature); its length,
    /// or `None` if `out` is too short.
    pub fn encode(&self, out: &mut [u8]) -> Option<usize> {
        let length = self.encoded_len();
        let mut writer = ArrayWriter::new(out.get_mut(..length)?);
        let scope = self.scope_bytes();
        writer.put(&CHANGE_MAGIC);
        writer.put(&[
            CHANGE_FORMAT,
            self.kind.code(),
            u8::try_from(scope.len()).ok()?,
            0,
        ]);
        writer.put(&self.sequence.to_le_bytes());
        writer.put(scope);
        match &self.kind {
            ChangeKind::AddKey(key) | ChangeKind::RevokeKey(key) | ChangeKind::ReplaceRoot(key) => {
                writer.put(key)
            }
            ChangeKind::RollbackPermit { name, version } => {
                name.encode(&mut writer);
                writer.put(&version.to_le_bytes());
            }
        }
        Some(length)
    }
}

/// A decoded signed change, borrowing the bytes it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedChange<'a> {
    /// The change.
    pub change: Change,
    /// The signed bytes (the encoded change).
    pub signed: &'a [u8],
    /// `r || s` by the root key over SHA-256 of `signed`.
    pub signature: [u8; 64],
}

impl<'a> SignedChange<'a> {
    /// Decode an encoded change followed by its signature: exactly those
    /// bytes, every field checked.
    pub fn decode(bytes: &'a [u8]) -> Result<SignedChange<'a>, FormatError> {
        let short = FormatError::Length {
            given: bytes.len(),
            needed: CHANGE_HEAD.saturating_add(SIGNATURE_BYTES),
        };
        let head: [u8; CHANGE_HEAD] = read_array(bytes, 0).ok_or(short)?;
        let [m0, m1, m2, m3, format, kind, scope_length, reserved, ..] = head;
        if [m0, m1, m2, m3] != CHANGE_MAGIC || format != CHANGE_FORMAT {
            return Err(FormatError::UnknownFormat);
        }
        if reserved != 0 {
            return Err(FormatError::BadField("reserved"));
        }
        if usize::from(scope_length) > MAX_SCOPE_BYTES {
            return Err(FormatError::BadField("scope length"));
        }
        let sequence = read_u32(bytes, 8).ok_or(short)?;
        let scope_end = CHANGE_HEAD.saturating_add(usize::from(scope_length));
        let scope = match bytes.get(CHANGE_HEAD..scope_end).ok_or(short)? {
            [] => Scope::Any,
            name => Scope::Board(BoardName::new(name).ok_or(FormatError::BadField("scope"))?),
        };
        let body_len = match kind {
            1..=3 => 64,
            4 => APP_NAME_ENCODED_BYTES + 4,
            _ => return Err(FormatError::BadField("kind")),
        };
        let signed_len = scope_end.saturating_add(body_len);
        let needed = signed_len.saturating_add(SIGNATURE_BYTES);
        if bytes.len() != needed || needed > MAX_ENCODED_CHANGE {
            return Err(FormatError::Length {
                given: bytes.len(),
                needed,
            });
        }
        let field = FormatError::BadField("body");
        let key = || read_array::<64>(bytes, scope_end).ok_or(field);
        let kind = match kind {
            1 => ChangeKind::AddKey(key()?),
            2 => ChangeKind::RevokeKey(key()?),
            3 => ChangeKind::ReplaceRoot(key()?),
            _ => ChangeKind::RollbackPermit {
                name: AppName::decode(bytes, scope_end)?,
                version: read_u32(bytes, scope_end.saturating_add(APP_NAME_ENCODED_BYTES))
                    .ok_or(field)?,
            },
        };
        Ok(SignedChange {
            change: Change {
                kind,
                sequence,
                scope,
            },
            signed: bytes.get(..signed_len).ok_or(short)?,
            signature: read_array(bytes, signed_len).ok_or(short)?,
        })
    }

    /// SHA-256 of the signed bytes: what the root key signed.
    pub fn digest(&self) -> [u8; 32] {
        crate::crypto::sha256(self.signed)
    }

    /// Whether the signature verifies with `root` (RustCrypto P-256; the
    /// kernel uses its own verifier on [`Self::digest`]).
    pub fn verify(&self, root: &RawKey) -> bool {
        crate::crypto::verifying_key_from_raw(root)
            .is_some_and(|key| crate::crypto::ecdsa_p256_verify(self.signed, &self.signature, &key))
    }
}

/// Encode `change` and sign it with `root` (the root key's private half):
/// the bytes APPLY_TRUST_CHANGE carries.
#[cfg(feature = "alloc")]
pub fn sign_change(
    change: &Change,
    root: &crate::crypto::SigningKey,
) -> Option<alloc::vec::Vec<u8>> {
    let mut bytes = alloc::vec![0u8; change.encoded_len()];
    change.encode(&mut bytes)?;
    let signature = crate::crypto::ecdsa_p256_sign(&bytes, root)?;
    bytes.extend_from_slice(&signature);
    Some(bytes)
}
