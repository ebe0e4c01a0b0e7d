//! Power cuts (issue 19): the board's power is cut (QEMU killed; the
//! flash file keeps exactly what was programmed) at a sweep of moments
//! while it applies a trust change, and while it installs a new version
//! that raises an app's minimum version. After each cut the board boots
//! with the old state or the new one, never a broken one: the trust store
//! decodes, its sequence is the old or the new, and the app still runs at
//! a version its minimum allows.
//!
//! The moments: the whole command is timed once on the same flash, then
//! cut at fractions of that time, densest in its middle, where the device
//! writes (after the loader's connection and checks, before its answer
//! and the state read back after it: measured, about half the old state
//! and half the new). Which cuts land before, in or after the write
//! varies from run to run; the test prints how many left the old and the
//! new state, and asserts that no cut left anything else.

use super::fixture::Fixture;
use super::key_rotation::app_signed_by;
use super::trust_board::{
    key_file, key_status, minimum_version, root_change, sequence, step, trust_kernel, TrustDevice,
    TrustKey, SETTLE,
};
use anyhow::{bail, ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where in the command's run time the power is cut, in thousandths.
const CUTS: &[u32] = &[150, 300, 400, 500, 550, 600, 650, 700, 800, 900, 1000];
/// The app whose install is cut (runs until stopped, slot 2).
const APP: &str = "spinner";

/// A copy of `pristine` to cut power on.
fn fresh_copy(fixture: &Fixture, pristine: &Path, name: &str) -> Result<PathBuf> {
    let copy = fixture.path(name);
    std::fs::copy(pristine, &copy)
        .with_context(|| format!("copying {} to {}", pristine.display(), copy.display()))?;
    Ok(copy)
}

/// How long `loader ARGUMENTS` takes on a fresh copy of `pristine`.
fn time_command(fixture: &Fixture, pristine: &Path, arguments: &[&str]) -> Result<Duration> {
    let flash = fresh_copy(fixture, pristine, "cut-timing.pflash")?;
    let device = TrustDevice::boot(fixture, &flash)?;
    let started = Instant::now();
    let (code, said) = device.loader(arguments)?;
    ensure!(
        code == 0,
        "`loader {}` without a cut: exit {code}: {said}",
        arguments.join(" ")
    );
    Ok(started.elapsed())
}

/// Cuts power `after` into `loader ARGUMENTS` on a fresh copy of
/// `pristine`; returns the copy, powered off.
fn cut_during(
    fixture: &Fixture,
    pristine: &Path,
    arguments: &[&str],
    after: Duration,
) -> Result<PathBuf> {
    let flash = fresh_copy(fixture, pristine, "cut.pflash")?;
    let mut device = TrustDevice::boot(fixture, &flash)?;
    let mut loader = device.start_loader(arguments)?;
    std::thread::sleep(after);
    device.cut_power();
    // The loader sees its link close (or had finished): either way it ends.
    let _ = loader.kill();
    let _ = loader.wait();
    Ok(flash)
}

/// A board with the trust store written (one boot) and, if `app` is
/// given, that image installed live: the state every cut starts from.
fn pristine(fixture: &Fixture, name: &str, app: Option<&str>) -> Result<PathBuf> {
    let kernel = trust_kernel(fixture, None)?;
    let flash = fixture.flash(name, &kernel, &[])?;
    let mut device = TrustDevice::boot(fixture, &flash)?;
    device
        .trust_state()
        .context("the first boot wrote no trust store")?;
    if let Some(image) = app {
        let (code, said) = device.loader(&["install", image])?;
        ensure!(code == 0, "installing {image}: exit {code}: {said}");
        std::thread::sleep(SETTLE);
    }
    device.cut_power();
    Ok(flash)
}

/// The moments to cut at, for a command that takes `total`.
fn moments(total: Duration) -> impl Iterator<Item = Duration> {
    CUTS.iter()
        .map(move |&thousandths| total * thousandths / 1000)
}

pub fn a_power_cut_while_a_change_is_applied_leaves_the_old_or_the_new_state(
    fixture: &mut Fixture,
) -> Result<()> {
    let pristine = pristine(fixture, "cut-change-pristine", None)?;
    let second_public = key_file(fixture, TrustKey::Second, "pub")?;
    let second = super::trust_board::fingerprint(fixture, &second_public)?;
    let add = root_change(fixture, "cut-add.bin", &["--add-key", &second_public], 1)?;
    let arguments = ["keys", "add", add.as_str()];
    let total = time_command(fixture, &pristine, &arguments)?;
    let (mut old, mut new) = (0, 0);
    for moment in moments(total) {
        let flash = cut_during(fixture, &pristine, &arguments, moment)?;
        step(
            &format!("a cut {moment:?} into `keys add` ({total:?})"),
            || {
                let device = TrustDevice::boot(fixture, &flash)?;
                let state = device.trust_state()?;
                match (sequence(&state)?, key_status(&state, &second)) {
                    (0, None) => old += 1,
                    (1, Some("active")) => new += 1,
                    _ => bail!("a broken trust state after the cut: {state}"),
                }
                Ok(())
            },
        )?;
    }
    println!("signing: cuts while applying a change: {old} left the old state, {new} the new");
    Ok(())
}

pub fn a_power_cut_during_an_install_that_raises_the_minimum_leaves_a_runnable_app(
    fixture: &mut Fixture,
) -> Result<()> {
    let v1 = app_signed_by(fixture, APP, 1, None)?;
    let v2 = app_signed_by(fixture, APP, 2, None)?;
    let pristine = pristine(fixture, "cut-install-pristine", Some(&v1))?;
    let arguments = ["install", v2.as_str()];
    let total = time_command(fixture, &pristine, &arguments)?;
    let mut outcomes = Vec::new();
    for moment in moments(total) {
        let flash = cut_during(fixture, &pristine, &arguments, moment)?;
        step(
            &format!("a cut {moment:?} into installing version 2 ({total:?})"),
            || {
                let device = TrustDevice::boot(fixture, &flash)?;
                std::thread::sleep(SETTLE);
                let minimum = minimum_version(&device.trust_state()?, APP).unwrap_or(0);
                let app = device
                    .listed(APP)?
                    .context("the app is gone after the cut")?;
                let version = app["version"].as_u64().unwrap_or(0);
                ensure!(
                    app["state"] != "refused" && version >= minimum,
                    "after the cut {APP} version {version} is {} with minimum {minimum}: {app}",
                    app["state"]
                );
                outcomes.push((version, minimum));
                Ok(())
            },
        )?;
    }
    println!("signing: cuts while installing version 2 left (version, minimum): {outcomes:?}");
    Ok(())
}
