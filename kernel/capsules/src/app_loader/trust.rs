//! TRUST_STATE and APPLY_TRUST_CHANGE (issue 19): the host's only way to
//! the board's trust store. The store and its rules live in the kernel
//! (`kernel::trust_store`, reached through [`TrustManagement`], which the
//! credential checker implements); this file answers on the link.
//!
//! - TRUST_STATE: OK with the encoded `tbf::trust::TrustState` (up to
//!   `MAX_TRUST_STATE_BODY` bytes, streamed: longer than other answers).
//! - APPLY_TRUST_CHANGE: OK once the change is verified, applied and in
//!   flash; otherwise TRUST_CHANGE_REFUSED with a
//!   [`TrustChangeRefusal`] code and the kernel's message. After a
//!   revocation, apps that no longer pass are stopped at once and LIST_APPS
//!   shows them refused ("signed only by a revoked key").
//!
//! Without a trust store (a board whose policy checks no signatures) both
//! are answered UNSUPPORTED.

use kernel::credential::{
    check_credentials, ChangeRefusal, CredentialPolicy, Refusal, TrustManagement,
};
use loader_protocol::{ExtensionStatus, Response, TrustChangeRefusal, ESCAPE};
use tbf::trust::ApplyError;

use super::answer::{write_escaped, TextBuffer};
use super::AppLoader;

const NO_STORE: &[u8] =
    b"this board keeps no trust store (its credential policy checks no signatures)";

impl<'a> AppLoader<'a> {
    /// The board's trust store (set by boards whose checker has one).
    pub fn set_trust_management(&self, trust: &'a dyn TrustManagement) {
        self.trust.set(Some(trust));
    }

    /// Whether the board would run `image`: checked against the trust
    /// store when it has one (its keys, revocations, minimum versions),
    /// else against `policy` (the built-in keys).
    pub(super) fn check_image(
        &self,
        image: &[u8],
        policy: &CredentialPolicy,
    ) -> Result<(), Refusal> {
        match self.trust.get() {
            Some(trust) => trust.refusal_of(image).map_or(Ok(()), Err),
            None => check_credentials(image, policy).map(|_| ()),
        }
    }

    pub(super) fn trust_state(&self) {
        let writer = self.writer;
        let answered = self.trust.get().is_some_and(|trust| {
            trust.with_encoded_state(&mut |state: &[u8]| {
                // Written by hand: the shared answer helper caps bodies
                // at 512 bytes, a full state is 3000.
                let length = u16::try_from(state.len()).unwrap_or(u16::MAX);
                writer.write_bytes(&[ESCAPE, Response::Extension as u8]);
                let [low, high] = length.to_le_bytes();
                write_escaped(writer, &[ExtensionStatus::Ok as u8, low, high]);
                write_escaped(writer, state);
            })
        });
        if !answered {
            self.extension(ExtensionStatus::Unsupported, NO_STORE);
        }
    }

    pub(super) fn apply_trust_change(&self, change: &[u8]) {
        let Some(trust) = self.trust.get() else {
            return self.extension(ExtensionStatus::Unsupported, NO_STORE);
        };
        let refusal = match trust.apply_change(change) {
            Ok(()) => return self.extension(ExtensionStatus::Ok, &[]),
            Err(refusal) => refusal,
        };
        let mut body = TextBuffer::new();
        // Codes are below 0x80: one byte as a char.
        let code = char::from(wire_refusal(&refusal) as u8);
        let _ = core::fmt::Write::write_char(&mut body, code);
        let _ = core::fmt::Write::write_fmt(&mut body, format_args!("{}", refusal));
        self.extension(ExtensionStatus::TrustChangeRefused, body.as_bytes());
    }
}

/// The wire code of a refusal.
pub(super) fn wire_refusal(refusal: &ChangeRefusal) -> TrustChangeRefusal {
    match refusal {
        ChangeRefusal::Malformed(_) => TrustChangeRefusal::Malformed,
        ChangeRefusal::NoRootKey => TrustChangeRefusal::NoRootKey,
        ChangeRefusal::BadSignature => TrustChangeRefusal::BadSignature,
        ChangeRefusal::Flash(_) => TrustChangeRefusal::FlashFailure,
        ChangeRefusal::Refused(error) => match error {
            ApplyError::StaleSequence { .. } => TrustChangeRefusal::StaleSequence,
            ApplyError::WrongDevice => TrustChangeRefusal::WrongDevice,
            ApplyError::UnknownKey => TrustChangeRefusal::UnknownKey,
            ApplyError::AlreadyListed => TrustChangeRefusal::AlreadyListed,
            ApplyError::ListFull => TrustChangeRefusal::ListFull,
        },
    }
}

#[cfg(test)]
#[path = "trust_tests.rs"]
mod tests;
