//! The loader area (owner: the loader's author): `loader-protocol` (the
//! serial protocol, with its property tests and a short fuzz run of its
//! decoders) and `loader-cli` (flash model, placement, transports, the
//! `loader` binary, and the comparisons against upstream tockloader 1.19).

mod bootloader_bench;
mod bootloader_tests;
mod demo;
mod live;
mod live_bench;
mod live_console;
mod live_in_place;
mod live_random;
mod live_states;
mod live_test_installs;
mod live_tests;
mod live_tockloader;
mod model_bench;
mod tockloader_pty;

use super::Area;
use crate::bench::Figures;
use crate::cmd;
use crate::context::Context;
use crate::tools;
use anyhow::{ensure, Context as _, Result};
pub use demo::run_demo;
pub(crate) use live::wait_for_kernel;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The loader area in the registry.
pub const AREA: Area = Area {
    name: "loader",
    about: "loader protocol and loader-cli: unit, property, fuzz, power-cut and tockloader-compatibility tests",
    tests,
    bench: Some(bench),
    device_crates: &[DEVICE_PROTOCOL, DEVICE_BOOTLOADER],
};

/// qemu-rv32-virt's serial bootloader (linted for its target).
const DEVICE_BOOTLOADER: super::DeviceCrate = super::DeviceCrate {
    package: "qemu-rv32-virt-bootloader",
    targets: &[super::targets::RISCV32IMAC],
};

/// The protocol crate also builds for the devices that will serve it.
const DEVICE_PROTOCOL: super::DeviceCrate = super::DeviceCrate {
    package: "loader-protocol",
    targets: &[super::targets::RISCV32IMAC, super::targets::THUMBV7EM],
};

/// Fuzz iterations per test run: enough to cover the seeds' neighbourhood
/// quickly; longer runs are `cargo fuzz run decode` by hand.
const FUZZ_RUNS: &str = "-runs=300000";
/// The bootloader engine's fuzz runs (each input also runs the engine
/// over a 4 KiB flash: about 8 s here).
const BOOTLOADER_FUZZ_RUNS: &str = "-runs=60000";

/// Every loader test; the filter selects tests by name (`loader:serial`).
/// Without a filter, the decoder fuzz target also runs briefly.
pub fn tests(ctx: &Context) -> Result<()> {
    let mut command = ctx.cargo("test")?;
    command.args(["-p", "loader-protocol", "-p", "loader-cli"]);
    if let Some(filter) = &ctx.filter {
        command.args(["--", filter]);
    }
    cmd::run(&mut command)?;
    if ctx.filter.is_none() {
        fuzz(ctx)?;
    }
    live_device_tests(ctx)
}

/// The live-device tests against QEMU, then the bootloader's
/// (`loader:live` runs only the sequence; a name selects the whole
/// sequence too, since each test starts from the flash the previous one
/// left).
fn live_device_tests(ctx: &Context) -> Result<()> {
    let selected = match ctx.filter.as_deref() {
        None | Some("live") => true,
        Some(filter) => live_tests::ALL
            .iter()
            .chain(bootloader_tests::ALL)
            .chain(live_test_installs::ALL)
            .any(|(name, _)| name.contains(filter)),
    };
    if !selected {
        return Ok(());
    }
    let bench = live::LiveBench::build(ctx)?;
    let mut failed = Vec::new();
    // Test installs start from a fresh flash each: a filter naming only
    // them (`loader:test_install`) runs just those.
    let only_test_installs = ctx.filter.as_deref().filter(|filter| {
        !live_tests::ALL
            .iter()
            .chain(bootloader_tests::ALL)
            .any(|(name, _)| name.contains(filter))
    });
    let all = live_tests::ALL
        .iter()
        .chain(bootloader_tests::ALL)
        .filter(|_| only_test_installs.is_none())
        .chain(
            live_test_installs::ALL
                .iter()
                .filter(|(name, _)| only_test_installs.is_none_or(|filter| name.contains(filter))),
        );
    for (name, test) in all {
        match test(&bench) {
            Ok(()) => println!("loader: {name} ... ok"),
            Err(error) => {
                println!("loader: {name} ... FAILED\n{error:#}");
                failed.push(*name);
            }
        }
    }
    ensure!(
        failed.is_empty(),
        "live loader tests failed: {}",
        failed.join(", ")
    );
    Ok(())
}

fn fuzz(ctx: &Context) -> Result<()> {
    let fuzz_path = tools::cargo_fuzz_path()?;
    ensure!(
        fuzz_path.is_file(),
        "cargo-fuzz is missing at {}: run `cargo xtask setup`",
        fuzz_path.display()
    );
    let crate_dir = ctx.workspace.join("loader-cli/protocol");
    // A stale lock would be rewritten by the build: fail instead, naming
    // the fix, so the tree stays clean.
    tools::ensure_fuzz_lock_is_current(ctx, &crate_dir)?;
    // The decoders' seeds are frames: the bootloader engine starts from
    // them too.
    for (target, runs) in [("decode", FUZZ_RUNS), ("bootloader", BOOTLOADER_FUZZ_RUNS)] {
        let corpus = ctx.scratch_dir(&format!("loader-fuzz-corpus-{target}"))?;
        let mut command = tools::cargo_fuzz()?;
        command
            .current_dir(&crate_dir)
            .env("CARGO_TARGET_DIR", ctx.target_dir.join("fuzz"))
            .args(["run", target])
            .arg(&corpus)
            .arg(crate_dir.join("fuzz/corpus/decode"))
            .args(["--", runs]);
        cmd::run(&mut command)?;
    }
    Ok(())
}

pub(crate) const APP_C: &str = "#include <stdint.h>\n\
const uint8_t filler[16384] = {1, 2, 3};\n\
__attribute__((section(\".text._start\"), noreturn)) void _start(void) {\n\
  volatile uint32_t acc = filler[1];\n\
  for (;;) { acc = acc * 31u; }\n\
}\n";

pub(crate) const APP_LD: &str = "MEMORY { FLASH (rx) : ORIGIN = 0x20040080, LENGTH = 0x40000\n\
  RAM (rwx) : ORIGIN = 0x80004000, LENGTH = 0x4000 }\n\
ENTRY(_start)\n\
SECTIONS {\n\
  .text : { KEEP(*(.text._start)) *(.text .text.*) *(.rodata .rodata.* .srodata .srodata.*) } > FLASH\n\
  .stack (NOLOAD) : { . = ALIGN(8); . += 1024; } > RAM\n\
  /DISCARD/ : { *(.eh_frame) *(.riscv.attributes) *(.comment) }\n}\n";

/// A 16 KiB fixed-address RISC-V app packed by upstream elf2tab.
fn build_tab(dir: &Path) -> Result<PathBuf> {
    std::fs::write(dir.join("app.c"), APP_C).context("writing the benchmark app")?;
    std::fs::write(dir.join("app.ld"), APP_LD).context("writing the linker script")?;
    let elf = "rv32imac.0x20040080.0x80004000.elf";
    cmd::output(
        Command::new("riscv64-unknown-elf-gcc")
            .current_dir(dir)
            .args(["-march=rv32imac", "-mabi=ilp32", "-Os", "-nostdlib"])
            .args(["-ffreestanding", "-Wl,-n", "-Tapp.ld", "-o", elf, "app.c"]),
    )
    .context(
        "building the app ELF (run `cargo xtask setup` if riscv64-unknown-elf-gcc is missing)",
    )?;
    let elf2tab = tools::elf2tab_path()?;
    ensure!(
        elf2tab.is_file(),
        "upstream elf2tab is missing at {}: run `cargo xtask setup`",
        elf2tab.display()
    );
    cmd::output(
        Command::new(elf2tab)
            .current_dir(dir)
            .args(["-o", "bench.tab", "-n", "bench", "--stack", "1024"])
            .args(["--app-heap", "512", "--kernel-heap", "512", elf]),
    )?;
    Ok(dir.join("bench.tab"))
}

/// Time one install into a fresh erased 32 MiB flash file; return the time
/// and the resulting file.
fn timed_install(
    program: &Path,
    extra: &[&str],
    flash: &Path,
    tab: &Path,
) -> Result<(Duration, Vec<u8>)> {
    std::fs::write(flash, vec![0xFFu8; 32 << 20]).context("writing a flash file")?;
    let mut command = Command::new(program);
    command
        .arg("install")
        .arg("--flash-file")
        .arg(flash)
        .args(["--board", "hifive1b", "--arch", "rv32imac"])
        .args(extra)
        .arg(tab);
    let start = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("running {}", cmd::describe(&command)))?;
    let elapsed = start.elapsed();
    ensure!(
        output.status.success(),
        "`{}` failed: {}",
        cmd::describe(&command),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((
        elapsed,
        std::fs::read(flash).context("reading the flash file")?,
    ))
}

/// The model-based sequence figures (`model_bench`), then
/// `loader.flash_file_install_vs_tockloader_ratio`: installing a 16 KiB
/// app into a pflash-sized flash file, our time over tockloader's, best of
/// several interleaved runs; both must leave identical files.
pub fn bench(ctx: &Context, figures: &mut Figures) -> Result<()> {
    const RUNS: usize = 7;
    model_bench::measure(ctx, figures)?;
    live_random::measure(ctx, figures)?;
    let tockloader = tools::tockloader_path()?;
    ensure!(
        tockloader.is_file(),
        "upstream tockloader is missing at {}: run `cargo xtask setup`",
        tockloader.display()
    );
    let loader = tools::our_binary(ctx, "loader-cli", "loader", true)?;
    let dir = ctx.scratch_dir("loader-bench")?;
    let tab = build_tab(&dir)?;
    let mut ours_best = Duration::MAX;
    let mut theirs_best = Duration::MAX;
    for _ in 0..RUNS {
        let (ours, ours_flash) = timed_install(
            &loader,
            &["--tockloader-layout", "-q"],
            &dir.join("ours.bin"),
            &tab,
        )?;
        let (theirs, theirs_flash) =
            timed_install(&tockloader, &[], &dir.join("theirs.bin"), &tab)?;
        ensure!(
            ours_flash == theirs_flash,
            "the loader and tockloader left different flash files"
        );
        ours_best = ours_best.min(ours);
        theirs_best = theirs_best.min(theirs);
    }
    figures.record(
        "loader.flash_file_install_vs_tockloader_ratio",
        ours_best.as_secs_f64() / theirs_best.as_secs_f64(),
        "(ours / tockloader, best of 7 each)",
    )?;
    live_bench::measure(ctx, figures)?;
    bootloader_bench::measure(ctx, figures)
}
