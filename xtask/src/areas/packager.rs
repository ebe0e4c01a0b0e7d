//! The packager area (owner: the packager's author): the `tbf` library and
//! the `tbf` packager CLI, including the comparison against upstream
//! elf2tab 0.13.0 (`crate::tools::elf2tab_path()`), and the packager's part
//! of `cargo xtask run`.

use super::Area;
use crate::bench::Figures;
use crate::cmd;
use crate::context::Context;
use crate::tools;
use anyhow::{ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The packager area in the registry.
pub const AREA: Area = Area {
    name: "packager",
    about: "tbf format library and packager: unit, property and elf2tab-compatibility tests",
    tests,
    bench: Some(bench),
    device_crates: &[],
};

/// Every packager test: the `tbf` library's and the packager's, the
/// elf2tab comparison among them. The filter selects tests by name
/// (`packager:elf2tab`). The TBF parser's fuzz targets run in the `fuzz`
/// area.
pub fn tests(ctx: &Context) -> Result<()> {
    let mut command = ctx.cargo("test")?;
    command.args(["-p", "tbf", "-p", "tbf-tools"]);
    if let Some(filter) = &ctx.filter {
        command.args(["--", filter]);
    }
    cmd::run(&mut command)
}

/// Where the packager's checked-in test sources are.
fn corpus_dir(ctx: &Context) -> PathBuf {
    ctx.workspace.join("tbf-tools/tests/corpus")
}

/// Builds the corpus' C app for RISC-V (fixed address) into `out`, with
/// `filler` extra bytes of read-only data.
fn build_riscv_app(ctx: &Context, out: &Path, filler: usize) -> Result<()> {
    let corpus = corpus_dir(ctx);
    let mut command = Command::new("riscv64-unknown-elf-gcc");
    command
        .args([
            "-march=rv32imac",
            "-mabi=ilp32",
            "-Os",
            "-nostdlib",
            "-ffreestanding",
        ])
        .arg(format!("-T{}", corpus.join("rv32_fixed.ld").display()))
        .args([
            "-Wl,--defsym=_flash_origin=0x20040080",
            "-Wl,--defsym=_sram_origin=0x80004000",
        ]);
    if filler > 0 {
        command.arg(format!("-DFILLER_BYTES={filler}"));
    }
    command.arg("-o").arg(out).arg(corpus.join("app.c"));
    cmd::output(&mut command).context(
        "building the app ELF (run `cargo xtask setup` if riscv64-unknown-elf-gcc is missing)",
    )?;
    Ok(())
}

/// Builds `tbf` with `profile` (`debug` or `release`) and returns its path.
fn build_tbf(ctx: &Context, release: bool) -> Result<PathBuf> {
    crate::tools::our_binary(ctx, "tbf-tools", "tbf", release)
}

/// The fastest of `runs` runs of `command` (wall time: a ratio of two tools
/// measured the same way on the same machine in the same run).
fn best_time(command: &mut Command, runs: usize) -> Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        let output = command
            .output()
            .with_context(|| format!("running {}", cmd::describe(command)))?;
        let elapsed = start.elapsed();
        ensure!(
            output.status.success(),
            "`{}` failed: {}",
            cmd::describe(command),
            String::from_utf8_lossy(&output.stderr)
        );
        best = best.min(elapsed);
    }
    Ok(best)
}

/// `packager.pack_64k_vs_elf2tab_ratio`: time to package a 64 KiB app with
/// ours over upstream elf2tab's, best of several runs each, interleaved.
pub fn bench(ctx: &Context, figures: &mut Figures) -> Result<()> {
    const RUNS: usize = 15;
    let elf2tab = tools::elf2tab_path()?;
    ensure!(
        elf2tab.is_file(),
        "upstream elf2tab is missing at {}: run `cargo xtask setup`",
        elf2tab.display()
    );
    let tbf = build_tbf(ctx, true)?;
    // Each tool packages its own copy in its own directory, so neither
    // overwrites the other's output files (which would skew the timing).
    let dir = ctx.scratch_dir("packager-bench")?;
    let elf = dir.join("app64k.elf");
    build_riscv_app(ctx, &elf, 64 * 1024)?;
    let pack = |program: &Path, subcommand: Option<&str>, name: &str| -> Result<Command> {
        let work = ctx.scratch_dir(&format!("packager-bench/{name}"))?;
        std::fs::copy(&elf, work.join("app64k.elf")).context("copying the benchmark ELF")?;
        let mut command = Command::new(program);
        command.current_dir(work);
        command.args(subcommand);
        command.args([
            "--deterministic",
            "-n",
            "bench",
            "-o",
            "bench.tab",
            "app64k.elf",
        ]);
        Ok(command)
    };
    let mut ours = pack(&tbf, Some("pack"), "ours")?;
    let mut theirs = pack(&elf2tab, None, "elf2tab")?;
    let mut ours_best = Duration::MAX;
    let mut theirs_best = Duration::MAX;
    // Interleave so both tools see the same machine conditions.
    for _ in 0..RUNS {
        ours_best = ours_best.min(best_time(&mut ours, 1)?);
        theirs_best = theirs_best.min(best_time(&mut theirs, 1)?);
    }
    figures.record(
        "packager.pack_64k_vs_elf2tab_ratio",
        ours_best.as_secs_f64() / theirs_best.as_secs_f64(),
        "(ours / elf2tab, best of 15 each)",
    )
}

/// Runs one step of the demo, printing the command and its output.
fn step(title: &str, command: &mut Command) -> Result<()> {
    println!("\n== {title}");
    cmd::run(command)
}

/// The packager's part of `cargo xtask run`: build an app ELF, package,
/// sign, verify and inspect it, printing each step.
pub fn demo(ctx: &Context) -> Result<()> {
    let dir = ctx.scratch_dir("packager-demo")?;
    for stale in [
        "app.tbf",
        "app.tab",
        "demo-key.pem",
        "demo-key.der",
        "demo-key.pub",
        "demo-key.pub.pem",
    ] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    println!("== build an app ELF (C, RISC-V rv32imac, fixed address) from tbf-tools/tests/corpus");
    let elf = dir.join("app.elf");
    build_riscv_app(ctx, &elf, 0)?;
    println!("built {}", elf.display());
    let tbf = build_tbf(ctx, false)?;
    let run = |args: &[&str]| {
        let mut command = Command::new(&tbf);
        command.current_dir(&dir).args(args);
        command
    };
    step(
        "package it (elf2tab's flags), with room in the footer for a signature",
        &mut run(&[
            "pack",
            "--deterministic",
            "--kernel-major",
            "2",
            "--kernel-minor",
            "1",
            "-n",
            "demo",
            "--sha256",
            "--minimum-footer-size",
            "256",
            "-o",
            "app.tab",
            "app.elf,rv32imac",
        ]),
    )?;
    step(
        "make a signing key pair",
        &mut run(&["keygen", "--out", "demo-key"]),
    )?;
    step(
        "sign the bundle (no rebuild)",
        &mut run(&["sign", "--key", "demo-key.der", "app.tab"]),
    )?;
    step(
        "verify it against the public key",
        &mut run(&["verify", "--key", "demo-key.pub", "app.tab"]),
    )?;
    step(
        "inspect it",
        &mut run(&["inspect", "--key", "demo-key.pub", "app.tab"]),
    )?;
    println!("\npackager demo done: {}", dir.display());
    Ok(())
}
