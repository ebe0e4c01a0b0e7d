//! The trust-store commands (issue 19): TRUST_STATE and
//! APPLY_TRUST_CHANGE. Their bodies are `tbf::trust`'s encodings (the one
//! definition of the formats, shared by kernel and tools); this module
//! defines what travels beside them.
//!
//! ```text
//! TRUST_STATE         (no payload)  -> Ok, body = encoded TrustState (<= 3000 bytes,
//!                                      more than MAX_EXTENSION_BODY: read it with a
//!                                      decoder buffer of at least MAX_TRUST_STATE_BODY)
//!                                   -> Unsupported, message: the board keeps no trust store
//! APPLY_TRUST_CHANGE  (signed change, at most MAX_COMMAND_PAYLOAD bytes)
//!                                   -> Ok (applied and written to flash)
//!                                   -> TrustChangeRefused, body = code u8 | message (UTF-8)
//!                                   -> Unsupported, message: no trust store / no root key
//! ```

/// The longest TRUST_STATE body (`tbf::trust::MAX_ENCODED_STATE`).
pub const MAX_TRUST_STATE_BODY: usize = 3000;

/// Why the device refused a trust change (the first byte of a
/// TRUST_CHANGE_REFUSED body); nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustChangeRefusal {
    /// The bytes are not a signed change.
    Malformed = 1,
    /// The signature does not verify with the board's root key.
    BadSignature = 2,
    /// Its sequence number is not above the board's (a replay).
    StaleSequence = 3,
    /// The key to revoke is not an active signing key of the board.
    UnknownKey = 4,
    /// The board's signing key list is full.
    ListFull = 5,
    /// Writing the new state to flash failed (the old state stays).
    FlashFailure = 6,
    /// The change is scoped to another board.
    WrongDevice = 7,
    /// The key to add is already listed (a revoked key stays revoked).
    AlreadyListed = 8,
    /// The board has no root key: its keys cannot be changed.
    NoRootKey = 9,
}

impl TrustChangeRefusal {
    const ALL: [TrustChangeRefusal; 9] = [
        TrustChangeRefusal::Malformed,
        TrustChangeRefusal::BadSignature,
        TrustChangeRefusal::StaleSequence,
        TrustChangeRefusal::UnknownKey,
        TrustChangeRefusal::ListFull,
        TrustChangeRefusal::FlashFailure,
        TrustChangeRefusal::WrongDevice,
        TrustChangeRefusal::AlreadyListed,
        TrustChangeRefusal::NoRootKey,
    ];

    /// From the wire value.
    pub fn from_u8(value: u8) -> Option<TrustChangeRefusal> {
        Self::ALL.iter().copied().find(|code| *code as u8 == value)
    }

    /// A few words for messages.
    pub fn summary(self) -> &'static str {
        match self {
            TrustChangeRefusal::Malformed => "malformed change",
            TrustChangeRefusal::BadSignature => "bad signature",
            TrustChangeRefusal::StaleSequence => "stale sequence",
            TrustChangeRefusal::UnknownKey => "unknown key",
            TrustChangeRefusal::ListFull => "list full",
            TrustChangeRefusal::FlashFailure => "flash failure",
            TrustChangeRefusal::WrongDevice => "scoped to another device",
            TrustChangeRefusal::AlreadyListed => "key already listed",
            TrustChangeRefusal::NoRootKey => "no root key",
        }
    }
}

/// Split a TRUST_CHANGE_REFUSED body into its code and message.
pub fn decode_trust_refusal(body: &[u8]) -> Option<(TrustChangeRefusal, &str)> {
    let (code, message) = body.split_first()?;
    let code = TrustChangeRefusal::from_u8(*code)?;
    Some((code, core::str::from_utf8(message).unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Command, CommandFrame, Request, RequestError};

    #[test]
    fn refusal_codes_round_trip() {
        for code in TrustChangeRefusal::ALL {
            assert_eq!(TrustChangeRefusal::from_u8(code as u8), Some(code));
        }
        assert_eq!(TrustChangeRefusal::from_u8(0), None);
        assert_eq!(
            decode_trust_refusal(b"\x03stale"),
            Some((TrustChangeRefusal::StaleSequence, "stale"))
        );
    }

    #[test]
    fn trust_requests_round_trip_and_an_empty_change_is_refused() {
        let change = [0x54u8; 140];
        for request in [
            Request::TrustState,
            Request::ApplyTrustChange { change: &change },
        ] {
            let mut payload = [0u8; crate::MAX_COMMAND_PAYLOAD];
            let length = request.write_payload(&mut payload).expect("fits");
            let frame = CommandFrame {
                code: request.command() as u8,
                payload: &payload[..length],
            };
            assert_eq!(Request::parse(&frame), Ok(request));
        }
        let empty = CommandFrame {
            code: Command::ApplyTrustChange as u8,
            payload: &[],
        };
        assert_eq!(
            Request::parse(&empty),
            Err(RequestError::BadArguments(Command::ApplyTrustChange))
        );
    }
}
