//! The device's answer to APPLY_TRUST_CHANGE, as a loader error that says
//! what to do next (the codes are `loader_protocol::TrustChangeRefusal`).

use crate::error::LoaderError;
use loader_protocol::{decode_trust_refusal, ExtensionStatus, TrustChangeRefusal};

/// Why a device without a live loader service takes no trust change.
pub fn not_live(device: &str) -> LoaderError {
    LoaderError::Refused(format!(
        "{device}: trust changes need the running kernel's loader service and a trust store \
         (a flash file or a bootloader has neither); connect with --port to the running board"
    ))
}

/// What to do after a refusal.
pub fn hint(code: TrustChangeRefusal) -> &'static str {
    match code {
        TrustChangeRefusal::Malformed => "make the change again with `tbf keys sign-change`",
        TrustChangeRefusal::BadSignature => {
            "sign it with the board's current root key (`loader keys list` shows its fingerprint, \
             `tbf keys show --root ROOT.pub FILE` checks a file)"
        }
        TrustChangeRefusal::StaleSequence => {
            "sign it again with a --sequence above the board's (`loader keys list` shows it)"
        }
        TrustChangeRefusal::UnknownKey => {
            "`loader keys list` shows the board's active keys and their fingerprints"
        }
        TrustChangeRefusal::ListFull => "revoke a key the board no longer needs first",
        TrustChangeRefusal::FlashFailure => {
            "the old trust state stays; retry, and reset the board if it persists"
        }
        TrustChangeRefusal::WrongDevice => {
            "sign it again with --device naming this board (its `board` attribute), or without --device"
        }
        TrustChangeRefusal::AlreadyListed => "nothing to do: `loader keys list` shows the key",
        TrustChangeRefusal::NoRootKey => {
            "the board was built without BOARD_ROOT_KEY; its keys change only with a new kernel"
        }
    }
}

/// `Ok` if the device applied the change, else the refusal with its
/// reason and what to do.
pub fn check(device: &str, status: ExtensionStatus, body: &[u8]) -> Result<(), LoaderError> {
    match status {
        ExtensionStatus::Ok => Ok(()),
        ExtensionStatus::TrustChangeRefused => {
            let (summary, message, hint) = match decode_trust_refusal(body) {
                Some((code, message)) => (code.summary(), message.to_string(), hint(code)),
                None => (
                    "refused",
                    String::from_utf8_lossy(body).into_owned(),
                    "`loader keys list` shows the board's trust state",
                ),
            };
            let message = if message.is_empty() {
                String::new()
            } else {
                format!(" ({message})")
            };
            Err(LoaderError::Refused(format!(
                "{device}: the device refused the change: {summary}{message}; nothing was \
                 changed; {hint}"
            )))
        }
        ExtensionStatus::Unsupported => Err(LoaderError::Refused(format!(
            "{device}: the board keeps no trust store ({}); build it with BOARD_ROOT_KEY",
            String::from_utf8_lossy(body)
        ))),
        other => Err(LoaderError::Protocol {
            device: device.to_string(),
            command: "ApplyTrustChange".to_string(),
            answer: format!("{other:?}: {}", String::from_utf8_lossy(body)),
            hint: "nothing was changed; retry".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_its_reason_and_what_to_do() {
        let error = check(
            "serial x",
            ExtensionStatus::TrustChangeRefused,
            b"\x03change 1 is not above 2",
        )
        .expect_err("refused");
        let text = error.to_string();
        assert!(
            text.contains("stale sequence (change 1 is not above 2)"),
            "{text}"
        );
        assert!(text.contains("--sequence above"), "{text}");
        assert!(matches!(error, LoaderError::Refused(_)));
        assert!(check("serial x", ExtensionStatus::Ok, &[]).is_ok());
        let unsupported = check("serial x", ExtensionStatus::Unsupported, b"no root key");
        assert!(unsupported
            .expect_err("unsupported")
            .to_string()
            .contains("BOARD_ROOT_KEY"));
    }
}
