//! Power cuts (issue 19): the board's power is cut (QEMU killed; the
//! flash file keeps exactly what was programmed) at a sweep of moments
//! while it applies a trust change, and while it installs a new version
//! that raises an app's minimum version. After each cut the board boots
//! with the old state or the new one, never a broken one: the trust store
//! decodes, its sequence is the old or the new, and the app still runs at
//! a version its minimum allows.
//!
//! The moments: the whole command is timed once on the same flash; then
//! the cuts search for the write: the first cut early, the next late
//! (later again while the state is still the old one), then each cut
//! halves the interval between the latest cut that left the old state and
//! the earliest that left the new one, so the last cuts fall within a few
//! milliseconds of the write, where a cut can land in it. The test fails
//! if no cut left the old state or none the new (the cuts missed the
//! write), and if any cut left anything else.

use super::fixture::Fixture;
use super::key_rotation::app_signed_by;
use super::trust_board::{
    key_file, key_status, minimum_version, root_change, sequence, step, trust_kernel, TrustDevice,
    TrustKey, SETTLE,
};
use anyhow::{bail, ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Cuts that halve the interval around the write.
const HALVINGS: usize = 7;
/// Cuts later and later while the state stays the old one.
const LATER_TRIES: u32 = 4;
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

/// Cuts power at moments searched around the write (see the module
/// doc); `outcome` boots the cut flash, checks it, and says whether it
/// holds the new state. Returns the cuts that left the old state and the
/// new one.
fn search_the_write(
    total: Duration,
    mut cut: impl FnMut(Duration) -> Result<PathBuf>,
    mut outcome: impl FnMut(&Path, Duration) -> Result<bool>,
) -> Result<(usize, usize)> {
    let (mut old, mut new) = (0, 0);
    let mut probe = |moment: Duration| -> Result<bool> {
        let flash = cut(moment)?;
        let is_new = outcome(&flash, moment)?;
        if is_new {
            new += 1;
        } else {
            old += 1;
        }
        Ok(is_new)
    };
    let mut before = total / 10;
    if probe(before)? {
        before = Duration::ZERO;
    }
    let mut after = total;
    let mut tries = 0;
    while !probe(after)? {
        tries += 1;
        ensure!(
            tries <= LATER_TRIES,
            "a cut {after:?} into a command that took {total:?} still left the old state"
        );
        before = after;
        after = after * 3 / 2;
    }
    for _ in 0..HALVINGS {
        let middle = (before + after) / 2;
        if probe(middle)? {
            after = middle;
        } else {
            before = middle;
        }
    }
    ensure!(
        old > 0 && new > 0,
        "the cuts never straddled the write ({old} old, {new} new); the command took {total:?}"
    );
    println!("signing: the write lies between {before:?} and {after:?} into the command");
    Ok((old, new))
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
    let (old, new) = search_the_write(
        total,
        |moment| cut_during(fixture, &pristine, &arguments, moment),
        |flash, moment| {
            step(
                &format!("a cut {moment:?} into `keys add` ({total:?})"),
                || {
                    let device = TrustDevice::boot(fixture, flash)?;
                    let state = device.trust_state()?;
                    match (sequence(&state)?, key_status(&state, &second)) {
                        (0, None) => Ok(false),
                        (1, Some("active")) => Ok(true),
                        _ => bail!("a broken trust state after the cut: {state}"),
                    }
                },
            )
        },
    )?;
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
    search_the_write(
        total,
        |moment| cut_during(fixture, &pristine, &arguments, moment),
        |flash, moment| {
            step(
                &format!("a cut {moment:?} into installing version 2 ({total:?})"),
                || {
                    let device = TrustDevice::boot(fixture, flash)?;
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
                    Ok(version == 2)
                },
            )
        },
    )?;
    println!("signing: cuts while installing version 2 left (version, minimum): {outcomes:?}");
    Ok(())
}
