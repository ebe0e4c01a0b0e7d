//! Issue 16 on a board with the key: `list` says why the kernel refused
//! an image (the reason the credential checker gave at boot), and a new
//! build linked for the old one's own slot that the board refuses is
//! refused before the old one stops: the old keeps its process and its
//! version.

use super::fixture::{Fixture, Key, Policy};
use super::live::{Device, SETTLE};
use super::scenarios::altered_code;
use anyhow::{ensure, Context as _, Result};

/// The app that keeps its slot.
const KEPT: &str = "hello_a";
/// The app refused at boot (one code byte changed after signing).
const TAMPERED: &str = "hello_b";

pub fn refusal_reasons_and_refused_in_place_replace(fixture: &mut Fixture) -> Result<()> {
    let kernel = fixture.kernel(Policy::Signature)?;
    let good = fixture.signed(&fixture.package(KEPT, KEPT, 1)?, Key::Board)?;
    let signed = fixture.signed(&fixture.package(TAMPERED, TAMPERED, 1)?, Key::Board)?;
    let flash = fixture.flash("listed-refusal", &kernel, &[good, altered_code(&signed)?])?;
    // Version 2 of the kept app, for its own slot, signed by a key the
    // board does not know: only the kernel can tell.
    let unknown = fixture.signed(&fixture.package(KEPT, KEPT, 2)?, Key::Unknown)?;
    let unknown_file = fixture.file("in-place-unknown-key.tbf", &unknown)?;

    let device = Device::boot(crate::tools::loader(fixture.context())?, &flash)?;
    std::thread::sleep(SETTLE);
    let (ok, listed) = device.loader(&["list"])?;
    let line = listed.lines().find(|line| line.starts_with(TAMPERED));
    ensure!(
        ok && line.is_some_and(|line| line.contains("refused: credential does not verify")),
        "`list` does not say why {TAMPERED} was refused: {listed}"
    );
    let (ok, json) = device.loader(&["list", "--json"])?;
    let value: serde_json::Value = serde_json::from_str(&json)
        .with_context(|| format!("parsing `list --json` ({ok}): {json}"))?;
    let apps = value.as_array().context("`list --json` is not an array")?;
    let reason = apps
        .iter()
        .find(|app| app["name"] == TAMPERED)
        .and_then(|app| app["refusal_reason"].as_str());
    ensure!(
        reason.is_some_and(|reason| reason.contains("sign it again")),
        "`list --json` gives {TAMPERED} no refusal reason: {json}"
    );

    let before = device.processes()?;
    ensure!(
        before.iter().any(|name| name == KEPT),
        "{KEPT} is not loaded: {before:?}"
    );
    let (ok, said) = device.loader(&["install", &unknown_file])?;
    ensure!(
        !ok && said.contains("old one keeps running"),
        "a build for {KEPT}'s own slot signed by an unknown key was not refused up front: {said}"
    );
    let after = device.processes()?;
    ensure!(
        after == before,
        "processes changed: {before:?} -> {after:?}"
    );
    let (_, json) = device.loader(&["list", "--json"])?;
    let value: serde_json::Value = serde_json::from_str(&json)?;
    let versions: Vec<u64> = value
        .as_array()
        .context("`list --json` is not an array")?
        .iter()
        .filter(|app| app["name"] == KEPT)
        .filter_map(|app| app["version"].as_u64())
        .collect();
    ensure!(
        versions == [1],
        "{KEPT} versions after the refusal: {versions:?}"
    );
    println!(
        "signing: the in-place replace refused up front: {}",
        said.trim()
    );
    Ok(())
}
