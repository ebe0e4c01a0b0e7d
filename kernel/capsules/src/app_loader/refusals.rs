//! Why the kernel refused an app image, kept for LIST_APPS: a small fixed
//! table (address, reason code) filled when a refusal happens (a live
//! install's load checks, the credential checker at boot or later) and
//! emptied when the image loads; a refused image with no entry gets its
//! reason re-derived from the board's credential policy, or `Unknown`
//! (a boot-time load check: the boot log says which).

use core::cell::Cell;

use kernel::app_management::{AppOperation, ManagementError};
use kernel::credential::{check_credentials, NotStarted, Refusal};
use kernel::process_loading::SkipReason;
use loader_protocol::RefusalReason;

use super::AppLoader;

/// Refusals kept at once (the oldest entry gives way).
const KEPT: usize = 8;

/// The table: each entry an image's header address and its reason.
pub(super) struct Refusals {
    entries: [Cell<Option<(usize, RefusalReason)>>; KEPT],
    /// The entry the next new image takes.
    next: Cell<usize>,
}

impl Refusals {
    pub(super) const fn new() -> Self {
        Refusals {
            entries: [const { Cell::new(None) }; KEPT],
            next: Cell::new(0),
        }
    }

    pub(super) fn record(&self, address: usize, reason: RefusalReason) {
        let own = self
            .entries
            .iter()
            .find(|entry| entry.get().is_some_and(|(at, _)| at == address));
        let entry = own.unwrap_or_else(|| {
            let index = self.next.get();
            self.next.set((index + 1) % KEPT);
            &self.entries[index]
        });
        entry.set(Some((address, reason)));
    }

    pub(super) fn clear(&self, address: usize) {
        for entry in &self.entries {
            if entry.get().is_some_and(|(at, _)| at == address) {
                entry.set(None);
            }
        }
    }

    fn get(&self, address: usize) -> Option<RefusalReason> {
        self.entries
            .iter()
            .find_map(|entry| entry.get().filter(|(at, _)| *at == address))
            .map(|(_, reason)| reason)
    }
}

/// The reason code of a failed operation, when it is a refusal of the
/// image (not a busy service or a wrong address).
fn management_reason(error: &ManagementError) -> Option<RefusalReason> {
    match error {
        ManagementError::Refused(skip) => Some(skip_reason(skip)),
        ManagementError::AlreadyLoaded(_) => Some(RefusalReason::FlashTaken),
        _ => None,
    }
}

fn skip_reason(skip: &SkipReason) -> RefusalReason {
    match skip {
        SkipReason::Malformed(_) | SkipReason::Truncated => RefusalReason::Malformed,
        SkipReason::NoKernelVersion
        | SkipReason::IncompatibleKernelVersion(..)
        | SkipReason::EntryOutsideImage => RefusalReason::Incompatible,
        SkipReason::WrongFlashAddress(_) => RefusalReason::FlashTaken,
        SkipReason::NoRam(_) => RefusalReason::NoRam,
        SkipReason::NoFreeSlot => RefusalReason::NoProcessSlot,
        SkipReason::NotStarted(not_started) => not_started_reason(not_started),
        SkipReason::Disabled => RefusalReason::Unknown,
    }
}

pub(super) fn not_started_reason(not_started: &NotStarted) -> RefusalReason {
    match not_started {
        NotStarted::Refused(refusal) => credential_reason(refusal),
        NotStarted::Superseded { .. } => RefusalReason::Superseded,
    }
}

pub(super) fn credential_reason(refusal: &Refusal) -> RefusalReason {
    match refusal {
        Refusal::Missing(_) => RefusalReason::NotSigned,
        Refusal::Malformed(_) => RefusalReason::Malformed,
        Refusal::RevokedSigner(_) => RefusalReason::RevokedSigner,
        Refusal::BelowMinimum { .. } => RefusalReason::BelowMinimumVersion,
        // Every other refusal is a credential that is there but does not
        // satisfy the policy (a digest or signature that does not verify,
        // too few signers, a bad board key): the same advice applies.
        _ => RefusalReason::CredentialInvalid,
    }
}

impl AppLoader<'_> {
    /// Keep why a load was refused (or forget it: the image loaded).
    pub(super) fn note_refusal(
        &self,
        operation: AppOperation,
        result: &Result<Option<usize>, ManagementError>,
    ) {
        let address = match operation {
            AppOperation::Install { address } | AppOperation::Replace { new: address, .. } => {
                address
            }
            AppOperation::Remove { .. } => return,
        };
        match result {
            Ok(Some(_)) => self.refusals.clear(address),
            Ok(None) => {}
            Err(error) => {
                if let Some(reason) = management_reason(error) {
                    self.refusals.record(address, reason);
                }
            }
        }
    }

    /// Why the enabled image at `address` (of `size` bytes) runs no
    /// process: kept, or re-derived from the credential policy.
    pub(super) fn refusal_of(&self, address: usize, size: usize) -> RefusalReason {
        if let Some(reason) = self.refusals.get(address) {
            return reason;
        }
        let image = self.app_flash_range(address, size);
        if let (Some(trust), Some(image)) = (self.trust.get(), image) {
            // The trust store's keys, revocations and minimum versions.
            return trust
                .refusal_of(image)
                .map_or(RefusalReason::Unknown, |refusal| {
                    credential_reason(&refusal)
                });
        }
        match (self.credential_policy.get(), image) {
            (Some(policy), Some(image)) => match check_credentials(image, &policy) {
                Err(refusal) => credential_reason(&refusal),
                Ok(_) => RefusalReason::Unknown,
            },
            _ => RefusalReason::Unknown,
        }
    }
}
