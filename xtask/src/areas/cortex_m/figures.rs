//! The `cortexm.*` benchmarks on mps2-an386, counted the same way as the
//! `rv32.*` ones: executed guest instructions (TCG plugin, `-icount` so
//! SysTick lands on the same instruction every run), a run with N
//! iterations minus a run with 0, over N. DWT CYCCNT reads 0 on QEMU's
//! mps2, so instructions are the figure.

use super::image;
use super::scenarios::Bench;
use crate::bench::Figures;
use crate::context::Context;
use crate::qemu::{count_instructions, per_iteration};
use crate::tools::section_sizes;
use anyhow::{ensure, Context as _, Result};
use std::path::PathBuf;
use std::time::Duration;

/// Iterations of each measured loop.
const ITERATIONS: u32 = 2000;
const TIMEOUT: Duration = Duration::from_secs(120);
/// Virtual time advances one nanosecond per instruction: deterministic.
const DETERMINISTIC_TIME: &[&str] = &["-icount", "shift=0,align=off,sleep=off"];
/// An SVC round trip cannot cost less than the entry and exit sequences
/// themselves (about 20 instructions on the handler side alone).
const FLOOR_INSTRUCTIONS: f64 = 20.0;

/// A measured loop: figure, apps (slot order), units per iteration and
/// the plausible range (outside it the loop measures something else).
struct Loop {
    figure: &'static str,
    apps: &'static [&'static str],
    units_per_iteration: f64,
    plausible: (f64, f64),
}

const LOOPS: &[Loop] = &[
    Loop {
        figure: "cortexm.null_syscall_instructions",
        apps: &["bench_null"],
        units_per_iteration: 1.0,
        plausible: (FLOOR_INSTRUCTIONS, 2_613.0),
    },
    // One round: A notifies B and blocks, B notifies A and blocks.
    Loop {
        figure: "cortexm.context_switch_instructions",
        apps: &["bench_switch_a", "bench_switch_b"],
        units_per_iteration: 2.0,
        plausible: (FLOOR_INSTRUCTIONS, 15_682.0),
    },
];

/// The app images of every loop for `iterations`, written at once (the
/// next build replaces the ELFs they are packaged from).
fn images(ctx: &Context, iterations: u32) -> Result<(Bench, Vec<PathBuf>)> {
    let mut bench = Bench::build(ctx, iterations)?;
    let mut images = Vec::new();
    for measured in LOOPS {
        let name = format!("cortexm-{}-{iterations}", measured.apps.join("+"));
        images.push(bench.apps(&name, measured.apps)?);
    }
    Ok((bench, images))
}

/// Records every `cortexm.*` figure.
pub fn measure(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let (_, empty) = images(ctx, 0)?;
    let (bench, full) = images(ctx, ITERATIONS)?;
    for (index, measured) in LOOPS.iter().enumerate() {
        let count = |apps: &PathBuf| {
            count_instructions(
                image::board(bench.kernel(), Some(apps)).args(DETERMINISTIC_TIME.iter().copied()),
                TIMEOUT,
            )
            .with_context(|| format!("counting {}", measured.figure))
        };
        let per_round = per_iteration(
            count(&full[index])?,
            count(&empty[index])?,
            u64::from(ITERATIONS),
        )?;
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
    record_kernel_size(&bench, figures)
}

/// The board prints its kernel RAM per process at boot.
fn record_ram_per_process(bench: &Bench, figures: &mut Figures) -> Result<()> {
    let mut qemu = image::board(bench.kernel(), None).spawn()?;
    qemu.expect("kernel RAM per process: ", Duration::from_secs(30))?;
    let value = qemu.expect(" bytes", Duration::from_secs(5))?;
    let bytes: f64 = value
        .trim_end_matches(" bytes")
        .trim()
        .parse()
        .with_context(|| format!("the board printed {value:?} as its RAM per process"))?;
    figures.record("cortexm.kernel_ram_per_process_bytes", bytes, "bytes")
}

/// Text is `.vector_table` + `.text` + `.rodata` (flash), as `size`
/// counts upstream's image; bss is `.bss` + `.stack`.
fn record_kernel_size(bench: &Bench, figures: &mut Figures) -> Result<()> {
    let sections = section_sizes(bench.kernel())?;
    let sum = |names: &[&str]| -> f64 {
        sections
            .iter()
            .filter(|(name, _)| names.contains(&name.as_str()))
            .map(|(_, size)| *size as f64)
            .sum()
    };
    figures.record(
        "cortexm.kernel_text_bytes",
        sum(&[".vector_table", ".text", ".rodata"]),
        "bytes",
    )?;
    figures.record(
        "cortexm.kernel_bss_bytes",
        sum(&[".bss", ".stack"]),
        "bytes",
    )
}
