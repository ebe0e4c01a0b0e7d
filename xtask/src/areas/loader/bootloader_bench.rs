//! The bootloader figures: the live benchmark's 16 KiB app (packaged to
//! whole pages, see [`page_aligned_tab`]) installed into an empty app
//! flash over qemu-rv32-virt's serial bootloader (on a pty, in bootloader
//! mode at reset), by loader-cli and by upstream tockloader 1.19, each
//! from a fresh flash, interleaved, best of [`RUNS`] each:
//! - `loader.bootloader_install_vs_tockloader_ratio`: our wall time over
//!   tockloader's, same run (below 1: we are faster; the same direction
//!   as `loader.flash_file_install_vs_tockloader_ratio`);
//! - `loader.bootloader_protocol_efficiency`: app bytes over every byte on
//!   the wire both ways, counted by loader-cli. tockloader's side is not
//!   counted (a counting proxy would need a second pty pair).

use super::bootloader_tests::page_aligned_tab;
use super::live::LiveBench;
use super::tockloader_pty::{boot_on_pty, tockloader};
use crate::bench::Figures;
use crate::context::Context;
use anyhow::{Context as _, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// Installs per tool; the best counts (the machine is shared).
const RUNS: usize = 3;

/// One install by loader-cli: its time and `install --json` summary.
fn ours(bench: &LiveBench, scratch: &Path, tab: &str) -> Result<(Duration, serde_json::Value)> {
    bench.fresh_flash()?;
    let (_qemu, port) = boot_on_pty(bench, scratch, true)?;
    let start = Instant::now();
    let output = bench.loader(&["install", "--json", tab], port.path())?;
    let elapsed = start.elapsed();
    let summary = serde_json::from_str(output.trim())
        .with_context(|| format!("parsing `install --json`: {output}"))?;
    Ok((elapsed, summary))
}

/// One install by upstream tockloader: its time.
fn theirs(bench: &LiveBench, scratch: &Path, tab: &str) -> Result<Duration> {
    bench.fresh_flash()?;
    let (_qemu, port) = boot_on_pty(bench, scratch, true)?;
    let start = Instant::now();
    tockloader(&port, &["install", tab])?;
    Ok(start.elapsed())
}

/// Install with each tool; record both figures.
pub fn measure(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let bench = LiveBench::build(ctx)?;
    let scratch = ctx.scratch_dir("loader-bootloader-bench")?;
    let tab = page_aligned_tab(&scratch)?;
    let (mut ours_best, mut theirs_best) = (Duration::MAX, Duration::MAX);
    let mut summary = serde_json::Value::Null;
    for _ in 0..RUNS {
        let (time, install) = ours(&bench, &scratch, &tab)?;
        ours_best = ours_best.min(time);
        summary = install;
        theirs_best = theirs_best.min(theirs(&bench, &scratch, &tab)?);
    }
    let app_bytes = summary["app_bytes"].as_f64().context("no app_bytes")?;
    let wire_bytes = summary["wire_bytes"].as_f64().context("no wire_bytes")?;
    figures.record(
        "loader.bootloader_install_vs_tockloader_ratio",
        ours_best.as_secs_f64() / theirs_best.as_secs_f64(),
        "(our time / tockloader's, best of 3 each, 16 KiB app over the serial bootloader on a pty)",
    )?;
    figures.record(
        "loader.bootloader_protocol_efficiency",
        app_bytes / wire_bytes,
        "(app bytes / wire bytes both ways, 16 KiB app, serial bootloader)",
    )
}
