//! Issue 19 on the real kernel: test installs (`loader install --test`)
//! that are confirmed (by `loader confirm`, by running the board's N
//! seconds without a fault), that revert (a fault past the restart
//! threshold, a reboot before confirmation), and QEMU killed in the
//! middle of each: after every reboot exactly one version of the app is
//! in flash, exactly one process runs from it, and `list` agrees.
//!
//! The app is hello_b (slot 1); its new versions are other test programs
//! packaged under its name at their own slots: hello_b_v2 (ipc_service,
//! which waits for clients) and hello_b_faulty (fault_kernel_ram, which
//! faults at start).

use super::live::{command_watching_proxy, hex_address, LiveBench};
use anyhow::{bail, ensure, Context as _, Result};
use std::time::{Duration, Instant};

/// TEST_INSTALL's and CONFIRM_TEST's command codes.
const TEST_INSTALL: u8 = 0x4C;
const CONFIRM_TEST: u8 = 0x4D;
/// The board's `TEST_CONFIRM_SECONDS` (boards/qemu-rv32-virt/src/app_loader.rs).
const CONFIRM_SECONDS: u64 = 12;

/// The images of hello_b `list --json` shows: (address, test role).
fn hello_b_images(bench: &LiveBench, port: &str) -> Result<Vec<(u64, Option<String>)>> {
    let text = bench.loader(&["list", "--json"], port)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing `list --json`: {text}"))?;
    let apps = value.as_array().context("`list --json` is not an array")?;
    apps.iter()
        .filter(|app| app["name"] == "hello_b")
        .map(|app| {
            let test = app["test"].as_str().map(str::to_string);
            Ok((hex_address(&app["address"])?, test))
        })
        .collect()
}

/// Boot with hello_b installed (it prints and exits); its address.
fn boot_with_hello_b(bench: &LiveBench) -> Result<(crate::qemu::Qemu, String, u64)> {
    bench.fresh_flash()?;
    let (qemu, port) = bench.boot_for_loader()?;
    let installed = bench
        .loader(&["install", &bench.tbf("hello_b")], &port)
        .and_then(|_| bench.wait_for_state(&port, "hello_b", &["Terminated"]));
    match installed {
        Ok(old) => Ok((qemu, port, old)),
        Err(error) => Err(error).with_context(|| format!("QEMU said: {}", qemu.log())),
    }
}

/// `install --test` of `label`: the new version runs from another
/// address, both are listed, the old one as standby.
fn start_test(bench: &LiveBench, port: &str, label: &str, old: u64) -> Result<u64> {
    bench.loader(&["install", "--test", &bench.tbf(label)], port)?;
    let images = hello_b_images(bench, port)?;
    let standby = images
        .iter()
        .any(|(address, role)| *address == old && role.as_deref() == Some("standby"));
    let on_test = images
        .iter()
        .find(|(address, role)| *address != old && role.as_deref() == Some("on test"));
    match (standby, on_test) {
        (true, Some((new, _))) => Ok(*new),
        _ => bail!("after `install --test {label}`, hello_b's images are {images:?}: want the old one on standby and a new one on test"),
    }
}

/// After a reboot: one hello_b image (at `expected`, when given), one
/// process, and `list` and `process list` agree. Returns its address.
fn settled(bench: &LiveBench, expected: Option<u64>, what: &str) -> Result<u64> {
    let log = bench.reboot_log()?;
    ensure!(
        log.contains("1 processes loaded"),
        "{what}: the reboot must load exactly one process:\n{log}"
    );
    let (qemu, port) = bench.boot_for_loader()?;
    let images = hello_b_images(bench, &port);
    let processes = bench.processes(&port);
    drop(qemu);
    let (images, processes) = (images?, processes?);
    let [(address, None)] = images[..] else {
        bail!("{what}: hello_b's images after the reboot are {images:?}, not one plain image");
    };
    ensure!(
        expected.is_none_or(|expected| expected == address),
        "{what}: hello_b is at {address:#x} after the reboot, not at {:#x}",
        expected.unwrap_or(0)
    );
    ensure!(
        processes.iter().filter(|process| process.0 == "hello_b").count() == 1
            && processes.iter().any(|process| process.0 == "hello_b" && process.1 == address),
        "{what}: `process list` does not agree with `list` (hello_b at {address:#x}): {processes:?}"
    );
    Ok(address)
}

/// Poll `list` until hello_b has one image; its address.
fn wait_for_one_image(bench: &LiveBench, port: &str, within: Duration) -> Result<u64> {
    let deadline = Instant::now() + within;
    loop {
        let images = hello_b_images(bench, port)?;
        if let [(address, None)] = images[..] {
            return Ok(address);
        }
        ensure!(
            Instant::now() < deadline,
            "hello_b still has images {images:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Confirmed by `loader confirm`: the old version is freed at once, and
/// the new one is what boots.
pub fn confirmed_by_the_loader(bench: &LiveBench) -> Result<()> {
    let (qemu, port, old) = boot_with_hello_b(bench)?;
    let confirmed = (|| {
        let new = start_test(bench, &port, "hello_b_v2", old)?;
        let info = bench.loader(&["info"], &port)?;
        ensure!(
            info.contains("test installs: confirmed by") && info.contains("loader confirm"),
            "`info` does not show the confirmation policy:\n{info}"
        );
        let during = bench.loader(&["install", &bench.tbf("hello_b")], &port);
        ensure!(
            during
                .as_ref()
                .is_err_and(|error| error.to_string().contains("is on test")),
            "an ordinary install of hello_b during its test must be refused: {during:?}"
        );
        bench.loader(&["confirm", "hello_b"], &port)?;
        let left = wait_for_one_image(bench, &port, Duration::from_secs(1))?;
        ensure!(
            left == new,
            "after `confirm`, hello_b is at {left:#x}, not {new:#x}"
        );
        Ok(new)
    })();
    let log = qemu.log();
    let new = confirmed.with_context(|| format!("QEMU said: {log}"))?;
    settled(bench, Some(new), "confirmed by the loader").map(|_| ())
}

/// Confirmed by the app itself (the app loader driver's system call),
/// long before the board's N seconds would.
pub fn confirmed_by_the_app(bench: &LiveBench) -> Result<()> {
    let (qemu, port, old) = boot_with_hello_b(bench)?;
    let confirmed = (|| {
        bench.loader(
            &["install", "--test", &bench.tbf("hello_b_confirms")],
            &port,
        )?;
        let within = Duration::from_secs(CONFIRM_SECONDS / 2);
        let left = wait_for_one_image(bench, &port, within)?;
        ensure!(
            left != old,
            "after the app confirmed, hello_b is still the old {old:#x}"
        );
        Ok(left)
    })();
    let log = qemu.log();
    let new = confirmed.with_context(|| format!("QEMU said: {log}"))?;
    settled(bench, Some(new), "confirmed by the app").map(|_| ())
}

/// Confirmed by running the board's N seconds without a fault.
pub fn confirmed_after_seconds_without_a_fault(bench: &LiveBench) -> Result<()> {
    let (qemu, port, old) = boot_with_hello_b(bench)?;
    let confirmed = (|| {
        let new = start_test(bench, &port, "hello_b_v2", old)?;
        let within = Duration::from_secs(CONFIRM_SECONDS + 8);
        let left = wait_for_one_image(bench, &port, within)?;
        ensure!(
            left == new,
            "after {CONFIRM_SECONDS} s, hello_b is at {left:#x}, not {new:#x}"
        );
        Ok(new)
    })();
    let log = qemu.log();
    let new = confirmed.with_context(|| format!("QEMU said: {log}"))?;
    settled(bench, Some(new), "confirmed by time").map(|_| ())
}

/// A reboot before confirmation brings the old version back.
pub fn reverted_by_a_reboot(bench: &LiveBench) -> Result<()> {
    let (qemu, port, old) = boot_with_hello_b(bench)?;
    let started = start_test(bench, &port, "hello_b_v2", old);
    let log = qemu.log();
    drop(qemu);
    started.with_context(|| format!("QEMU said: {log}"))?;
    let boot = bench.reboot_log()?;
    ensure!(
        boot.contains("not confirmed: reverted"),
        "the boot after a test install does not say it reverted:\n{boot}"
    );
    settled(bench, Some(old), "rebooted before confirmation").map(|_| ())
}

/// A version on test that faults past the restart threshold reverts on
/// the live device: the old one runs again (hello_b prints and exits).
pub fn reverted_by_a_fault(bench: &LiveBench) -> Result<()> {
    let (qemu, port, old) = boot_with_hello_b(bench)?;
    let reverted = (|| {
        bench.loader(&["install", "--test", &bench.tbf("hello_b_faulty")], &port)?;
        let left = wait_for_one_image(bench, &port, Duration::from_secs(10))?;
        ensure!(
            left == old,
            "after the fault, hello_b is at {left:#x}, not the old {old:#x}"
        );
        let again = bench.wait_for_state(&port, "hello_b", &["Terminated"])?;
        ensure!(
            again == old,
            "the process after the revert runs from {again:#x}"
        );
        Ok(())
    })();
    let log = qemu.log();
    reverted.with_context(|| format!("QEMU said: {log}"))?;
    settled(bench, Some(old), "reverted by a fault").map(|_| ())
}

/// QEMU killed at several moments of a test install, of a confirmation
/// and of a fault's revert: every reboot leaves one version.
pub fn kills_leave_one_version(bench: &LiveBench) -> Result<()> {
    for delay in [0, 5, 40] {
        let what = format!("killed {delay} ms after TEST_INSTALL");
        kill_after(bench, "hello_b_v2", TEST_INSTALL, delay, None, &what)?;
    }
    for delay in [0, 5, 30] {
        let what = format!("killed {delay} ms after CONFIRM_TEST");
        kill_after(bench, "hello_b_v2", CONFIRM_TEST, delay, None, &what)?;
    }
    // Never confirmed, so always the old version.
    for delay in [20, 100, 300] {
        let what = format!("killed {delay} ms into a faulting test install");
        kill_after(
            bench,
            "hello_b_faulty",
            TEST_INSTALL,
            delay,
            Some(()),
            &what,
        )?;
    }
    Ok(())
}

/// Install `label` on test through a proxy that reports `command` (for
/// CONFIRM_TEST: `loader confirm` once the test runs); kill QEMU `delay`
/// ms after it; reboot and check.
fn kill_after(
    bench: &LiveBench,
    label: &str,
    command: u8,
    delay: u64,
    must_revert: Option<()>,
    what: &str,
) -> Result<()> {
    let (qemu, port, old) = boot_with_hello_b(bench)?;
    let verb: Vec<String> = match command {
        CONFIRM_TEST => {
            start_test(bench, &port, label, old)?;
            vec!["confirm".into(), "hello_b".into()]
        }
        _ => vec!["install".into(), "--test".into(), bench.tbf(label)],
    };
    let (proxy, seen) = command_watching_proxy(&port, command)?;
    let arguments: Vec<&str> = verb.iter().map(String::as_str).collect();
    let said = std::thread::scope(|scope| {
        let running = scope.spawn(|| bench.loader(&arguments, &proxy));
        let heard = seen.recv_timeout(Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(delay));
        drop(qemu);
        let said = running.join();
        ensure!(
            heard.is_ok(),
            "{what}: the loader never sent the command: {said:?}"
        );
        Ok(said)
    })?;
    let expected = must_revert.map(|()| old);
    let kept =
        settled(bench, expected, what).with_context(|| format!("the loader said {said:?}"))?;
    println!(
        "loader: {what}: hello_b {} after the reboot",
        if kept == old { "old" } else { "new" }
    );
    Ok(())
}

type Test = (&'static str, fn(&LiveBench) -> Result<()>);

/// Every test-install test, in order (each starts from a fresh flash).
pub const ALL: &[Test] = &[
    (
        "a_test_install_confirmed_by_loader_confirm_frees_the_old_version_and_boots_the_new",
        confirmed_by_the_loader,
    ),
    (
        "a_test_install_confirmed_by_the_apps_system_call_is_kept",
        confirmed_by_the_app,
    ),
    (
        "a_test_install_that_faults_past_the_restart_threshold_reverts_to_the_old_version",
        reverted_by_a_fault,
    ),
    (
        "a_reboot_before_confirmation_reverts_a_test_install",
        reverted_by_a_reboot,
    ),
    (
        "a_test_install_running_the_boards_seconds_without_a_fault_is_confirmed",
        confirmed_after_seconds_without_a_fault,
    ),
    (
        "qemu_killed_during_test_install_confirm_or_revert_boots_with_one_version",
        kills_leave_one_version,
    ),
];
