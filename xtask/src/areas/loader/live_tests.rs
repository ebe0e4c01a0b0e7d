//! The live-device tests, each named for what it proves. They share one
//! [`LiveBench`] and run in order (each starts from the flash the one
//! before left, as a user's device would).

use super::live::{cutting_proxy, hex_address, LiveBench};
use anyhow::{ensure, Context as _, Result};
use std::time::Duration;

type Test = (&'static str, fn(&LiveBench) -> Result<()>);

/// Every live test, in order.
pub const ALL: &[Test] = &[
    (
        "an_app_printing_0xfc_reaches_loader_listen_as_one_byte",
        super::live_console::escape_byte_reaches_listen_once,
    ),
    (
        "two_apps_installed_live_both_start_and_both_lists_show_them_at_hex_addresses",
        install_two_apps_live,
    ),
    (
        "a_link_cut_mid_install_leaves_the_previous_apps_running_and_in_flash",
        link_cut_mid_install,
    ),
    (
        "a_qemu_kill_mid_write_leaves_the_previous_apps_bootable",
        kill_mid_write,
    ),
    (
        "a_replace_keeps_the_other_running_disable_enable_work_live_and_a_removal_survives_a_reboot",
        replace_and_remove_without_reboot,
    ),
    (
        "a_qemu_kill_mid_remove_leaves_the_app_either_removed_or_intact_and_the_rest_running",
        kill_mid_remove,
    ),
    (
        "upstream_tockloader_installs_beside_a_running_app_on_the_live_kernel",
        super::live_tockloader::upstream_tockloader_installs_beside_a_running_app,
    ),
    (
        "refused_operations_change_nothing_and_list_and_process_list_agree",
        super::live_states::refused_operations_change_nothing_and_both_lists_agree,
    ),
    (
        "a_build_for_its_own_slot_replaces_the_old_in_one_commit_and_a_kill_there_leaves_one_version",
        super::live_in_place::replace_in_place_and_kill_at_the_commit,
    ),
    (
        "a_kill_between_linking_a_new_version_and_freeing_the_old_boots_with_one_image",
        super::live_in_place::kill_between_link_and_free_leaves_one_image,
    ),
    (
        "random_live_sequences_with_qemu_kills_keep_list_processes_and_flash_consistent",
        super::live_random::random_live_sequences,
    ),
];

fn install_two_apps_live(bench: &LiveBench) -> Result<()> {
    bench.fresh_flash()?;
    let (_qemu, port) = bench.boot_for_loader()?;
    let (hello, spinner) = (bench.tbf("hello_b"), bench.tbf("spinner"));
    bench.loader(&["install", &hello, &spinner], &port)?;
    // hello_b prints five lines and exits: Terminated proves it ran.
    bench.wait_for_state(&port, "hello_b", &["Terminated"])?;
    bench.wait_for_state(&port, "spinner", &["Running"])?;
    let listed = bench.loader(&["list", "--json"], &port)?;
    for name in ["hello_b", "spinner"] {
        ensure!(listed.contains(name), "`list` lacks {name}: {listed}");
    }
    both_lists_give_hex_addresses(&listed, &bench.processes(&port)?)
}

/// `list --json` writes addresses as hex strings in app flash, and
/// `process list --json` (parsed by `LiveBench::processes`, which accepts
/// only hex strings) gives every process the address of its image.
fn both_lists_give_hex_addresses(listed: &str, processes: &[(String, u64, String)]) -> Result<()> {
    let apps: serde_json::Value =
        serde_json::from_str(listed).with_context(|| format!("parsing `list --json`: {listed}"))?;
    let apps = apps.as_array().context("`list --json` is not an array")?;
    for app in apps {
        let address = hex_address(&app["address"]).with_context(|| format!("in {listed}"))?;
        ensure!(
            address >= APP_FLASH_START,
            "`list --json` puts {} below app flash: {listed}",
            app["name"]
        );
        let process = processes.iter().find(|p| app["name"] == p.0.as_str());
        if let Some((name, process_address, _)) = process {
            ensure!(
                *process_address == address,
                "{name} is at {address:#x} in `list --json` but {process_address:#x} in \
                 `process list --json`"
            );
        }
    }
    Ok(())
}

/// qemu-rv32-virt's app flash starts here.
const APP_FLASH_START: u64 = 0x2004_0000;

fn replace_and_remove_without_reboot(bench: &LiveBench) -> Result<()> {
    let (qemu, port) = bench.boot_for_loader()?;
    let result = replace_and_remove(bench, &port);
    let log = qemu.log();
    drop(qemu);
    result.with_context(|| format!("QEMU said: {log}"))?;
    let log = bench.reboot_log()?;
    ensure!(
        log.contains("loaded spinner") && log.contains("1 processes loaded, 0 skipped"),
        "after a reboot the spinner alone must load:\n{log}"
    );
    Ok(())
}

fn replace_and_remove(bench: &LiveBench, port: &str) -> Result<()> {
    let port = port.to_string();
    let spinner_address = bench.wait_for_state(&port, "spinner", &["Running"])?;
    let old_address = bench.wait_for_state(&port, "hello_b", &["Terminated"])?;
    bench.loader(&["install", &bench.tbf("hello_b_v2")], &port)?;
    let processes = bench.processes(&port)?;
    let hello_versions = processes.iter().filter(|p| p.0 == "hello_b").count();
    ensure!(
        hello_versions == 1,
        "after the replace, one hello_b must be loaded: {processes:?}"
    );
    let new_address = bench.wait_for_state(&port, "hello_b", &["Running", "Yielded"])?;
    ensure!(
        new_address != old_address,
        "hello_b was not replaced: {processes:?}"
    );
    let still = bench.wait_for_state(&port, "spinner", &["Running"])?;
    ensure!(still == spinner_address, "the spinner moved: {processes:?}");

    bench.loader(&["disable-app", "spinner"], &port)?;
    let processes = bench.processes(&port)?;
    ensure!(
        processes
            .iter()
            .filter(|p| p.0 == "spinner")
            .all(|p| p.2 == "NotLoaded"),
        "a disabled app is still loaded: {processes:?}"
    );
    bench.loader(&["enable-app", "spinner"], &port)?;
    bench.wait_for_state(&port, "spinner", &["Running"])?;

    bench.loader(&["uninstall", "hello_b"], &port)?;
    let processes = bench.processes(&port)?;
    ensure!(
        processes.iter().all(|p| p.0 != "hello_b"),
        "hello_b is still loaded after uninstall: {processes:?}"
    );
    Ok(())
}

/// Install `witness` through a proxy that cuts the link mid-transfer;
/// returns the loader's failure message.
fn cut_install(bench: &LiveBench, port: &str) -> Result<String> {
    let (proxy, cut) = cutting_proxy(port, super::live::CUT_AFTER_BYTES)?;
    let result = bench.loader(&["install", &bench.tbf("witness")], &proxy);
    ensure!(
        cut.recv_timeout(Duration::from_secs(20)).is_ok(),
        "the proxy never cut the link (the install is shorter than the cut point)"
    );
    match result {
        Ok(output) => anyhow::bail!("the install succeeded through a cut link: {output}"),
        Err(error) => Ok(format!("{error:#}")),
    }
}

fn link_cut_mid_install(bench: &LiveBench) -> Result<()> {
    let (_qemu, port) = bench.boot_for_loader()?;
    let spinner = bench.wait_for_state(&port, "spinner", &["Running"])?;
    let error = cut_install(bench, &port)?;
    let processes = bench.processes(&port)?;
    ensure!(
        processes.iter().any(|p| p.0 == "hello_b")
            && processes.iter().any(|p| p.0 == "spinner" && p.1 == spinner),
        "the spinner is gone after a cut install ({error}): {processes:?}"
    );
    ensure!(
        processes.iter().all(|p| p.0 != "witness"),
        "a half-written witness was started: {processes:?}"
    );
    let listed = bench.loader(&["list"], &port)?;
    ensure!(
        listed.contains("spinner") && !listed.contains("witness"),
        "the chain is not the previous one: {listed}"
    );
    Ok(())
}

fn kill_mid_write(bench: &LiveBench) -> Result<()> {
    let (qemu, port) = bench.boot_for_loader()?;
    bench.wait_for_state(&port, "spinner", &["Running"])?;
    let (proxy, cut) = cutting_proxy(&port, super::live::CUT_AFTER_BYTES)?;
    let loader = std::thread::scope(|scope| {
        let install = scope.spawn(|| bench.loader(&["install", &bench.tbf("witness")], &proxy));
        let heard = cut.recv_timeout(Duration::from_secs(20));
        // The device dies the moment the link is cut: mid-write.
        drop(qemu);
        (heard, install.join())
    });
    ensure!(loader.0.is_ok(), "the proxy never cut the link");
    let log = bench.reboot_log()?;
    let booted = [
        "loaded hello_b",
        "loaded spinner",
        "2 processes loaded, 0 skipped",
    ];
    ensure!(
        booted.iter().all(|line| log.contains(line)),
        "after a kill mid-write the previous apps must boot, and nothing else:\n{log}"
    );
    Ok(())
}

/// How long after the padding header's WRITE_PAGE leaves the host QEMU
/// is killed.
const KILL_DELAY: Duration = Duration::from_millis(10);

/// WRITE_PAGE: the uninstall's last command turns the header into
/// padding, which the device does through its flash journal.
const WRITE_PAGE: u8 = 0x07;

/// Reinstall hello_b (its header lands on padding: a journal rewrite),
/// then uninstall it and kill QEMU as its padding header is written.
/// After a reboot hello_b is either fully there or fully gone, and the
/// spinner loads either way.
fn kill_mid_remove(bench: &LiveBench) -> Result<()> {
    let (qemu, port) = bench.boot_for_loader()?;
    bench.wait_for_state(&port, "spinner", &["Running"])?;
    // Its fixed address lies in padding now: tockloader's layout puts it
    // back there (the native one appends fixed-address apps at the end).
    let hello_b = bench.tbf("hello_b");
    bench.loader(&["install", "--tockloader-layout", &hello_b], &port)?;
    bench.wait_for_state(&port, "hello_b", &["Terminated"])?;
    let (proxy, seen) = super::live::command_watching_proxy(&port, WRITE_PAGE)?;
    let uninstall = std::thread::scope(|scope| {
        let uninstall = scope.spawn(|| bench.loader(&["uninstall", "hello_b"], &proxy));
        let heard = seen.recv_timeout(Duration::from_secs(20));
        // The device dies around its rewrite of the header's erase block
        // (a few milliseconds of flash work on QEMU): before, during or
        // after it, the chain must be the old or the new one.
        std::thread::sleep(KILL_DELAY);
        drop(qemu);
        ensure!(heard.is_ok(), "the uninstall never wrote a page");
        Ok(uninstall.join())
    })?;
    let log = bench.reboot_log()?;
    let removed = !log.contains("loaded hello_b");
    let consistent = log.contains("loaded spinner")
        && log.contains(if removed {
            "1 processes loaded, 0 skipped"
        } else {
            "2 processes loaded, 0 skipped"
        });
    ensure!(
        consistent,
        "after a kill mid-remove the chain must be the old or the new one \
         (the uninstall said {uninstall:?}):\n{log}"
    );
    println!(
        "loader: killed mid-remove: hello_b {} after the reboot{}",
        if removed { "removed" } else { "intact" },
        if log.contains("flash journal: finished") {
            " (the journal finished the rewrite at boot)"
        } else {
            ""
        }
    );
    Ok(())
}
