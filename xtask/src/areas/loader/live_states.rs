//! Issue 16 on the real kernel: every operation is checked against the
//! app's state before anything changes, and `list` and `process list`
//! show the same states.

use super::live::LiveBench;
use anyhow::{ensure, Context as _, Result};

/// A refused `disable-app` (signed app) leaves its process running;
/// `process start` on a running process says so; replacing a disabled app
/// starts the new build; `list` and `process list` agree on every state;
/// `erase-apps` stops the processes, and the app installs again at once.
pub fn refused_operations_change_nothing_and_both_lists_agree(bench: &LiveBench) -> Result<()> {
    bench.fresh_flash()?;
    let (qemu, port) = bench.boot_for_loader()?;
    let result = sequence(bench, &port);
    let log = qemu.log();
    drop(qemu);
    result.with_context(|| format!("QEMU said: {log}"))
}

fn sequence(bench: &LiveBench, port: &str) -> Result<()> {
    bench.loader(
        &["install", &bench.tbf("signed"), &bench.tbf("hello_b")],
        port,
    )?;
    let signed = bench.wait_for_state(port, "signed", &["Running"])?;
    bench.wait_for_state(port, "hello_b", &["Terminated"])?;

    // Problem 3: refused before the process is touched.
    let refused = bench.loader(&["disable-app", "signed"], port);
    let message = format!(
        "{:#}",
        refused
            .err()
            .context("disable-app on a signed app succeeded")?
    );
    ensure!(message.contains("credentials"), "{message}");
    let still = bench.wait_for_state(port, "signed", &["Running"])?;
    ensure!(still == signed, "the signed app moved");

    // Problem 6: a running process is not "busy".
    let start = bench.loader(&["process", "start", "signed"], port);
    let message = format!(
        "{:#}",
        start
            .err()
            .context("process start on a running app succeeded")?
    );
    ensure!(message.contains("already running"), "{message}");

    // Problem 2 and 7: a disabled app is listed as such by both lists,
    // and a new build replaces it.
    bench.loader(&["disable-app", "hello_b"], port)?;
    let listed = bench.loader(&["list"], port)?;
    let line = listed.lines().find(|line| line.starts_with("hello_b"));
    ensure!(
        line.is_some_and(|line| line.contains("disabled")),
        "`list` does not show hello_b disabled: {listed}"
    );
    let processes = bench.loader(&["process", "list"], port)?;
    let line = processes.lines().find(|line| line.starts_with("hello_b"));
    ensure!(
        line.is_some_and(|line| line.contains("disabled")),
        "`process list` does not show hello_b disabled: {processes}"
    );
    bench.loader(&["install", &bench.tbf("hello_b_v2")], port)?;
    bench.wait_for_state(port, "hello_b", &["Running", "Yielded", "Terminated"])?;
    let copies = bench.loader(&["list"], port)?;
    ensure!(
        copies
            .lines()
            .filter(|line| line.starts_with("hello_b"))
            .count()
            == 1,
        "after replacing the disabled hello_b: {copies}"
    );

    // Problem 4: erase-apps on a running kernel stops its processes.
    bench.loader(&["erase-apps"], port)?;
    let processes = bench.processes(port)?;
    ensure!(
        processes.is_empty(),
        "processes outlive erase-apps: {processes:?}"
    );
    bench.loader(&["install", &bench.tbf("signed")], port)?;
    bench.wait_for_state(port, "signed", &["Running"])?;
    Ok(())
}
