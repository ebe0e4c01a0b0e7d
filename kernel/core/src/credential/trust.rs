//! The trust store as the loader service sees it (compiled with or
//! without feature `credentials`, so the capsule needs no feature): what
//! TRUST_STATE and APPLY_TRUST_CHANGE call.

use tbf::trust::{ApplyError, FormatError};

use crate::flash_journal::NorError;

use super::Refusal;

/// Why a signed change was refused (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeRefusal {
    /// The bytes are not a signed change.
    Malformed(FormatError),
    /// The board has no root key.
    NoRootKey,
    /// The signature does not verify with the root key.
    BadSignature,
    /// The state does not allow it.
    Refused(ApplyError),
    /// Writing the new state failed; the old state stays.
    Flash(NorError),
}

impl core::fmt::Display for ChangeRefusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ChangeRefusal::Malformed(error) => write!(f, "malformed change: {}", error),
            ChangeRefusal::NoRootKey => f.write_str(
                "this board has no root key (build it with BOARD_ROOT_KEY): its keys cannot change",
            ),
            ChangeRefusal::BadSignature => {
                f.write_str("bad signature: the change is not signed by the board's root key")
            }
            ChangeRefusal::Refused(error) => error.fmt(f),
            ChangeRefusal::Flash(error) => {
                write!(f, "flash failure writing the trust store: {:?}", error)
            }
        }
    }
}

/// The trust-store operations the loader service offers the host
/// (implemented by the credential checker when the board has a store).
pub trait TrustManagement {
    /// Hand `answer` the encoded `tbf::trust::TrustState` (from the
    /// store's own buffer: callers keep no copy on the stack); false if
    /// the board has no store.
    fn with_encoded_state(&self, answer: &mut dyn FnMut(&[u8])) -> bool;
    /// Verify and apply a signed change and write it to flash; after a
    /// revocation, apps that no longer pass are stopped (and their
    /// refusal reported to the checker's client).
    fn apply_change(&self, change: &[u8]) -> Result<(), ChangeRefusal>;
    /// Why the board would refuse `image` now (re-derived for LIST_APPS),
    /// or `None` if it would run.
    fn refusal_of(&self, image: &[u8]) -> Option<Refusal>;
}
