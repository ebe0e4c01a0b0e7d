//! REPLACE_IN_PLACE: a new build of an app, linked for the slot the old
//! one occupies, takes that slot in one flash-journal commit.
//!
//! ```text
//!  host: writes the slot's new content at `source` (outside the chain)
//!  REPLACE_IN_PLACE(old, new, source, length)
//!    checks (nothing changed if any fails): one erase block, the image
//!      at `new` parses, no other loaded app in the slot, the board's
//!      credential policy accepts the new image (checked on its copy)
//!    old process stopped (main loop) -> journal: [source, +length) becomes
//!      [old, +length) in one commit -> image at `new` installed
//! ```
//!
//! A power cut before the commit leaves the old image, after it the new
//! one; the new image was checked against the board's policy before the
//! old stopped, so a build the board refuses never replaces a running one.

use kernel::app_management::AppOperation;
use kernel::credential::CredentialPolicy;
use loader_protocol::ExtensionStatus;

use super::answer::TextBuffer;
use super::AppLoader;

/// A replace in the old app's own slot, while its old process stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct InPlace {
    /// The old app's header: the slot's start.
    pub(super) old: usize,
    /// The new image's header, inside the slot.
    pub(super) new: usize,
    /// Where the host wrote the slot's new content.
    pub(super) source: usize,
    /// Bytes of the slot's new content.
    pub(super) length: usize,
}

impl AppLoader<'_> {
    /// The board's credential policy, checked on a new image before it
    /// replaces an old one in place (`None`: the board accepts any app).
    pub fn set_credential_policy(&self, policy: CredentialPolicy) {
        self.credential_policy.set(Some(policy));
    }

    /// Serve REPLACE_APP: a new build the board's credential policy
    /// refuses is refused before the old process stops (so a stopped old
    /// process stays stopped, a running one keeps running).
    pub(super) fn replace_checked(&self, old: usize, new: usize) {
        let image = self
            .management
            .app_images()
            .find(|image| image.address == new)
            .and_then(|image| self.app_flash_range(image.address, image.size));
        let refusal = match (self.credential_policy.get(), image) {
            (Some(policy), Some(image)) => self.check_image(image, &policy).err(),
            _ => None,
        };
        if let Some(refusal) = refusal {
            self.refusals
                .record(new, super::refusals::credential_reason(&refusal));
            let mut reason = TextBuffer::new();
            let _ = core::fmt::Write::write_fmt(
                &mut reason,
                format_args!("the old one keeps running; the new build was refused: {refusal}"),
            );
            return self.extension(ExtensionStatus::CredentialsRejected, reason.as_bytes());
        }
        self.request(AppOperation::Replace { old, new });
    }

    /// Serve REPLACE_IN_PLACE: check, stop the old process, commit, start.
    pub(super) fn replace_in_place(&self, replace: InPlace) {
        let mut reason = TextBuffer::new();
        if let Err(status) = self.check_in_place(&replace, &mut reason) {
            return self.extension(status, reason.as_bytes());
        }
        if self
            .management
            .process_at(self.kernel, replace.old)
            .is_none()
        {
            return self.commit_in_place(replace);
        }
        self.in_place.set(Some(replace));
        let stop = AppOperation::Remove {
            address: replace.old,
        };
        if let Err(error) = self.management.request(stop, self.capability) {
            self.in_place.set(None);
            self.report(Err(error));
        }
    }

    /// The old process stopped (or could not be): commit, or report.
    /// `true` when `operation` was this replace's stop.
    pub(super) fn in_place_stopped(
        &self,
        operation: AppOperation,
        stopped: bool,
        report: impl FnOnce(),
    ) -> bool {
        let Some(replace) = self.in_place.get() else {
            return false;
        };
        if operation
            != (AppOperation::Remove {
                address: replace.old,
            })
        {
            return false;
        }
        self.in_place.set(None);
        match stopped {
            true => self.commit_in_place(replace),
            false => report(),
        }
        true
    }

    /// Everything that must hold before the old process is touched; on a
    /// refusal, why goes into `reason`.
    fn check_in_place(
        &self,
        replace: &InPlace,
        reason: &mut TextBuffer,
    ) -> Result<(), ExtensionStatus> {
        let InPlace {
            old,
            new,
            source,
            length,
        } = *replace;
        let mut refuse = |status: ExtensionStatus, why: core::fmt::Arguments| {
            let _ = core::fmt::Write::write_fmt(reason, why);
            Err(status)
        };
        if self.rewriter.is_none() {
            return refuse(
                ExtensionStatus::Unsupported,
                format_args!("this board has no flash journal to replace an app in place"),
            );
        }
        let (Some(_), Some(copy)) = (
            self.app_flash_range(old, length),
            self.app_flash_range(source, length),
        ) else {
            return refuse(
                ExtensionStatus::BadAddress,
                format_args!("the slot at {old:#x} or its copy at {source:#x} ({length} bytes) is not inside app flash"),
            );
        };
        let block = self.flash.erase_size().max(1);
        let first_block = (old - self.flash_base) / block;
        let last_block = (old + length.max(1) - 1 - self.flash_base) / block;
        if first_block != last_block {
            return refuse(
                ExtensionStatus::BadAddress,
                format_args!("the slot at {old:#x} ({length} bytes) spans two erase blocks of {block} bytes; nothing was changed: uninstall the old app, then install the new build"),
            );
        }
        if !self
            .management
            .app_images()
            .any(|image| image.address == old)
        {
            return refuse(
                ExtensionStatus::NotFound,
                format_args!("no app image starts at {old:#x}"),
            );
        }
        let Some(image) = new_image(copy, old, new, length) else {
            return refuse(
                ExtensionStatus::BadImage,
                format_args!("the copy at {source:#x} holds no app image for {new:#x} that ends inside the slot"),
            );
        };
        if let Some(other) = self.other_loaded_app(old, length) {
            return refuse(
                ExtensionStatus::BadAddress,
                format_args!(
                    "the slot at {old:#x} overlaps the loaded app {other}; nothing was changed"
                ),
            );
        }
        match self
            .credential_policy
            .get()
            .map(|policy| self.check_image(image, &policy))
        {
            Some(Err(refusal)) => refuse(
                ExtensionStatus::CredentialsRejected,
                format_args!("the old one keeps running; the new build was refused: {refusal}"),
            ),
            _ => Ok(()),
        }
    }

    /// A loaded process other than the one at `old` whose flash overlaps
    /// the slot.
    fn other_loaded_app(&self, old: usize, length: usize) -> Option<&'static str> {
        let slot = kernel::platform::Region::new(old, length);
        self.kernel
            .processes()
            .iter()
            .find(|process| {
                process.is_loaded()
                    && process.layout().flash.start != old
                    && kernel::memory::ranges_overlap(process.layout().flash, slot)
            })
            .map(|process| process.name())
    }

    /// The journal makes the copy the slot's content in one commit, then
    /// the new image is loaded (answered when that is done).
    fn commit_in_place(&self, replace: InPlace) {
        let Some(rewriter) = self.rewriter else {
            return self.extension(ExtensionStatus::Unsupported, b"no flash journal");
        };
        let committed = rewriter.rewrite_from_flash(
            replace.old - self.flash_base,
            replace.source - self.flash_base,
            replace.length,
        );
        if let Err(error) = committed {
            let mut reason = TextBuffer::new();
            let _ = core::fmt::Write::write_fmt(
                &mut reason,
                format_args!("rewriting the slot at {:#x} failed ({error}): it holds the old build, or the new one once the next boot finishes the journal; reset the device", replace.old),
            );
            return self.extension(ExtensionStatus::InternalError, reason.as_bytes());
        }
        self.request(AppOperation::Install {
            address: replace.new,
        });
    }
}

/// The new app image inside `copy` (the slot's new content for the slot
/// at `old`), whose header goes to `new`; `None` unless it is an app that
/// ends inside the slot.
fn new_image(copy: &[u8], old: usize, new: usize, length: usize) -> Option<&[u8]> {
    let offset = new.checked_sub(old).filter(|&offset| offset < length)?;
    let rest = copy.get(offset..)?;
    let base = tbf::parse_base(rest).ok()?;
    let image = rest.get(..base.total_size as usize)?;
    tbf::parse_header(image)
        .ok()
        .filter(|header| header.is_app())?;
    Some(image)
}
