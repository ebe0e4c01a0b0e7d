//! The live-install figures: a 16 KiB app installed over the emulated
//! serial link into the running kernel.
//! - `loader.serial_protocol_efficiency`: the app's bytes over every byte
//!   on the wire, both directions (deterministic: the protocol's cost);
//! - `loader.serial_install_kib_per_s`: app KiB per second of the install
//!   (QEMU's UART is not paced at a baud rate: this is the protocol's and
//!   the device's speed, host-dependent, for comparison between runs).

use super::live::LiveBench;
use crate::bench::Figures;
use crate::cmd;
use crate::context::Context;
use crate::tools;
use anyhow::{ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The flash-file benchmark's 16 KiB app, with its RAM where the live
/// kernel gives app RAM.
pub(super) fn build_app(dir: &Path) -> Result<PathBuf> {
    build_c_app(dir, super::APP_C, "live")
}

/// A fixed-address C app (`source`, linked at 0x20040080 with its RAM at
/// 0x80010000) packaged by upstream elf2tab as `dir/NAME.tab`.
pub(super) fn build_c_app(dir: &Path, source: &str, name: &str) -> Result<PathBuf> {
    let script = super::APP_LD.replace("0x80004000", "0x80010000");
    std::fs::write(dir.join("app.c"), source).context("writing the benchmark app")?;
    std::fs::write(dir.join("app.ld"), script).context("writing the linker script")?;
    let elf = "rv32imac.0x20040080.0x80010000.elf";
    cmd::output(
        Command::new("riscv64-unknown-elf-gcc")
            .current_dir(dir)
            .args(["-march=rv32imac", "-mabi=ilp32", "-Os", "-nostdlib"])
            .args(["-ffreestanding", "-Wl,-n", "-Tapp.ld", "-o", elf, "app.c"]),
    )
    .context("building the app (run `cargo xtask setup` if riscv64-unknown-elf-gcc is missing)")?;
    let elf2tab = tools::elf2tab_path()?;
    ensure!(
        elf2tab.is_file(),
        "upstream elf2tab is missing at {}: run `cargo xtask setup`",
        elf2tab.display()
    );
    cmd::output(
        Command::new(elf2tab)
            .current_dir(dir)
            .args(["--kernel-major", "2", "--kernel-minor", "1"])
            .args(["-o", &format!("{name}.tab"), "-n", name, "--stack", "1024"])
            .args(["--app-heap", "512", "--kernel-heap", "512", elf]),
    )?;
    Ok(dir.join(format!("{name}.tab")))
}

/// Install the app into a fresh live kernel; record both figures.
pub fn measure(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let bench = LiveBench::build(ctx)?;
    let tab = build_app(&ctx.scratch_dir("loader-live-bench")?)?;
    bench.fresh_flash()?;
    let (_qemu, port) = bench.boot_for_loader()?;
    let tab = tab.to_string_lossy().into_owned();
    let start = Instant::now();
    let output = bench.loader(&["install", "--json", &tab], &port)?;
    let seconds = start.elapsed().as_secs_f64();
    let summary: serde_json::Value = serde_json::from_str(output.trim())
        .with_context(|| format!("parsing `install --json`: {output}"))?;
    let app_bytes = summary["app_bytes"].as_f64().context("no app_bytes")?;
    let wire_bytes = summary["wire_bytes"].as_f64().context("no wire_bytes")?;
    // The app has no runtime: it spins, or faults once its restarts run
    // out; either way the kernel loaded what was installed.
    bench.wait_for_state(&port, "live", &["Running", "Faulted"])?;
    figures.record(
        "loader.serial_protocol_efficiency",
        app_bytes / wire_bytes,
        "(app bytes / wire bytes both ways, 16 KiB app, live kernel)",
    )?;
    figures.record(
        "loader.serial_install_kib_per_s",
        app_bytes / 1024.0 / seconds,
        "KiB/s (16 KiB app into the live kernel over QEMU's TCP serial)",
    )
}
