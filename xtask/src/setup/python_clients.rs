//! The Python clients of the security-key tests: pyotp (an independent
//! RFC 4226 implementation) and python-fido2 (a real U2F/CTAP client),
//! from PyPI, in their own venv at `~/.cache/tock-dev/security-key-venv`.
//! Idempotent: nothing happens when both pinned versions are installed.

use super::Report;
use crate::{cmd, tools};
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned packages (what the tests were written against).
const PACKAGES: &[(&str, &str)] = &[("pyotp", "2.12.0"), ("fido2", "2.2.1")];

/// The venv's directory.
pub fn venv() -> Result<PathBuf> {
    Ok(tools::cache_dir()?.join("security-key-venv"))
}

/// The venv's Python.
pub fn python() -> Result<PathBuf> {
    Ok(venv()?.join("bin").join("python"))
}

/// Whether each pinned package is installed (pip records a dist-info
/// directory per package and version).
pub fn is_present() -> Result<bool> {
    let venv = venv()?;
    let Ok(entries) = std::fs::read_dir(venv.join("lib")) else {
        return Ok(false);
    };
    let site_packages: Vec<PathBuf> = entries
        .flatten()
        .map(|python| python.path().join("site-packages"))
        .collect();
    Ok(python()?.is_file()
        && PACKAGES.iter().all(|(name, version)| {
            site_packages
                .iter()
                .any(|site| site.join(format!("{name}-{version}.dist-info")).is_dir())
        }))
}

/// Installs the venv and the packages if any is missing.
pub fn ensure(report: &mut Report) -> Result<()> {
    if is_present()? {
        return Ok(());
    }
    report.installing("pyotp and python-fido2 for the security-key tests (Python venv and pip)");
    let venv = venv()?;
    let debian_python = Path::new("/usr/bin/python3");
    let system_python = if debian_python.is_file() {
        debian_python
    } else {
        Path::new("python3")
    };
    cmd::run(Command::new(system_python).args(["-m", "venv"]).arg(&venv))
        .context("creating the security-key Python venv (Debian: apt-get install python3-venv)")?;
    let mut pip = Command::new(venv.join("bin").join("pip"));
    pip.args(["install", "--quiet", "--disable-pip-version-check"]);
    for (name, version) in PACKAGES {
        pip.arg(format!("{name}=={version}"));
    }
    cmd::run(&mut pip).context("installing pyotp and fido2 from PyPI")?;
    anyhow::ensure!(
        is_present()?,
        "pip finished but pyotp {} / fido2 {} are still missing in {}",
        PACKAGES[0].1,
        PACKAGES[1].1,
        venv.display()
    );
    Ok(())
}
