//! The security-key figures (issue 18), measured on qemu-rv32-virt with the
//! CTAP2 app's kernel:
//! - `apps.ctap2_make_credential_instructions`,
//!   `apps.ctap2_get_assertion_instructions` and
//!   `apps.u2f_authenticate_instructions`: guest instructions (kernel and
//!   app) of one operation, counted by the TCG plugin with deterministic
//!   time (`-icount`), the benchmark's random bytes fixed (see its file),
//!   rounded to [`ROUNDING`] so that they repeat: the benchmark
//!   binary (`apps/rust/ctap2/src/bin/ctap2_bench.rs`) built to run
//!   [`ITERATIONS`] of one operation, minus the same binary built to run
//!   none, over [`ITERATIONS`]. MakeCredential is a resident ES256
//!   credential replacing the same user's (its record and the counter
//!   written to the isolated storage); GetAssertion finds it with no allow
//!   list; U2F AUTHENTICATE goes through the CTAP2 app's U2F path.
//! - `apps.resident_keys_max`: resident credentials for new users made
//!   until the authenticator answers KEY_STORE_FULL (presence granted by
//!   the benchmark's platform).
//! - `apps.ctap2_flash_bytes` and `apps.ctap2_ram_bytes`: the CTAP2 app's
//!   TBF as `build` packages it: its total size, and the RAM its header
//!   asks for (stack, heap, data and the kernel-visible grant space).

use super::ctap2;
use super::{package, RustApp};
use crate::areas::kernel::scenarios::board;
use crate::areas::libtock_rs::build_packager;
use crate::areas::targets;
use crate::bench::Figures;
use crate::cmd;
use crate::context::Context;
use crate::qemu::{count_instructions, per_iteration};
use anyhow::{ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Operations of each measured run: enough that the per-operation figure
/// is the operation's own cost, few enough to keep the bench short.
const ITERATIONS: u32 = 8;
/// Whole runs of one image differ by 2 instructions now and then: the
/// kernel's halt after the exit store is `wfi` in a loop, and its branch
/// runs again whenever an interrupt wakes the hart before QEMU stops it (a
/// host-timed race). That is a quarter of an instruction per operation:
/// figures are rounded to this many instructions, so they repeat.
const ROUNDING: f64 = 100.0;
/// The most two runs of one image may differ by (that race, a few times).
const RUN_TO_RUN: u64 = 8;
const TIMEOUT: Duration = Duration::from_secs(300);
/// Virtual time advances one nanosecond per instruction: the app sees the
/// same clock every run.
const DETERMINISTIC: &[&str] = &["-icount", "shift=0,align=off,sleep=off"];
/// The benchmark binary's `stack_size!` (the app's own) and heap.
const BENCH_APP: RustApp = RustApp {
    binary: "ctap2_bench",
    stack: 0xD000,
    heap: 1024,
};

/// One counted operation: its figure, the build variable that sets how
/// many run, and the range outside which the figure cannot be that
/// operation (the benchmark then fails instead of recording it).
struct Operation {
    figure: &'static str,
    variable: &'static str,
    plausible: (f64, f64),
}

/// Each holds at least one P-256 signature (about 1 M instructions at the
/// least) and at most a few of them with storage writes.
const OPERATIONS: &[Operation] = &[
    Operation {
        figure: "apps.ctap2_make_credential_instructions",
        variable: "CTAP2_BENCH_MAKE_CREDENTIALS",
        plausible: (2.0e6, 400.0e6),
    },
    Operation {
        figure: "apps.ctap2_get_assertion_instructions",
        variable: "CTAP2_BENCH_GET_ASSERTIONS",
        plausible: (1.0e6, 200.0e6),
    },
    Operation {
        figure: "apps.u2f_authenticate_instructions",
        variable: "CTAP2_BENCH_U2F_AUTHENTICATES",
        plausible: (1.0e6, 200.0e6),
    },
];
/// Set (to any value) to fill the store instead.
const FILL_VARIABLE: &str = "CTAP2_BENCH_FILL";
/// What the benchmark prints after filling.
const FILL_LINE: &str = "ctap2-bench: resident keys ";

/// Records every security-key figure.
pub fn measure(ctx: &Context, figures: &mut Figures) -> Result<()> {
    // Builds the app, its kernel (which `flash_with` uses) and the
    // benchmark binary with no operation.
    let app = ctap2::build(ctx)?;
    footprint(&app, figures)?;
    let packager = build_packager(ctx)?;
    let baseline = repeated_baseline(ctx, &packager)?;
    for operation in OPERATIONS {
        let with = counted_run(ctx, &packager, Some(operation.variable))?;
        let exact = per_iteration(with, baseline, u64::from(ITERATIONS))?;
        let value = (exact / ROUNDING).round() * ROUNDING;
        let (low, high) = operation.plausible;
        ensure!(
            (low..=high).contains(&value),
            "{} measured {value} instructions, outside the plausible {low}..={high}: \
             the benchmark no longer measures one operation",
            operation.figure
        );
        figures.record(operation.figure, value, "instructions")?;
    }
    resident_keys(ctx, &packager, figures)
}

/// The app's TBF size and the RAM its header asks for.
fn footprint(app: &[u8], figures: &mut Figures) -> Result<()> {
    let tbf = tbf::parse(app).context("the CTAP2 app's TBF does not parse")?;
    figures.record(
        "apps.ctap2_flash_bytes",
        f64::from(tbf.total_size()),
        "bytes",
    )?;
    figures.record(
        "apps.ctap2_ram_bytes",
        f64::from(tbf.minimum_ram_size()),
        "bytes",
    )
}

/// Builds the benchmark with [`ITERATIONS`] of `variable`'s operation
/// (none when `None`, or the fill when it is [`FILL_VARIABLE`]), packages
/// it and writes a fresh flash with the CTAP2 kernel; the flash.
fn bench_flash(ctx: &Context, packager: &Path, variable: Option<&str>) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    cargo
        .args(["-p", "ctap2", "--bin", BENCH_APP.binary])
        .args(["--features", "device", "--release"])
        .args(["--target", targets::RISCV32IMAC])
        .env("LIBTOCK_LAYOUT", "qemu_rv32_virt.ld")
        .env_remove(FILL_VARIABLE);
    for operation in OPERATIONS {
        let count = if Some(operation.variable) == variable {
            ITERATIONS
        } else {
            0
        };
        cargo.env(operation.variable, count.to_string());
    }
    if variable == Some(FILL_VARIABLE) {
        cargo.env(FILL_VARIABLE, "1");
    }
    let name = variable.unwrap_or("BASELINE").to_lowercase();
    cmd::run(&mut cargo).with_context(|| format!("building {} ({name})", BENCH_APP.binary))?;
    let tbf = package(ctx, packager, &BENCH_APP)?;
    ctap2::flash_with(ctx, &name.replace('_', "-"), &tbf)
}

/// Instructions of a whole run of the benchmark built for `variable`.
fn counted_run(ctx: &Context, packager: &Path, variable: Option<&str>) -> Result<u64> {
    count(&bench_flash(ctx, packager, variable)?)
}

/// Instructions of a whole run of the benchmark with no operation, run
/// twice from the same fresh flash (a run writes to its flash): they must
/// agree within [`RUN_TO_RUN`], or no figure here would repeat.
fn repeated_baseline(ctx: &Context, packager: &Path) -> Result<u64> {
    let flash = bench_flash(ctx, packager, None)?;
    let copy = flash.with_file_name("baseline-again.pflash");
    std::fs::copy(&flash, &copy).with_context(|| format!("copying {}", flash.display()))?;
    let (first, second) = (count(&flash)?, count(&copy)?);
    ensure!(
        first.abs_diff(second) <= RUN_TO_RUN,
        "the same benchmark image ran {first} then {second} instructions: \
         something the host times reached the guest, the figures would not repeat"
    );
    Ok(first.min(second))
}

/// Instructions of a whole run of `flash`.
fn count(flash: &Path) -> Result<u64> {
    count_instructions(board(flash).args(DETERMINISTIC.iter().copied()), TIMEOUT)
        .with_context(|| format!("counting the CTAP2 benchmark ({})", flash.display()))
}

/// Fills the store; records how many resident credentials it held.
fn resident_keys(ctx: &Context, packager: &Path, figures: &mut Figures) -> Result<()> {
    let flash = bench_flash(ctx, packager, Some(FILL_VARIABLE))?;
    let exit = board(&flash)
        .args(DETERMINISTIC.iter().copied())
        .spawn()?
        .wait(TIMEOUT)?;
    ensure!(
        exit.code == 0,
        "the fill run ended with status {}:\n{}",
        exit.code,
        exit.output
    );
    let count = fill_count(&exit.output)
        .with_context(|| format!("the fill run printed no count:\n{}", exit.output))?;
    // CTAP 2.1 asks little; fewer than 25 would be no useful security key.
    ensure!(
        count >= 25,
        "the device held only {count} resident credentials"
    );
    figures.record("apps.resident_keys_max", f64::from(count), "credentials")
}

/// The count in the fill run's [`FILL_LINE`], which may follow the
/// kernel's console prompt.
fn fill_count(output: &str) -> Option<u32> {
    output
        .lines()
        .find_map(|line| line.split_once(FILL_LINE))
        .and_then(|(_, count)| count.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::fill_count;

    #[test]
    fn the_fill_count_is_read_after_the_prompt() {
        let output = "[kernel] loaded ctap2_bench\r\ntock$ ctap2-bench: resident keys 300\r\n";
        assert_eq!(fill_count(output), Some(300));
        assert_eq!(
            fill_count("ctap2-bench: failed: filling (status 0x2)\n"),
            None
        );
        assert_eq!(fill_count("ctap2-bench: resident keys many\n"), None);
    }
}
