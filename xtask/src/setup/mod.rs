//! `cargo xtask setup`: installs what the build, the tests and the
//! benchmarks need, and nothing when everything is there.
//!
//! Every other command calls [`ensure_all`] first. Each step checks before
//! it acts and says what it installs and why; a run that finds everything
//! present prints the single line `setup: all tools present`.
//!
//! Steps: rustup targets, components and the nightly toolchain (explicit
//! `rustup` calls: `RUSTUP_AUTO_INSTALL=0` means nothing installs itself);
//! Debian packages (QEMU from bookworm-backports, cross compilers, libc,
//! libudev); the tools cached under `~/.cache/tock-dev/` ([`crate::tools`]);
//! the security-key tests' Python clients ([`python_clients`]).

use crate::tools::CACHED_TOOLS;
use anyhow::{bail, Result};
use std::sync::OnceLock;

mod apt;
pub mod python_clients;
mod rustup;

/// What one run of the set-up did, so it can say "all tools present".
#[derive(Default)]
pub struct Report {
    installed_something: bool,
}

impl Report {
    /// Announces an installation step.
    pub fn installing(&mut self, what: &str) {
        println!("setup: installing {what}");
        self.installed_something = true;
    }
}

/// The error kind of a failed set-up (xtask exits with status 3 for it).
#[derive(Debug)]
pub struct SetupFailed;

impl std::fmt::Display for SetupFailed {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("setup could not install a required tool")
    }
}

/// Checks every tool and installs what is missing. Runs once per process;
/// later calls return the first result at once.
pub fn ensure_all() -> Result<()> {
    static OUTCOME: OnceLock<Result<(), String>> = OnceLock::new();
    let outcome = OUTCOME.get_or_init(|| install_missing().map_err(|error| format!("{error:#}")));
    match outcome {
        Ok(()) => Ok(()),
        Err(message) => Err(anyhow::anyhow!("{message}").context(SetupFailed)),
    }
}

fn install_missing() -> Result<()> {
    let mut report = Report::default();
    rustup::ensure(&mut report)?;
    apt::ensure(&mut report)?;
    python_clients::ensure(&mut report)?;
    for tool in CACHED_TOOLS {
        if (tool.is_present)()? {
            continue;
        }
        report.installing(tool.description);
        (tool.install)()?;
        if !(tool.is_present)()? {
            bail!("installed {} but still cannot find it", tool.description);
        }
    }
    if !report.installed_something {
        println!("setup: all tools present");
    }
    Ok(())
}
