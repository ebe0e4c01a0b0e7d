//! Debian's `oathtool` (OATH Toolkit), the second independent client the
//! HOTP and TOTP codes are checked against (pyotp is the first). A missing
//! oathtool fails the test, saying how to install it.

use super::qemu::RFC_SECRET;
use crate::cmd;
use anyhow::{Context as _, Result};
use std::process::Command;

/// The code oathtool gives for the RFC 4226 secret with `arguments`
/// (`--hotp`/`--totp=...`, digits, counter or time).
fn code(arguments: &[String]) -> Result<String> {
    let mut oathtool = Command::new("oathtool");
    oathtool.arg("--base32").args(arguments).arg(RFC_SECRET);
    let output = cmd::output(&mut oathtool)
        .context("running oathtool (Debian's package oathtool: `cargo xtask setup` installs it)")?;
    Ok(output.trim().to_string())
}

/// HOTP (RFC 4226) of `counter`.
pub fn hotp(counter: u64, digits: u32) -> Result<String> {
    code(&[
        "--hotp".into(),
        format!("--digits={digits}"),
        format!("--counter={counter}"),
    ])
}

/// TOTP (RFC 6238, 30-second steps) at Unix time `time` with `algorithm`
/// (`sha1` or `sha256`).
pub fn totp(time: u64, digits: u32, algorithm: &str) -> Result<String> {
    code(&[
        format!("--totp={algorithm}"),
        format!("--digits={digits}"),
        format!("--now=@{time}"),
    ])
}
