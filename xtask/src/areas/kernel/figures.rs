//! The `rv32.*` benchmarks: executed-instruction counts (a run with N
//! iterations minus a run with 0, over N, counted by the TCG plugin with
//! `-icount` so timer interrupts land on the same instruction every run),
//! the kernel's RAM per process, and the kernel image's size.

use super::image;
use super::scenarios::{board, spawn, Bench};
use crate::bench::Figures;
use crate::context::Context;
use crate::qemu::{count_instructions, per_iteration};
use anyhow::{Context as _, Result};
use std::path::PathBuf;
use std::time::Duration;

/// Iterations of each measured loop.
const ITERATIONS: u32 = 2000;
const TIMEOUT: Duration = Duration::from_secs(120);
/// Virtual time advances one nanosecond per instruction: deterministic.
const DETERMINISTIC_TIME: &[&str] = &["-icount", "shift=0,align=off,sleep=off"];

/// A measured loop: the figure's name, the apps (slot order), and how many
/// of the figure's unit one iteration holds.
struct Loop {
    figure: &'static str,
    apps: &'static [&'static str],
    units_per_iteration: f64,
}

const LOOPS: &[Loop] = &[
    Loop {
        figure: "rv32.null_syscall_instructions",
        apps: &["bench_null"],
        units_per_iteration: 1.0,
    },
    Loop {
        figure: "rv32.yield_no_wait_instructions",
        apps: &["bench_yield"],
        units_per_iteration: 1.0,
    },
    // One round: A notifies B and blocks, B wakes, notifies A and blocks:
    // two switches, each with the notify command and yield that cause it.
    Loop {
        figure: "rv32.context_switch_instructions",
        apps: &["bench_switch_a", "bench_switch_b"],
        units_per_iteration: 2.0,
    },
    // One request and one reply between two processes over the IPC
    // driver, each copying a 16-byte shared buffer.
    Loop {
        figure: "rv32.ipc_pingpong_round_instructions",
        apps: &["ipc_service", "ipc_client"],
        units_per_iteration: 1.0,
    },
];

/// Records every `rv32.*` figure.
pub fn measure(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let flashes = |iterations: u32| -> Result<(Bench, Vec<PathBuf>)> {
        let mut bench = Bench::build(ctx, iterations)?;
        let flashes = LOOPS
            .iter()
            .map(|measured| {
                bench.flash(&format!("{}-{iterations}", measured.figure), measured.apps)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((bench, flashes))
    };
    let (_, empty) = flashes(0)?;
    let (bench, full) = flashes(ITERATIONS)?;
    for ((measured, zero), many) in LOOPS.iter().zip(&empty).zip(&full) {
        let count = |flash: &PathBuf| {
            count_instructions(
                board(flash).args(DETERMINISTIC_TIME.iter().copied()),
                TIMEOUT,
            )
            .with_context(|| format!("counting {}", measured.figure))
        };
        let per_round = per_iteration(count(many)?, count(zero)?, u64::from(ITERATIONS))?;
        figures.record(
            measured.figure,
            per_round / measured.units_per_iteration,
            "instructions",
        )?;
    }
    record_ram_per_process(&bench, figures)?;
    record_kernel_size(&bench, figures)
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
/// (zero-initialised RAM), as `size` counts upstream's image.
fn record_kernel_size(bench: &Bench, figures: &mut Figures) -> Result<()> {
    let sections = image::section_sizes(bench.kernel())?;
    let sum = |names: &[&str]| -> f64 {
        sections
            .iter()
            .filter(|(name, _)| names.contains(&name.as_str()))
            .map(|(_, size)| *size as f64)
            .sum()
    };
    figures.record(
        "rv32.kernel_text_bytes",
        sum(&[".text", ".rodata"]),
        "bytes",
    )?;
    figures.record("rv32.kernel_bss_bytes", sum(&[".bss", ".stack"]), "bytes")
}
