//! The `rv32.*` benchmarks: executed-instruction counts (a run with N
//! iterations minus a run with 0, over N, counted by the TCG plugin with
//! `-icount` so timer interrupts land on the same instruction every run),
//! the kernel's RAM per process, and the kernel image's size.

use super::image;
use super::scenarios::{board, spawn, Bench};
use crate::bench::Figures;
use crate::context::Context;
use crate::qemu::{count_instructions, per_iteration};
use crate::tools;
use anyhow::{ensure, Context as _, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// Iterations of each measured loop.
const ITERATIONS: u32 = 2000;
const TIMEOUT: Duration = Duration::from_secs(120);
/// Virtual time advances one nanosecond per instruction: deterministic.
const DETERMINISTIC_TIME: &[&str] = &["-icount", "shift=0,align=off,sleep=off"];

/// A bare trap round trip (U-mode `ecall` to M-mode and back with a full
/// register save) measured on this QEMU: no syscall can cost less.
const TRAP_FLOOR_INSTRUCTIONS: f64 = 131.0;

/// A measured loop: the figure's name, the apps (slot order), the apps of
/// a baseline loop whose per-iteration cost is subtracted (none if empty),
/// how many of the figure's unit one iteration holds, and the range the
/// figure must fall in (anything outside means the loop measures something
/// else than it claims, and the benchmark fails instead of recording it).
struct Loop {
    figure: &'static str,
    apps: &'static [&'static str],
    baseline: &'static [&'static str],
    units_per_iteration: f64,
    plausible: (f64, f64),
}

const LOOPS: &[Loop] = &[
    // Upper bounds: upstream's figure where it has one.
    Loop {
        figure: "rv32.null_syscall_instructions",
        apps: &["bench_null"],
        baseline: &[],
        units_per_iteration: 1.0,
        plausible: (TRAP_FLOOR_INSTRUCTIONS, 2_613.0),
    },
    Loop {
        figure: "rv32.yield_no_wait_instructions",
        apps: &["bench_yield"],
        baseline: &[],
        units_per_iteration: 1.0,
        plausible: (TRAP_FLOOR_INSTRUCTIONS, 2_065.0),
    },
    // The yield alone: {queue an upcall for itself; yield-wait-for it}
    // minus {queue an upcall for itself}. It returns at once (the upcall
    // is pending), so it must cost no more than upstream's yield-no-wait.
    Loop {
        figure: "rv32.yield_wait_for_instructions",
        apps: &["bench_wait_for"],
        baseline: &["bench_notify_self"],
        units_per_iteration: 1.0,
        plausible: (TRAP_FLOOR_INSTRUCTIONS, 2_065.0),
    },
    // One round: A notifies B and blocks, B wakes, notifies A and blocks:
    // two switches, each with the notify command and yield that cause it.
    // Upstream's IPC round (two switches and more) bounds it.
    Loop {
        figure: "rv32.context_switch_instructions",
        apps: &["bench_switch_a", "bench_switch_b"],
        baseline: &[],
        units_per_iteration: 2.0,
        plausible: (TRAP_FLOOR_INSTRUCTIONS, 15_682.0),
    },
    // One request and one reply between two processes over the IPC
    // driver, each copying a 16-byte shared buffer.
    Loop {
        figure: "rv32.ipc_pingpong_round_instructions",
        apps: &["ipc_service", "ipc_client"],
        baseline: &[],
        units_per_iteration: 1.0,
        plausible: (2.0 * TRAP_FLOOR_INSTRUCTIONS, 15_682.0),
    },
];

/// Every app set a loop or a baseline runs, once each.
fn app_sets() -> Vec<&'static [&'static str]> {
    let mut sets: Vec<&'static [&'static str]> = Vec::new();
    for measured in LOOPS {
        for apps in [measured.apps, measured.baseline] {
            if !apps.is_empty() && !sets.contains(&apps) {
                sets.push(apps);
            }
        }
    }
    sets
}

/// Builds the apps with `iterations` and writes a flash file per app set.
/// Written at once: the next build replaces the ELFs they are packaged from.
fn flashes(ctx: &Context, iterations: u32) -> Result<(Bench, HashMap<String, PathBuf>)> {
    let mut bench = Bench::build(ctx, iterations)?;
    let mut flashes = HashMap::new();
    for apps in app_sets() {
        let name = apps.join("+");
        let flash = bench.flash(&format!("rv32-{name}-{iterations}"), apps)?;
        flashes.insert(name, flash);
    }
    Ok((bench, flashes))
}

/// Records every `rv32.*` figure.
pub fn measure(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let (_, empty) = flashes(ctx, 0)?;
    let (bench, full) = flashes(ctx, ITERATIONS)?;
    for measured in LOOPS {
        let per_iteration_of = |apps: &[&str]| -> Result<f64> {
            let name = apps.join("+");
            let count = |flashes: &HashMap<String, PathBuf>| {
                let flash = flashes.get(&name).context("every app set has a flash")?;
                count_instructions(
                    board(flash).args(DETERMINISTIC_TIME.iter().copied()),
                    TIMEOUT,
                )
                .with_context(|| format!("counting {} ({name})", measured.figure))
            };
            per_iteration(count(&full)?, count(&empty)?, u64::from(ITERATIONS))
        };
        let mut per_round = per_iteration_of(measured.apps)?;
        if !measured.baseline.is_empty() {
            per_round -= per_iteration_of(measured.baseline)?;
        }
        let value = per_round / measured.units_per_iteration;
        let (low, high) = measured.plausible;
        ensure!(
            (low..=high).contains(&value),
            "{} measured {value} instructions, outside the plausible {low}..={high}: \
             the benchmark loop no longer measures what it claims",
            measured.figure
        );
        figures.record(measured.figure, value, "instructions")?;
    }
    record_ram_per_process(&bench, figures)?;
    record_kernel_size(ctx, &bench, figures)
}

/// The board prints its kernel RAM per process at boot.
fn record_ram_per_process(bench: &Bench, figures: &mut Figures) -> Result<()> {
    let flash = bench.flash_path("empty")?;
    image::write_flash_file(&flash, bench.kernel(), &[])?;
    let mut qemu = spawn(&flash)?;
    qemu.expect("kernel RAM per process: ", Duration::from_secs(30))?;
    let value = qemu.expect(" bytes", Duration::from_secs(5))?;
    let bytes: f64 = value
        .trim_end_matches(" bytes")
        .trim()
        .parse()
        .with_context(|| format!("the board printed {value:?} as its RAM per process"))?;
    figures.record("rv32.kernel_ram_per_process_bytes", bytes, "bytes")
}

/// Text is `.text` + `.rodata` (flash); bss is `.bss` + `.stack`
/// (zero-initialised RAM), as `size` counts upstream's image. The compared
/// figures are of the board without its default features (the feature set
/// of upstream's board); `rv32.kernel_text_full_bytes` is the default build
/// (everything the board wires in: signature checking, loader, services).
fn record_kernel_size(ctx: &Context, bench: &Bench, figures: &mut Figures) -> Result<()> {
    let minimal = image::build_kernel_without_default_features(ctx)?;
    let minimal = tools::section_sizes(&minimal)?;
    let full = tools::section_sizes(bench.kernel())?;
    let sum = |sections: &[(String, u64)], names: &[&str]| -> f64 {
        sections
            .iter()
            .filter(|(name, _)| names.contains(&name.as_str()))
            .map(|(_, size)| *size as f64)
            .sum()
    };
    const TEXT: &[&str] = &[".text", ".rodata"];
    figures.record("rv32.kernel_text_bytes", sum(&minimal, TEXT), "bytes")?;
    figures.record(
        "rv32.kernel_bss_bytes",
        sum(&minimal, &[".bss", ".stack"]),
        "bytes",
    )?;
    figures.record("rv32.kernel_text_full_bytes", sum(&full, TEXT), "bytes")
}
