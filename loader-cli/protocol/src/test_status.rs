//! Test installs on the wire: the board's confirmation policy and the
//! running test, as TEST_STATUS answers them (one definition for the
//! kernel's loader service and the loader). `docs/test-installs.md`
//! describes the state machine.

/// How a version on test becomes permanent (the board chooses; any of
/// the enabled ways confirms it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConfirmPolicy {
    /// The app confirms itself (a system call).
    pub by_app: bool,
    /// `loader confirm NAME` confirms it.
    pub by_loader: bool,
    /// It is confirmed after running this many seconds without a fault
    /// past the restart threshold (`None`: never by time).
    pub after_seconds: Option<u32>,
}

/// For `loader info`: every way that confirms, in words.
impl core::fmt::Display for ConfirmPolicy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut separator = "";
        let mut way = |f: &mut core::fmt::Formatter<'_>, text: core::fmt::Arguments| {
            let written = write!(f, "{separator}{text}");
            separator = ", or ";
            written
        };
        if self.by_app {
            way(f, format_args!("the app's confirm system call"))?;
        }
        if self.by_loader {
            way(f, format_args!("`loader confirm NAME`"))?;
        }
        if let Some(seconds) = self.after_seconds {
            way(f, format_args!("{seconds} s running without a fault"))?;
        }
        if separator.is_empty() {
            f.write_str("nothing confirms (every test install reverts)")?;
        }
        Ok(())
    }
}

/// A test install that has not ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunningTest {
    /// The version on standby (its header's address).
    pub old: u32,
    /// The version on test.
    pub new: u32,
    /// Seconds it has run on test.
    pub elapsed_seconds: u32,
}

/// TEST_STATUS's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestStatus {
    /// The board's policy.
    pub policy: ConfirmPolicy,
    /// The running test, if any.
    pub running: Option<RunningTest>,
}

/// Bytes of an encoded [`TestStatus`].
pub const TEST_STATUS_LENGTH: usize = 18;

impl TestStatus {
    /// `flags u8 (1 by app, 2 by loader) | seconds u32 (0: never by time)
    /// | running u8 | old u32 | new u32 | elapsed seconds u32`.
    pub fn encode(&self) -> [u8; TEST_STATUS_LENGTH] {
        let mut bytes = [0u8; TEST_STATUS_LENGTH];
        bytes[0] = u8::from(self.policy.by_app) | u8::from(self.policy.by_loader) << 1;
        bytes[1..5].copy_from_slice(&self.policy.after_seconds.unwrap_or(0).to_le_bytes());
        if let Some(test) = self.running {
            bytes[5] = 1;
            bytes[6..10].copy_from_slice(&test.old.to_le_bytes());
            bytes[10..14].copy_from_slice(&test.new.to_le_bytes());
            bytes[14..18].copy_from_slice(&test.elapsed_seconds.to_le_bytes());
        }
        bytes
    }

    /// The inverse of [`Self::encode`]; `None` for a short body.
    pub fn decode(bytes: &[u8]) -> Option<TestStatus> {
        let word = |offset: usize| -> Option<u32> {
            Some(u32::from_le_bytes(
                bytes.get(offset..offset + 4)?.try_into().ok()?,
            ))
        };
        let flags = *bytes.first()?;
        let seconds = word(1)?;
        let running = match *bytes.get(5)? {
            0 => None,
            _ => Some(RunningTest {
                old: word(6)?,
                new: word(10)?,
                elapsed_seconds: word(14)?,
            }),
        };
        Some(TestStatus {
            policy: ConfirmPolicy {
                by_app: flags & 1 != 0,
                by_loader: flags & 2 != 0,
                after_seconds: (seconds != 0).then_some(seconds),
            },
            running,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_and_short_bodies_are_refused() {
        let status = TestStatus {
            policy: ConfirmPolicy {
                by_app: true,
                by_loader: false,
                after_seconds: Some(10),
            },
            running: Some(RunningTest {
                old: 0x2004_0000,
                new: 0x2004_4000,
                elapsed_seconds: 3,
            }),
        };
        assert_eq!(TestStatus::decode(&status.encode()), Some(status));
        let idle = TestStatus {
            policy: ConfirmPolicy::default(),
            running: None,
        };
        assert_eq!(TestStatus::decode(&idle.encode()), Some(idle));
        assert_eq!(TestStatus::decode(&status.encode()[..17]), None);
        assert!(idle.policy.to_string().contains("reverts"));
        assert_eq!(
            status.policy.to_string(),
            "the app's confirm system call, or 10 s running without a fault"
        );
    }

    #[test]
    fn test_install_requests_round_trip_and_short_payloads_are_refused() {
        use crate::{Command, CommandFrame, Request};
        let requests = [
            Request::TestInstall {
                old_address: 0x2005_0000,
                new_address: 0x2015_0000,
            },
            Request::ConfirmTest {
                address: 0x2015_0000,
            },
            Request::TestStatus,
        ];
        for request in requests {
            let mut payload = [0u8; 16];
            let length = request.write_payload(&mut payload).unwrap();
            let frame = CommandFrame {
                code: request.command() as u8,
                payload: &payload[..length],
            };
            assert_eq!(Request::parse(&frame), Ok(request));
        }
        let short = CommandFrame {
            code: Command::TestInstall as u8,
            payload: &[0; 4],
        };
        assert!(Request::parse(&short).is_err());
    }
}
