//! The loader's part of `cargo xtask run`: boot qemu-rv32-virt once with
//! an empty app flash, then install, list, replace and remove apps live
//! with the `loader` binary over the serial link, never rebooting. Each
//! command is printed as a user would type it, with its output.

use super::live::LiveBench;
use crate::context::Context;
use anyhow::{ensure, Context as _, Result};
use std::process::Command;

/// Run one loader command for the audience: print it, show its output
/// (progress and the device's console go to the terminal), fail if it
/// fails.
fn show(bench: &LiveBench, arguments: &[&str], port: &str) -> Result<()> {
    let shown: Vec<String> = arguments
        .iter()
        .map(|argument| argument.rsplit('/').next().unwrap_or(argument).to_string())
        .collect();
    println!("\n$ loader {} --port {port}", shown.join(" "));
    let mut command = Command::new(bench.loader_path());
    command.args(arguments).args(["--port", port]);
    let status = command
        .status()
        .with_context(|| format!("running the loader: {command:?}"))?;
    ensure!(status.success(), "`loader {}` failed", shown.join(" "));
    Ok(())
}

/// The demo.
pub fn run_demo(ctx: &Context) -> Result<()> {
    let bench = LiveBench::build(ctx)?;
    bench.fresh_flash()?;
    let (qemu, port) = bench.boot_for_loader()?;
    println!("qemu-rv32-virt booted with an empty app flash; its serial port is {port}.");
    let (hello, spinner) = (bench.tbf("hello_b"), bench.tbf("spinner"));
    show(&bench, &["install", &hello, &spinner], &port)?;
    bench.wait_for_state(&port, "hello_b", &["Terminated"])?;
    show(&bench, &["list"], &port)?;
    show(&bench, &["process", "list"], &port)?;
    println!("\nA new version of hello_b (another program, linked at another address):");
    show(&bench, &["install", &bench.tbf("hello_b_v2")], &port)?;
    show(&bench, &["uninstall", "spinner"], &port)?;
    show(&bench, &["process", "list"], &port)?;
    drop(qemu);
    println!("\nThe device was never rebooted. Booting it again from its flash:");
    let log = bench.reboot_log()?;
    print!("{log}");
    ensure!(
        log.contains("loaded hello_b") && !log.contains("loaded spinner"),
        "the flash does not hold what the live session left:\n{log}"
    );
    println!();
    Ok(())
}
