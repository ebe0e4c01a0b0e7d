//! Issue 16 on the real kernel: a new build of a fixed-address app,
//! linked for the slot the old one occupies, replaces it in one commit of
//! the kernel's flash journal (REPLACE_IN_PLACE), and a QEMU killed at
//! that commit boots with the old version or the new one, never neither,
//! never both; a QEMU killed after a new version elsewhere was linked,
//! before the old was freed, boots with one image of the app.

use super::live::{command_watching_proxy, LiveBench};
use anyhow::{ensure, Context as _, Result};
use std::time::Duration;

/// REPLACE_IN_PLACE's command code.
const REPLACE_IN_PLACE: u8 = 0x49;
/// REPLACE_APP's: sent once the new image is linked, before the old one's
/// header becomes padding.
const REPLACE_APP: u8 = 0x42;
/// How long after the command leaves the host QEMU is killed: around the
/// kernel's journal commit (a few milliseconds of flash work).
const KILL_DELAY: Duration = Duration::from_millis(10);

/// Install the spinner, replace it in place with version 2 (same slot,
/// running again), then kill QEMU as version 3 replaces it: after the
/// reboot exactly one spinner, version 2 or 3, runs.
pub fn replace_in_place_and_kill_at_the_commit(bench: &LiveBench) -> Result<()> {
    bench.fresh_flash()?;
    let (qemu, port) = bench.boot_for_loader()?;
    let replaced = replace_live(bench, &port);
    let log = qemu.log();
    let killed = replaced.and_then(|()| kill_at_commit(bench, qemu, &port));
    killed.with_context(|| format!("QEMU said: {log}"))?;
    let log = bench.reboot_log()?;
    ensure!(
        log.contains("loaded spinner") && log.contains("1 processes loaded, 0 skipped"),
        "after a kill at the replace's commit exactly one spinner must load:\n{log}"
    );
    let (qemu, port) = bench.boot_for_loader()?;
    let versions = spinner_versions(bench, &port);
    drop(qemu);
    let versions = versions?;
    ensure!(
        versions == [2] || versions == [3],
        "after the kill: spinner versions {versions:?}, not the old or the new one alone"
    );
    println!(
        "loader: killed at an in-place replace's commit: spinner version {} after the reboot{}",
        versions[0],
        if log.contains("flash journal: finished") {
            " (the journal finished the commit at boot)"
        } else {
            ""
        }
    );
    Ok(())
}

fn replace_live(bench: &LiveBench, port: &str) -> Result<()> {
    bench.loader(&["install", &bench.tbf("spinner")], port)?;
    let old = bench.wait_for_state(port, "spinner", &["Running"])?;
    let said = bench.loader(&["install", &bench.tbf("spinner_v2")], port)?;
    let new = bench.wait_for_state(port, "spinner", &["Running"])?;
    ensure!(
        new == old,
        "version 2 runs from {new:#x}, not from the old slot {old:#x}: {said}"
    );
    let versions = spinner_versions(bench, port)?;
    ensure!(versions == [2], "after the replace: versions {versions:?}");
    Ok(())
}

/// Replace version 2 with 3 through a proxy that reports REPLACE_IN_PLACE;
/// kill QEMU just after it.
fn kill_at_commit(bench: &LiveBench, qemu: crate::qemu::Qemu, port: &str) -> Result<()> {
    let (proxy, seen) = command_watching_proxy(port, REPLACE_IN_PLACE)?;
    std::thread::scope(|scope| {
        let install = scope.spawn(|| bench.loader(&["install", &bench.tbf("spinner_v3")], &proxy));
        let heard = seen.recv_timeout(Duration::from_secs(30));
        std::thread::sleep(KILL_DELAY);
        drop(qemu);
        let said = install.join();
        ensure!(
            heard.is_ok(),
            "the install never sent REPLACE_IN_PLACE: {said:?}"
        );
        Ok(())
    })
}

/// The versions of the spinner images `list --json` shows.
fn spinner_versions(bench: &LiveBench, port: &str) -> Result<Vec<u64>> {
    let text = bench.loader(&["list", "--json"], port)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing `list --json`: {text}"))?;
    let apps = value.as_array().context("`list --json` is not an array")?;
    Ok(apps
        .iter()
        .filter(|app| app["name"] == "spinner")
        .map(|app| app["version"].as_u64().unwrap_or(0))
        .collect())
}

/// Kill QEMU as the loader asks for REPLACE_APP (both versions of
/// hello_b linked); the reboot frees the old one: one image, one process.
pub fn kill_between_link_and_free_leaves_one_image(bench: &LiveBench) -> Result<()> {
    bench.fresh_flash()?;
    let (qemu, port) = bench.boot_for_loader()?;
    let installed = bench.loader(&["install", &bench.tbf("hello_b")], &port);
    let installed = installed.and_then(|_| bench.wait_for_state(&port, "hello_b", &["Terminated"]));
    if let Err(error) = installed {
        return Err(error).with_context(|| format!("QEMU said: {}", qemu.log()));
    }
    let (proxy, seen) = command_watching_proxy(&port, REPLACE_APP)?;
    let said = std::thread::scope(|scope| {
        let install = scope.spawn(|| bench.loader(&["install", &bench.tbf("hello_b_v2")], &proxy));
        let heard = seen.recv_timeout(Duration::from_secs(30));
        drop(qemu);
        let said = install.join();
        ensure!(
            heard.is_ok(),
            "the install never sent REPLACE_APP: {said:?}"
        );
        Ok(said)
    })?;
    let log = bench.reboot_log()?;
    ensure!(
        log.contains("freed a second image of hello_b")
            && log.contains("1 processes loaded, 0 skipped"),
        "killed with both versions of hello_b linked (the install said {said:?}): the boot must free one and load one:\n{log}"
    );
    let (qemu, port) = bench.boot_for_loader()?;
    let listed = bench.loader(&["list"], &port);
    drop(qemu);
    let listed = listed?;
    let images = listed
        .lines()
        .filter(|line| line.starts_with("hello_b"))
        .count();
    ensure!(images == 1, "after the reboot: {listed}");
    Ok(())
}
