//! The trust state: keys, minimum versions, verified digests, and how a
//! verified change alters them.

use super::{
    AppName, Change, ChangeKind, FormatError, RawKey, Scope, DIGEST_ENTRY_BYTES, KEY_ENTRY_BYTES,
    MAX_MINIMUM_VERSIONS, MAX_SIGNING_KEYS, MAX_VERIFIED_DIGESTS, MINIMUM_ENTRY_BYTES,
    STATE_FORMAT, STATE_HEADER_BYTES,
};
use crate::bytes::{read_array, read_u32, ArrayWriter};

/// Whether a signing key still vouches for apps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyStatus {
    /// Apps it signed run.
    #[default]
    Active,
    /// Revoked by a root-signed change: apps signed only by it are refused.
    Revoked,
}

/// One signing key and its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyEntry {
    /// `x || y`.
    pub key: RawKey,
    /// Active or revoked.
    pub status: KeyStatus,
}

impl Default for KeyEntry {
    fn default() -> Self {
        KeyEntry {
            key: [0; 64],
            status: KeyStatus::Active,
        }
    }
}

/// The lowest version of an app the board still runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MinimumVersion {
    /// The app.
    pub name: AppName,
    /// Its minimum version (TBF Program header).
    pub version: u32,
}

/// An image digest whose signatures were verified under `epoch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VerifiedDigest {
    /// SHA-256 of the image's integrity region.
    pub digest: [u8; 32],
    /// The key epoch it was verified under.
    pub epoch: u32,
    /// The index of the first key that verified it (its identity).
    pub signer: u8,
    /// How many distinct active keys verified it.
    pub signers: u8,
}

/// Why a verified change was not applied (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyError {
    /// Its sequence number is not above the state's (a replay).
    StaleSequence {
        /// The state's sequence number.
        current: u32,
        /// The change's.
        given: u32,
    },
    /// It is scoped to another device.
    WrongDevice,
    /// The key to revoke is not an active key of the state.
    UnknownKey,
    /// The key to add is already listed (active, or revoked for good).
    AlreadyListed,
    /// The key list is full.
    ListFull,
}

impl core::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ApplyError::StaleSequence { current, given } => write!(
                f,
                "stale sequence: change {} is not above the device's {} (a replay?)",
                given, current
            ),
            ApplyError::WrongDevice => f.write_str("the change is scoped to another device"),
            ApplyError::UnknownKey => f.write_str("unknown key: it is not an active signing key"),
            ApplyError::AlreadyListed => {
                f.write_str("the key is already listed (a revoked key stays revoked)")
            }
            ApplyError::ListFull => f.write_str("the signing key list is full"),
        }
    }
}

/// A fixed-capacity list (no allocation). Equality and `Debug` see the
/// listed items only, never the slots beyond them.
#[derive(Clone, Copy)]
struct List<T: Copy + Default, const N: usize> {
    items: [T; N],
    length: usize,
}

impl<T: Copy + Default + PartialEq, const N: usize> PartialEq for List<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Copy + Default + Eq, const N: usize> Eq for List<T, N> {}

impl<T: Copy + Default + core::fmt::Debug, const N: usize> core::fmt::Debug for List<T, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<T: Copy + Default, const N: usize> List<T, N> {
    /// Empty, every slot `blank` (const: a static store needs no stack).
    const fn empty(blank: T) -> Self {
        List {
            items: [blank; N],
            length: 0,
        }
    }

    fn as_slice(&self) -> &[T] {
        self.items.get(..self.length).unwrap_or(&[])
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        self.items.get_mut(..self.length).unwrap_or(&mut [])
    }

    fn push(&mut self, item: T) -> bool {
        match self.items.get_mut(self.length) {
            Some(slot) => {
                *slot = item;
                self.length = self.length.saturating_add(1);
                true
            }
            None => false,
        }
    }

    /// Drops the first item, keeping the order of the rest.
    fn remove_first(&mut self) {
        if self.length > 0 {
            self.items.rotate_left(1);
            self.length = self.length.saturating_sub(1);
        }
    }

    fn clear(&mut self) {
        self.length = 0;
    }
}

/// The board's trust state (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustState {
    /// The key that signs changes; `None`: key management is refused.
    pub root: Option<RawKey>,
    /// The sequence number of the last applied change (0: none).
    pub sequence: u32,
    /// Changes whenever a key changes; older digest records are invalid.
    pub epoch: u32,
    keys: List<KeyEntry, MAX_SIGNING_KEYS>,
    minimums: List<MinimumVersion, MAX_MINIMUM_VERSIONS>,
    digests: List<VerifiedDigest, MAX_VERIFIED_DIGESTS>,
}

impl TrustState {
    /// A state with no root and no keys (const, all zeros: a static
    /// holding it lives in `.bss`).
    pub const fn empty() -> TrustState {
        const NO_KEY: KeyEntry = KeyEntry {
            key: [0; 64],
            status: KeyStatus::Active,
        };
        const NO_MINIMUM: MinimumVersion = MinimumVersion {
            name: AppName {
                length: 0,
                bytes: [0; super::APP_NAME_BYTES],
            },
            version: 0,
        };
        const NO_DIGEST: VerifiedDigest = VerifiedDigest {
            digest: [0; 32],
            epoch: 0,
            signer: 0,
            signers: 0,
        };
        TrustState {
            root: None,
            sequence: 0,
            epoch: 0,
            keys: List::empty(NO_KEY),
            minimums: List::empty(NO_MINIMUM),
            digests: List::empty(NO_DIGEST),
        }
    }

    /// The first state: `root` signs changes, `keys` (at most
    /// [`MAX_SIGNING_KEYS`], the rest ignored) are active in this order.
    pub fn bootstrap(root: Option<RawKey>, keys: &[RawKey]) -> TrustState {
        let mut state = TrustState::empty();
        state.reset(root, keys);
        state
    }

    /// Make this the first state (as [`Self::bootstrap`], in place).
    pub fn reset(&mut self, root: Option<RawKey>, keys: &[RawKey]) {
        self.root = root;
        self.sequence = 0;
        self.epoch = 0;
        self.keys.clear();
        self.minimums.clear();
        self.digests.clear();
        for key in keys {
            self.keys.push(KeyEntry {
                key: *key,
                status: KeyStatus::Active,
            });
        }
    }

    /// Every listed key, active and revoked; an app's signer index is its
    /// position here (entries are never removed, so indices stay).
    pub fn keys(&self) -> &[KeyEntry] {
        self.keys.as_slice()
    }

    /// The minimum versions.
    pub fn minimums(&self) -> &[MinimumVersion] {
        self.minimums.as_slice()
    }

    /// The verified-digest records (of any epoch).
    pub fn digests(&self) -> &[VerifiedDigest] {
        self.digests.as_slice()
    }

    /// The minimum version of the app named `name`, if one is kept.
    pub fn minimum_version(&self, name: &[u8]) -> Option<u32> {
        let name = AppName::new(name);
        self.minimums()
            .iter()
            .find(|entry| entry.name == name)
            .map(|entry| entry.version)
    }

    /// Raise `name`'s minimum to `version` if it is lower (or absent).
    /// `Ok(true)`: the state changed; `Err(())`: the list is full.
    #[allow(clippy::result_unit_err)] // reason: the one failure is "full"
    pub fn raise_minimum(&mut self, name: &[u8], version: u32) -> Result<bool, ()> {
        let name = AppName::new(name);
        if let Some(entry) = self
            .minimums
            .as_mut_slice()
            .iter_mut()
            .find(|entry| entry.name == name)
        {
            let raised = version > entry.version;
            entry.version = entry.version.max(version);
            return Ok(raised);
        }
        match self.minimums.push(MinimumVersion { name, version }) {
            true => Ok(true),
            false => Err(()),
        }
    }

    /// The record of `digest` under the current epoch, if verified before.
    pub fn verified(&self, digest: &[u8; 32]) -> Option<VerifiedDigest> {
        self.digests()
            .iter()
            .find(|record| record.epoch == self.epoch && record.digest == *digest)
            .copied()
    }

    /// Record that `digest` verified under the current epoch (the oldest
    /// record gives way when the list is full). Returns whether it is new.
    pub fn record_verified(&mut self, digest: &[u8; 32], signer: u8, signers: u8) -> bool {
        if self.verified(digest).is_some() {
            return false;
        }
        if self.digests.length >= MAX_VERIFIED_DIGESTS {
            self.digests.remove_first();
        }
        self.digests.push(VerifiedDigest {
            digest: *digest,
            epoch: self.epoch,
            signer,
            signers,
        })
    }

    /// Apply `change`, whose signature by the root key the caller has
    /// verified, on the device whose board name is `board`. Every check
    /// comes before the first change (a refused change changes nothing),
    /// and the state is changed in place (no copy: the kernel's stack is
    /// small).
    pub fn apply(&mut self, change: &Change, board: &[u8]) -> Result<(), ApplyError> {
        if change.sequence <= self.sequence {
            return Err(ApplyError::StaleSequence {
                current: self.sequence,
                given: change.sequence,
            });
        }
        if let Scope::Board(scope) = &change.scope {
            if scope.as_bytes() != board {
                return Err(ApplyError::WrongDevice);
            }
        }
        match &change.kind {
            ChangeKind::AddKey(key) => {
                if self.keys().iter().any(|entry| entry.key == *key) {
                    return Err(ApplyError::AlreadyListed);
                }
                let entry = KeyEntry {
                    key: *key,
                    status: KeyStatus::Active,
                };
                if !self.keys.push(entry) {
                    return Err(ApplyError::ListFull);
                }
                self.new_epoch();
            }
            ChangeKind::RevokeKey(key) => {
                let entry = self
                    .keys
                    .as_mut_slice()
                    .iter_mut()
                    .find(|entry| entry.key == *key && entry.status == KeyStatus::Active);
                entry.ok_or(ApplyError::UnknownKey)?.status = KeyStatus::Revoked;
                self.new_epoch();
            }
            ChangeKind::ReplaceRoot(key) => {
                self.root = Some(*key);
                self.new_epoch();
            }
            ChangeKind::RollbackPermit { name, version } => {
                if let Some(entry) = self
                    .minimums
                    .as_mut_slice()
                    .iter_mut()
                    .find(|entry| entry.name == *name)
                {
                    entry.version = *version;
                }
            }
        }
        self.sequence = change.sequence;
        Ok(())
    }

    /// Keys changed: every verified digest must be checked again.
    fn new_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        self.digests.clear();
    }

    /// Bytes [`Self::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        STATE_HEADER_BYTES
            .saturating_add(self.keys.length.saturating_mul(KEY_ENTRY_BYTES))
            .saturating_add(self.minimums.length.saturating_mul(MINIMUM_ENTRY_BYTES))
            .saturating_add(self.digests.length.saturating_mul(DIGEST_ENTRY_BYTES))
    }

    /// Write the encoding into `out`; its length, or `None` if `out` is
    /// shorter than [`Self::encoded_len`].
    pub fn encode(&self, out: &mut [u8]) -> Option<usize> {
        let length = self.encoded_len();
        let mut writer = ArrayWriter::new(out.get_mut(..length)?);
        let count = |length: usize| u8::try_from(length).unwrap_or(u8::MAX);
        writer.put(&[
            STATE_FORMAT,
            u8::from(self.root.is_some()),
            count(self.keys.length),
            count(self.minimums.length),
            count(self.digests.length),
            0,
            0,
            0,
        ]);
        writer.put(&self.sequence.to_le_bytes());
        writer.put(&self.epoch.to_le_bytes());
        writer.put(&self.root.unwrap_or([0; 64]));
        for entry in self.keys() {
            writer.put(&[match entry.status {
                KeyStatus::Active => 0,
                KeyStatus::Revoked => 1,
            }]);
            writer.put(&entry.key);
        }
        for entry in self.minimums() {
            entry.name.encode(&mut writer);
            writer.put(&entry.version.to_le_bytes());
        }
        for record in self.digests() {
            writer.put(&record.digest);
            writer.put(&record.epoch.to_le_bytes());
            writer.put(&[record.signer, record.signers]);
        }
        Some(length)
    }

    /// Decode a state: exactly the bytes [`Self::encode`] writes.
    pub fn decode(bytes: &[u8]) -> Result<TrustState, FormatError> {
        let mut state = TrustState::empty();
        state.decode_from(bytes)?;
        Ok(state)
    }

    /// Decode `bytes` into this state in place (no copy on the stack); on
    /// an error the state holds partly decoded values: do not use it.
    pub fn decode_from(&mut self, bytes: &[u8]) -> Result<(), FormatError> {
        let head: [u8; 8] = read_array(bytes, 0).ok_or(FormatError::Length {
            given: bytes.len(),
            needed: STATE_HEADER_BYTES,
        })?;
        let [format, flags, keys, minimums, digests, reserved @ ..] = head;
        if format != STATE_FORMAT {
            return Err(FormatError::UnknownFormat);
        }
        if flags > 1 || reserved != [0; 3] {
            return Err(FormatError::BadField("flags"));
        }
        if usize::from(keys) > MAX_SIGNING_KEYS
            || usize::from(minimums) > MAX_MINIMUM_VERSIONS
            || usize::from(digests) > MAX_VERIFIED_DIGESTS
        {
            return Err(FormatError::TooMany);
        }
        let state = self;
        state.keys.length = usize::from(keys);
        state.minimums.length = usize::from(minimums);
        state.digests.length = usize::from(digests);
        let needed = state.encoded_len();
        if bytes.len() != needed {
            return Err(FormatError::Length {
                given: bytes.len(),
                needed,
            });
        }
        let field = |name| FormatError::BadField(name);
        state.sequence = read_u32(bytes, 8).ok_or(field("sequence"))?;
        state.epoch = read_u32(bytes, 12).ok_or(field("epoch"))?;
        let root: RawKey = read_array(bytes, 16).ok_or(field("root"))?;
        state.root = match flags {
            1 => Some(root),
            _ if root == [0; 64] => None,
            _ => return Err(field("root")),
        };
        let mut at = STATE_HEADER_BYTES;
        for entry in state.keys.as_mut_slice() {
            entry.status = match bytes.get(at) {
                Some(0) => KeyStatus::Active,
                Some(1) => KeyStatus::Revoked,
                _ => return Err(field("key status")),
            };
            entry.key = read_array(bytes, at.saturating_add(1)).ok_or(field("key"))?;
            at = at.saturating_add(KEY_ENTRY_BYTES);
        }
        for entry in state.minimums.as_mut_slice() {
            entry.name = AppName::decode(bytes, at)?;
            let version_at = at.saturating_add(super::APP_NAME_ENCODED_BYTES);
            entry.version = read_u32(bytes, version_at).ok_or(field("version"))?;
            at = at.saturating_add(MINIMUM_ENTRY_BYTES);
        }
        for record in state.digests.as_mut_slice() {
            record.digest = read_array(bytes, at).ok_or(field("digest"))?;
            record.epoch = read_u32(bytes, at.saturating_add(32)).ok_or(field("epoch"))?;
            let [signer, signers] =
                read_array(bytes, at.saturating_add(36)).ok_or(field("signer"))?;
            record.signer = signer;
            record.signers = signers;
            at = at.saturating_add(DIGEST_ENTRY_BYTES);
        }
        Ok(())
    }
}
