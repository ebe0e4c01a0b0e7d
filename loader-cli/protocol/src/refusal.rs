//! Why the kernel refused to run an app image: one byte per image in
//! LIST_APPS, kept by the loader service when the refusal happens (a
//! live install, or the credential checker at boot and later) and
//! re-derived on request from the board's credential policy when it was
//! not kept. `loader list` shows the summary, `list -v` and `--json` the
//! explanation with what to do.

/// A refusal reason as LIST_APPS carries it (0: not refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalReason {
    /// Refused, but the kernel kept no reason (a boot-time load check:
    /// its boot log says which).
    Unknown,
    /// It carries no credential of the kind the board's policy needs.
    NotSigned,
    /// Its credential does not verify (altered, or an unknown key).
    CredentialInvalid,
    /// Its credentials or header do not parse.
    Malformed,
    /// An app with the same identity and a higher version runs.
    Superseded,
    /// Not enough free app RAM.
    NoRam,
    /// Every process slot is taken.
    NoProcessSlot,
    /// Its fixed flash address or its image overlaps another loaded app.
    FlashTaken,
    /// Its header asks for another kernel version, or its entry point is
    /// outside the image.
    Incompatible,
    /// Signed only by keys the board's trust store has revoked (TRUST_STATE
    /// lists them, with their fingerprints).
    RevokedSigner,
    /// Its version is below the minimum the board's trust store keeps for
    /// its name (a rollback needs a root-signed permit).
    BelowMinimumVersion,
    /// The previous version of a test install: kept, not run, until the
    /// version on test is confirmed (then freed) or reverts (then run).
    Standby,
}

impl RefusalReason {
    /// Every reason, in wire order (codes 1..).
    const ALL: [RefusalReason; 12] = [
        RefusalReason::Unknown,
        RefusalReason::NotSigned,
        RefusalReason::CredentialInvalid,
        RefusalReason::Malformed,
        RefusalReason::Superseded,
        RefusalReason::NoRam,
        RefusalReason::NoProcessSlot,
        RefusalReason::FlashTaken,
        RefusalReason::Incompatible,
        RefusalReason::RevokedSigner,
        RefusalReason::BelowMinimumVersion,
        RefusalReason::Standby,
    ];

    /// Wire value (never 0: that is "not refused").
    pub fn to_u8(self) -> u8 {
        Self::ALL
            .iter()
            .position(|reason| *reason == self)
            .map_or(1, |index| index as u8 + 1)
    }

    /// From the wire value; `None` for 0 (not refused). A code this
    /// decoder does not know reads as `Unknown`.
    pub fn from_u8(value: u8) -> Option<RefusalReason> {
        match value {
            0 => None,
            code => Some(
                Self::ALL
                    .get(usize::from(code) - 1)
                    .copied()
                    .unwrap_or(RefusalReason::Unknown),
            ),
        }
    }

    /// A few words for `list`'s state column.
    pub fn summary(self) -> &'static str {
        match self {
            RefusalReason::Unknown => "reason not kept",
            RefusalReason::NotSigned => "not signed",
            RefusalReason::CredentialInvalid => "credential does not verify",
            RefusalReason::Malformed => "malformed",
            RefusalReason::Superseded => "a higher version runs",
            RefusalReason::NoRam => "no RAM",
            RefusalReason::NoProcessSlot => "no process slot",
            RefusalReason::FlashTaken => "flash address taken",
            RefusalReason::Incompatible => "incompatible",
            RefusalReason::RevokedSigner => "signed only by a revoked key",
            RefusalReason::BelowMinimumVersion => "version below the minimum",
            RefusalReason::Standby => "standby",
        }
    }

    /// What is wrong and what to do (`list -v`, `--json`).
    pub fn explanation(self) -> &'static str {
        match self {
            RefusalReason::Unknown => "the kernel refused it at boot and kept no reason; its boot log says why; install it again to see the device's answer",
            RefusalReason::NotSigned => "it carries no credential of the kind the board's policy needs; sign it with a key the board trusts and install it again",
            RefusalReason::CredentialInvalid => "its credential does not verify with the board's keys (altered after signing, or signed by an unknown key); sign it again and install it",
            RefusalReason::Malformed => "its header or credentials do not parse; package it again",
            RefusalReason::Superseded => "an app with the same identity and a higher version runs; uninstall that one, or install a higher version of this one",
            RefusalReason::NoRam => "not enough free app RAM for it; uninstall or stop another app, or lower its RAM needs",
            RefusalReason::NoProcessSlot => "every process slot is taken; uninstall another app first",
            RefusalReason::FlashTaken => "its image overlaps a loaded app or the address it is linked for is taken; rebuild it for a free address",
            RefusalReason::Incompatible => "it needs another kernel version or its entry point lies outside its image; rebuild it for this kernel",
            RefusalReason::RevokedSigner => "every key that signed it has been revoked on this board (`loader keys list` shows which); sign it with an active key and install it again",
            RefusalReason::BelowMinimumVersion => "its version is below the minimum this board keeps for its name (anti-rollback); install a version at least that high, or apply a root-signed rollback permit first",
            RefusalReason::Standby => "the previous version of a test install: it runs again if the version on test faults past the restart threshold or the device reboots before confirmation, and is freed once that version is confirmed (`loader confirm NAME`)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_and_zero_means_not_refused() {
        assert_eq!(RefusalReason::from_u8(0), None);
        for reason in RefusalReason::ALL {
            assert_ne!(reason.to_u8(), 0);
            assert_eq!(RefusalReason::from_u8(reason.to_u8()), Some(reason));
        }
        assert_eq!(RefusalReason::from_u8(200), Some(RefusalReason::Unknown));
    }
}
