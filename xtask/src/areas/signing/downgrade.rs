//! Anti-rollback (issue 19): once version 2 of an app is installed, the
//! board keeps 2 as the app's minimum version: version 1 is refused when
//! installed live (version 2 keeps running) and, written to flash offline
//! (the loader's flash-file path, as a probe or tockloader would), at the
//! next boot, with the reason in `loader list`. A root-signed rollback
//! permit lowers the minimum, and then version 1 installs.

use super::fixture::Fixture;
use super::key_rotation::app_signed_by;
use super::trust_board::{minimum_version, root_change, step, trust_kernel, TrustDevice, SETTLE};
use anyhow::{ensure, Context as _, Result};

/// The app under test: it runs until stopped (slot 2).
const APP: &str = "spinner";

/// The version of `APP` that `loader list --json` shows, and its state.
fn listed_version(device: &TrustDevice) -> Result<(Option<u64>, String)> {
    let app = device
        .listed(APP)?
        .with_context(|| format!("{APP} is not listed"))?;
    let state = app["state"].as_str().unwrap_or("-").to_string();
    Ok((app["version"].as_u64(), state))
}

pub fn a_lower_version_is_refused_live_and_at_boot_until_the_root_permits_it(
    fixture: &mut Fixture,
) -> Result<()> {
    let kernel = trust_kernel(fixture, None)?;
    let flash = fixture.flash("trust-downgrade", &kernel, &[])?;
    let v1 = app_signed_by(fixture, APP, 1, None)?;
    let v2 = app_signed_by(fixture, APP, 2, None)?;
    let permit = root_change(
        fixture,
        "permit-v1.bin",
        &["--permit-rollback", APP, "--to-version", "1"],
        1,
    )?;

    let mut device = TrustDevice::boot(fixture, &flash)?;
    step(
        "version 1, then version 2 install; the minimum becomes 2",
        || {
            for image in [&v1, &v2] {
                let (code, said) = device.loader(&["install", image])?;
                ensure!(code == 0, "installing {image}: exit {code}: {said}");
            }
            std::thread::sleep(SETTLE);
            let state = device.trust_state()?;
            ensure!(minimum_version(&state, APP) == Some(2), "{state}");
            Ok(())
        },
    )?;
    step(
        "version 1 is refused live and version 2 keeps running",
        || {
            let (code, said) = device.loader(&["install", &v1])?;
            ensure!(code != 0, "exit {code}: {said}");
            ensure!(
                said.contains("minimum"),
                "the refusal does not name the minimum: {said}"
            );
            let (version, state) = listed_version(&device)?;
            ensure!(
                version == Some(2) && state != "refused",
                "{APP}: version {version:?}, {state}"
            );
            Ok(())
        },
    )?;
    step("after the root's permit, version 1 installs", || {
        let (code, said) = device.loader(&["keys", "permit", &permit])?;
        ensure!(code == 0, "exit {code}: {said}");
        ensure!(
            minimum_version(&device.trust_state()?, APP) == Some(1),
            "permit not applied"
        );
        let (code, said) = device.loader(&["install", &v1])?;
        ensure!(
            code == 0,
            "installing version 1 after the permit: exit {code}: {said}"
        );
        std::thread::sleep(SETTLE);
        let (version, state) = listed_version(&device)?;
        ensure!(
            version == Some(1) && state != "refused",
            "{APP}: version {version:?}, {state}"
        );
        Ok(())
    })?;
    step("version 2 again raises the minimum to 2", || {
        let (code, said) = device.loader(&["install", &v2])?;
        ensure!(code == 0, "exit {code}: {said}");
        std::thread::sleep(SETTLE);
        ensure!(
            minimum_version(&device.trust_state()?, APP) == Some(2),
            "minimum not raised"
        );
        Ok(())
    })?;
    device.cut_power();

    step(
        "version 1 written offline is refused at boot, the reason listed",
        || {
            write_offline(fixture, &flash, &v1)?;
            let device = TrustDevice::boot(fixture, &flash)?;
            std::thread::sleep(SETTLE);
            let app = device.listed(APP)?.context("not listed")?;
            ensure!(app["version"].as_u64() == Some(1), "{app}");
            ensure!(app["refusal"] == "version below the minimum", "{app}");
            let detail = app["refusal_detail"].as_str().unwrap_or_default();
            ensure!(detail.contains("minimum 2"), "{app}");
            let running = device.processes()?;
            ensure!(!running.iter().any(|name| name == APP), "{running:?}");
            Ok(())
        },
    )
}

/// `loader --flash-file FLASH install IMAGE`, with QEMU off: what a probe
/// or tockloader could write, bypassing the running kernel.
pub(super) fn write_offline(fixture: &Fixture, flash: &std::path::Path, image: &str) -> Result<()> {
    let loader = crate::tools::loader(fixture.context())?;
    let mut install = std::process::Command::new(loader);
    install
        .arg("--flash-file")
        .arg(flash)
        .args(["install", image]);
    crate::cmd::output(&mut install).map(drop)
}
