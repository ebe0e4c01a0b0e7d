//! Exit statuses of `cargo xtask` (documented in CONTRIBUTING.md).
//!
//! | status | meaning |
//! |---|---|
//! | 0 | everything asked for succeeded |
//! | 1 | a test, benchmark or the run failed |
//! | 2 | bad command line (unknown subcommand, flag or area) |
//! | 3 | setup could not install a required tool |
//!
//! `cargo xtask qemu` exits with the guest kernel's own exit code instead.

use crate::setup::SetupFailed;

/// Everything asked for succeeded.
pub const SUCCESS: u8 = 0;
/// A test, benchmark or the run failed.
pub const FAILURE: u8 = 1;
/// Bad command line (the status clap uses too).
pub const USAGE: u8 = 2;
/// Setup could not install a required tool.
pub const SETUP: u8 = 3;

/// Marks an error as a command-line mistake.
#[derive(Debug)]
pub struct UsageError;

impl std::fmt::Display for UsageError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("bad command line")
    }
}

/// The exit status for an error that ended the command.
pub fn status_for(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<UsageError>().is_some() {
        USAGE
    } else if error.downcast_ref::<SetupFailed>().is_some() {
        SETUP
    } else {
        FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_their_documented_statuses() {
        let usage = anyhow::anyhow!("no area named x").context(UsageError);
        let setup = anyhow::anyhow!("apt-get failed").context(SetupFailed);
        assert_eq!(status_for(&usage), USAGE);
        assert_eq!(status_for(&setup), SETUP);
        assert_eq!(status_for(&anyhow::anyhow!("test failed")), FAILURE);
    }
}
