//! Application identity: who an app is, which short id it goes by, and
//! which stored data it may touch.
//!
//! An app's identity is settled when its credentials are checked
//! ([`crate::credential`]), before it first runs, and never changes while
//! it is loaded. Everything here is derived from two things: the
//! [`Approval`] the checker recorded in the process, and the app's TBF
//! header in flash. Nothing else is stored per process (one byte), so the
//! functions re-read the header when asked; they are pure and host-tested.
//!
//! # The API (for capsules and the kernel)
//! - [`AppId`]: the verified signing key (by its index among the board's
//!   keys) and the package name. Two loaded apps never share an `AppId`.
//! - [`ShortId`]: a 32-bit id for the app. A signed app with a TBF ShortId
//!   header uses that value; otherwise the board's [`ShortIdPolicy`]
//!   decides (a hash of the `AppId`, or none). Two loaded apps never share
//!   a `ShortId` either.
//! - [`StoragePermissions`]: the write id under which the app stores data
//!   and the ids whose data it may read or modify. A signed app gets exactly
//!   what its TBF storage-permissions header says. Any other app (unsigned,
//!   or integrity-checked only, whose header anyone could have written) gets
//!   its own short id for reading, writing and modifying, and nothing else;
//!   an app with no short id gets no storage.
//! - [`Kernel::app_identity`] and [`Kernel::storage_permissions`] answer for
//!   a [`ProcessId`]; `None` once that process incarnation is gone. The
//!   key-value capsule asks `storage_permissions` on every operation.
//!
//! # Conflicts
//! Two apps conflict when they have the same `AppId` or the same `ShortId`
//! ([`AppIdentity::conflicts_with`]). The one with the higher version (TBF
//! Program header) runs; on a tie the one already loaded (earlier in flash)
//! keeps running. The loser does not run and the console says why.
//!
//! Must never: give an unsigned app an id or a permission that a header
//! alone can claim for it beyond its own short id, or let two running apps
//! share an identity.

use core::num::NonZeroU32;

use tbf::{parse_header, PersistentAclRef, Tbf, U32List};

use crate::kernel::Kernel;
use crate::process::ProcessId;

/// What the credential checker decided about a process (kept in the
/// process control block, one byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Not checked yet: it must not run.
    Unchecked,
    /// The board checks no credentials: accepted as it is.
    Unverified,
    /// Its SHA-256 credential matches (integrity, not authenticity).
    Integrity,
    /// Signed (ECDSA P-256) by the board's key with this index.
    SignedBy(u8),
}

impl Approval {
    /// The index of the board key that signed the app, if it was signed.
    pub fn signer(self) -> Option<u8> {
        match self {
            Approval::SignedBy(key) => Some(key),
            _ => None,
        }
    }
}

/// An app's identity: the key that vouches for it and its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppId {
    /// The index of the board key that verified its signature; `None` for
    /// an app that is not signed (identified by its name alone).
    pub signer: Option<u8>,
    /// Its package name (TBF PackageName header; empty if it has none).
    pub name: &'static str,
}

/// A short, fixed 32-bit identifier (never 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShortId(pub NonZeroU32);

impl ShortId {
    /// The raw value.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

/// How the board gives short ids to apps that do not bring a signed one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShortIdPolicy {
    /// A 32-bit FNV-1a hash of the `AppId` (signer and name), so an app
    /// keeps its short id (and its stored data) across reboots and
    /// reinstalls. The top bit is set for signed apps and clear for the
    /// others, so an unsigned app never hashes onto a signed app's id.
    #[default]
    HashOfAppId,
    /// Only signed apps with a ShortId header have one; the others have
    /// none (and so no storage).
    SignedHeaderOnly,
}

/// Everything that identifies one app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppIdentity {
    /// Its application id.
    pub app_id: AppId,
    /// Its short id, if it has one.
    pub short_id: Option<ShortId>,
    /// Its version (TBF Program header; 0 without one).
    pub version: u32,
}

impl AppIdentity {
    /// The identity of the app whose header is `header`, approved as
    /// `approval`, under the board's `policy`.
    pub fn of(header: &Tbf<'static>, approval: Approval, policy: ShortIdPolicy) -> AppIdentity {
        let app_id = AppId {
            signer: approval.signer(),
            name: header.package_name().unwrap_or(""),
        };
        let from_header = approval
            .signer()
            .and(header.short_id())
            .and_then(NonZeroU32::new);
        let short_id = match (from_header, policy) {
            (Some(id), _) => Some(ShortId(id)),
            (None, ShortIdPolicy::HashOfAppId) => Some(hash_short_id(&app_id)),
            (None, ShortIdPolicy::SignedHeaderOnly) => None,
        };
        AppIdentity {
            app_id,
            short_id,
            version: header.program().map_or(0, |program| program.app_version),
        }
    }

    /// Whether the two cannot run together: same `AppId` or same `ShortId`.
    pub fn conflicts_with(&self, other: &AppIdentity) -> bool {
        self.app_id == other.app_id || (self.short_id.is_some() && self.short_id == other.short_id)
    }
}

/// FNV-1a over the signer byte and the name; top bit marks signed apps.
fn hash_short_id(app_id: &AppId) -> ShortId {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    let signer_byte = app_id.signer.map_or(0xff, |key| key);
    let hash = core::iter::once(signer_byte)
        .chain(app_id.name.bytes())
        .fold(OFFSET_BASIS, |hash, byte| {
            (hash ^ u32::from(byte)).wrapping_mul(PRIME)
        });
    let marked = match app_id.signer {
        Some(_) => hash | 0x8000_0000,
        None => hash & 0x7fff_ffff,
    };
    // Only 0 has no NonZeroU32; both marked forms of 0 map to 1 or stay set.
    ShortId(NonZeroU32::new(marked).unwrap_or(NonZeroU32::MIN))
}

/// A list of storage ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdSet {
    Nothing,
    Own(ShortId),
    Listed(U32List<'static>),
}

impl IdSet {
    fn contains(&self, id: u32) -> bool {
        match self {
            IdSet::Nothing => false,
            IdSet::Own(own) => own.get() == id,
            IdSet::Listed(list) => id != 0 && list.iter().any(|listed| listed == id),
        }
    }
}

/// What stored data (key-value entries, by the id they were written
/// under) an app may touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoragePermissions {
    write_id: Option<NonZeroU32>,
    read: IdSet,
    modify: IdSet,
}

impl StoragePermissions {
    /// No storage at all.
    pub const NONE: StoragePermissions = StoragePermissions {
        write_id: None,
        read: IdSet::Nothing,
        modify: IdSet::Nothing,
    };

    /// Read, write and modify only data written under `own`.
    pub fn own(own: ShortId) -> StoragePermissions {
        StoragePermissions {
            write_id: Some(own.0),
            read: IdSet::Own(own),
            modify: IdSet::Own(own),
        }
    }

    /// The permissions of an app (see the module documentation).
    pub fn of(header: &Tbf<'static>, identity: &AppIdentity) -> StoragePermissions {
        match (identity.app_id.signer, header.persistent_acl()) {
            (Some(_), Some(acl)) => Self::from_header(acl),
            _ => identity.short_id.map_or(Self::NONE, Self::own),
        }
    }

    fn from_header(acl: PersistentAclRef<'static>) -> StoragePermissions {
        let list = |ids: U32List<'static>| {
            if ids.is_empty() {
                IdSet::Nothing
            } else {
                IdSet::Listed(ids)
            }
        };
        StoragePermissions {
            write_id: NonZeroU32::new(acl.write_id),
            read: list(acl.read_ids),
            modify: list(acl.access_ids),
        }
    }

    /// The id new data is stored under; `None`: the app may not write.
    pub fn write_id(&self) -> Option<u32> {
        self.write_id.map(NonZeroU32::get)
    }

    /// May the app read data stored under `stored_by`? Its own write id
    /// always may.
    pub fn can_read(&self, stored_by: u32) -> bool {
        self.write_id() == Some(stored_by) || self.read.contains(stored_by)
    }

    /// May the app overwrite or delete data stored under `stored_by`? Its
    /// own write id always may.
    pub fn can_modify(&self, stored_by: u32) -> bool {
        self.write_id() == Some(stored_by) || self.modify.contains(stored_by)
    }
}

impl Kernel {
    /// The identity of the live process `id`; `None` if it is gone or its
    /// credentials are not approved yet.
    pub fn app_identity(&self, id: ProcessId) -> Option<AppIdentity> {
        self.process(id)?;
        self.loaded_identity(id.index)
    }

    /// The identity of the process loaded in slot `index`, alive or not;
    /// `None` for an empty slot or one not approved yet.
    pub(crate) fn loaded_identity(&self, index: usize) -> Option<AppIdentity> {
        let process = self.processes().get(index).filter(|p| p.is_loaded())?;
        let header = parse_header(process.image()).ok()?;
        match process.approval.get() {
            Approval::Unchecked => None,
            approval => Some(AppIdentity::of(&header, approval, self.short_id_policy())),
        }
    }

    /// What stored data the live process `id` may touch; no permission at
    /// all if it is gone or not approved.
    pub fn storage_permissions(&self, id: ProcessId) -> StoragePermissions {
        let Some(process) = self.process(id) else {
            return StoragePermissions::NONE;
        };
        let Ok(header) = parse_header(process.image()) else {
            return StoragePermissions::NONE;
        };
        match process.approval.get() {
            Approval::Unchecked => StoragePermissions::NONE,
            approval => {
                let identity = AppIdentity::of(&header, approval, self.short_id_policy());
                StoragePermissions::of(&header, &identity)
            }
        }
    }
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
