//! The board's trust store (issue 19): reading it (TRUST_STATE) and
//! applying root-signed changes (APPLY_TRUST_CHANGE) made by `tbf keys
//! sign-change`.
//!
//! The loader checks only what it can without trusting itself: that the
//! file is a signed change, and that it is the kind the verb names (so a
//! revoke file is never sent by `keys add`). The device checks the root
//! signature, the sequence number and the scope, and writes the new state
//! or changes nothing; its refusal comes back with the reason.

use super::Loader;
use crate::error::{LoaderError, LoaderResult};
use tbf::trust::{ChangeKind, SignedChange, TrustState};

/// Which changes a `loader keys` verb sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeVerb {
    /// `keys add`: AddKey only.
    Add,
    /// `keys revoke`: RevokeKey only.
    Revoke,
    /// `keys permit`: RollbackPermit only.
    Permit,
    /// `keys apply`: any kind (ReplaceRoot has no verb of its own).
    Apply,
}

impl ChangeVerb {
    /// The verb's name.
    pub fn name(self) -> &'static str {
        match self {
            ChangeVerb::Add => "add",
            ChangeVerb::Revoke => "revoke",
            ChangeVerb::Permit => "permit",
            ChangeVerb::Apply => "apply",
        }
    }

    /// The verb made for changes of `kind`.
    pub fn for_kind(kind: &ChangeKind) -> ChangeVerb {
        match kind {
            ChangeKind::AddKey(_) => ChangeVerb::Add,
            ChangeKind::RevokeKey(_) => ChangeVerb::Revoke,
            ChangeKind::RollbackPermit { .. } => ChangeVerb::Permit,
            ChangeKind::ReplaceRoot(_) => ChangeVerb::Apply,
        }
    }

    /// Whether this verb sends a change of `kind`.
    pub fn sends(self, kind: &ChangeKind) -> bool {
        self == ChangeVerb::Apply || self == ChangeVerb::for_kind(kind)
    }
}

/// What a change kind is called in messages.
pub fn kind_name(kind: &ChangeKind) -> &'static str {
    match kind {
        ChangeKind::AddKey(_) => "add-key",
        ChangeKind::RevokeKey(_) => "revoke-key",
        ChangeKind::ReplaceRoot(_) => "replace-root",
        ChangeKind::RollbackPermit { .. } => "permit-rollback",
    }
}

/// The signed change in `bytes` (from file `path`), if `verb` sends it.
pub fn check_change<'a>(
    path: &str,
    bytes: &'a [u8],
    verb: ChangeVerb,
) -> LoaderResult<SignedChange<'a>> {
    let change = SignedChange::decode(bytes).map_err(|error| LoaderError::Input {
        path: path.to_string(),
        reason: format!(
            "not a signed trust change ({error}); make one with `tbf keys sign-change`"
        ),
    })?;
    if !verb.sends(&change.change.kind) {
        let right = ChangeVerb::for_kind(&change.change.kind).name();
        return Err(LoaderError::Input {
            path: path.to_string(),
            reason: format!(
                "this is a {} change, not one `loader keys {}` sends; nothing was sent. Apply it \
                 with `loader keys {right} {path}` if that is what you meant",
                kind_name(&change.change.kind),
                verb.name()
            ),
        });
    }
    Ok(change)
}

impl Loader<'_> {
    /// The device's trust state.
    pub fn trust_state(&mut self) -> LoaderResult<TrustState> {
        let device = self.transport.describe();
        let Some(bytes) = self.transport.trust_state()? else {
            return Err(LoaderError::Refused(format!(
                "{device}: no trust store here: it needs the running kernel's loader service \
                 (--port to the running board) and a board built with BOARD_ROOT_KEY"
            )));
        };
        TrustState::decode(&bytes).map_err(|error| LoaderError::Protocol {
            device,
            command: "TrustState".to_string(),
            answer: format!("{} bytes that do not decode: {error}", bytes.len()),
            hint: "the kernel and the loader disagree on the format; update the loader".to_string(),
        })
    }

    /// Sends the change in `bytes` (read from `path`) if `verb` sends its
    /// kind; on success, the device's trust state afterwards.
    pub fn apply_trust_change(
        &mut self,
        path: &str,
        bytes: &[u8],
        verb: ChangeVerb,
    ) -> LoaderResult<TrustState> {
        check_change(path, bytes, verb)?;
        self.transport.apply_trust_change(bytes)?;
        self.trust_state()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tbf::trust::{AppName, Change, Scope};

    fn signed(kind: ChangeKind) -> Vec<u8> {
        let root = tbf::crypto::SigningKey::from_slice(&[7u8; 32]).expect("a valid scalar");
        let change = Change {
            kind,
            sequence: 1,
            scope: Scope::Any,
        };
        tbf::trust::sign_change(&change, &root).expect("signs")
    }

    #[test]
    fn a_verb_sends_only_its_own_kind_and_apply_sends_any() {
        let revoke = signed(ChangeKind::RevokeKey([1; 64]));
        let error = check_change("revoke.bin", &revoke, ChangeVerb::Add).expect_err("kind");
        let text = error.to_string();
        assert!(
            text.contains("revoke-key change") && text.contains("loader keys revoke"),
            "{text}"
        );
        assert!(matches!(error, LoaderError::Input { .. }));
        assert!(check_change("revoke.bin", &revoke, ChangeVerb::Revoke).is_ok());
        assert!(check_change("revoke.bin", &revoke, ChangeVerb::Apply).is_ok());
        let permit = signed(ChangeKind::RollbackPermit {
            name: AppName::new(b"hello"),
            version: 1,
        });
        assert!(check_change("permit.bin", &permit, ChangeVerb::Permit).is_ok());
        assert!(check_change("permit.bin", &permit, ChangeVerb::Add).is_err());
        let root = signed(ChangeKind::ReplaceRoot([2; 64]));
        assert!(check_change("root.bin", &root, ChangeVerb::Revoke).is_err());
        assert!(check_change("root.bin", &root, ChangeVerb::Apply).is_ok());
    }

    #[test]
    fn bytes_that_are_no_change_are_bad_input() {
        let error = check_change("app.tbf", b"not a change", ChangeVerb::Apply).expect_err("junk");
        assert!(
            error.to_string().contains("tbf keys sign-change"),
            "{error}"
        );
    }
}
