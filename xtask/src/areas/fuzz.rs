//! The fuzz area: every cargo-fuzz target of the project, run from its
//! checked-in seed corpus. `cargo xtask test` gives each a bounded number
//! of runs; `cargo xtask bench` a longer run per target, recording
//! `fuzz.<target>_executions` and `fuzz.<target>_crashes` (which must be
//! 0: a crash fails the benchmark after it is recorded).
//!
//! Targets are built without a sanitizer (`-s none`): the kernel target's
//! fake process memory must sit below 4 GiB, where AddressSanitizer keeps
//! its shadow, and one setting for all lets the targets share their
//! dependencies in one target directory. A panic or failed assertion in a
//! target is still a crash. New inputs go to a scratch corpus and crash
//! inputs to a scratch directory, so the checked-in seeds stay as they are.
//! Each fuzz crate's committed `Cargo.lock` must be current (checked
//! without writing before the build), so a run never rewrites it.

use super::Area;
use crate::bench::Figures;
use crate::cmd;
use crate::context::Context;
use crate::tools;
use anyhow::{bail, ensure, Context as _, Result};
use std::path::PathBuf;
use std::process::Command;

/// One cargo-fuzz target: the crate holding `fuzz/`, and its name there.
struct Target {
    /// The figure prefix and test name (`fuzz:NAME`).
    name: &'static str,
    /// The crate directory (its `fuzz/` holds the target).
    crate_dir: &'static str,
    /// The target's binary name in that `fuzz/` crate.
    target: &'static str,
}

const TARGETS: &[Target] = &[
    Target {
        name: "tbf_parse",
        crate_dir: "tbf-tools/tbf",
        target: "parse",
    },
    Target {
        name: "tbf_tab",
        crate_dir: "tbf-tools/tbf",
        target: "tab",
    },
    Target {
        name: "tbf_trust",
        crate_dir: "tbf-tools/tbf",
        target: "trust",
    },
    Target {
        name: "kernel_load_processes",
        crate_dir: "kernel/core",
        target: "load_processes",
    },
    Target {
        name: "protocol_decode",
        crate_dir: "loader-cli/protocol",
        target: "decode",
    },
    Target {
        name: "loader_device_responses",
        crate_dir: "loader-cli",
        target: "device_responses",
    },
    Target {
        name: "loader_flash_chain",
        crate_dir: "loader-cli",
        target: "flash_chain",
    },
    Target {
        name: "credential_store",
        crate_dir: "apps/rust/credential-store",
        target: "store",
    },
];

/// Runs per target in `cargo xtask test`: enough to walk the seeds'
/// neighbourhood in a few seconds each.
const TEST_RUNS: u64 = 20_000;
/// Runs per target in `cargo xtask bench`.
const BENCH_RUNS: u64 = 1_000_000;

/// The fuzz area in the registry.
pub const AREA: Area = Area {
    name: "fuzz",
    about: "cargo-fuzz targets (TBF parser, kernel loader, protocol decoder, loader responses, credential store, trust store formats)",
    tests,
    bench: Some(bench),
    device_crates: &[],
};

/// Every target, [`TEST_RUNS`] runs each (`fuzz:NAME` selects by name).
pub fn tests(ctx: &Context) -> Result<()> {
    let filter = ctx.filter.as_deref();
    let selected: Vec<&Target> = TARGETS
        .iter()
        .filter(|target| filter.is_none_or(|filter| target.name.contains(filter)))
        .collect();
    ensure!(!selected.is_empty(), "no fuzz target matches {filter:?}");
    let mut failed = Vec::new();
    for target in selected {
        match run(ctx, target, TEST_RUNS) {
            Ok(runs) => println!("fuzz: {} ... ok ({runs} runs)", target.name),
            Err(error) => {
                println!("fuzz: {} ... FAILED\n{error:#}", target.name);
                failed.push(target.name);
            }
        }
    }
    ensure!(
        failed.is_empty(),
        "fuzz targets failed: {}",
        failed.join(", ")
    );
    Ok(())
}

/// Every target, [`BENCH_RUNS`] runs each, with its figures.
pub fn bench(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let mut crashed = Vec::new();
    for target in TARGETS {
        let (executions, crashes) = match run(ctx, target, BENCH_RUNS) {
            Ok(runs) => (runs, 0.0),
            Err(error) => {
                println!("fuzz: {} crashed:\n{error:#}", target.name);
                crashed.push(target.name);
                (0, 1.0)
            }
        };
        let name = target.name;
        figures.record(
            &format!("fuzz.{name}_executions"),
            executions as f64,
            "runs",
        )?;
        figures.record(&format!("fuzz.{name}_crashes"), crashes, "crashes")?;
    }
    ensure!(
        crashed.is_empty(),
        "fuzz targets crashed: {}",
        crashed.join(", ")
    );
    Ok(())
}

/// Runs `target` for `runs` runs; returns the runs libFuzzer reports done.
fn run(ctx: &Context, target: &Target, runs: u64) -> Result<u64> {
    let fuzz_path = tools::cargo_fuzz_path()?;
    ensure!(
        fuzz_path.is_file(),
        "cargo-fuzz is missing at {}: run `cargo xtask setup`",
        fuzz_path.display()
    );
    let crate_dir = ctx.workspace.join(target.crate_dir);
    let seeds = crate_dir.join("fuzz/corpus").join(target.target);
    ensure!(
        seeds.is_dir(),
        "the checked-in seed corpus {} is missing",
        seeds.display()
    );
    tools::ensure_fuzz_lock_is_current(ctx, &crate_dir)?;
    let corpus = ctx.scratch_dir(&format!("fuzz-corpus-{}", target.name))?;
    let crashes: PathBuf = ctx.scratch_dir(&format!("fuzz-crashes-{}", target.name))?;
    let mut command = tools::cargo_fuzz()?;
    command
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", ctx.target_dir.join("fuzz"))
        .args(["run", "--sanitizer", "none", target.target])
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-runs={runs}"))
        .arg(format!("-artifact_prefix={}/", crashes.display()));
    let lock = crate_dir.join("fuzz/Cargo.lock");
    let lock_before =
        std::fs::read(&lock).with_context(|| format!("reading {}", lock.display()))?;
    let (status, log) = run_capturing(&mut command)?;
    // The tree stays clean: a run must not rewrite the tracked lock.
    ensure!(
        std::fs::read(&lock).ok().as_ref() == Some(&lock_before),
        "fuzzing {} rewrote the tracked {}: bring it up to date and commit it",
        target.name,
        lock.display()
    );
    if !status {
        bail!(
            "{} crashed or failed to build; the input that crashed it is in {}\n{}",
            target.name,
            crashes.display(),
            tail(&log)
        );
    }
    done_runs(&log).with_context(|| {
        format!(
            "libFuzzer's `Done N runs` line is missing for {}:\n{}",
            target.name,
            tail(&log)
        )
    })
}

/// Runs `command`, returning whether it succeeded and its stderr+stdout.
fn run_capturing(command: &mut Command) -> Result<(bool, String)> {
    println!("$ {}", cmd::describe(command));
    let output = command
        .output()
        .with_context(|| format!("could not start `{}`", cmd::describe(command)))?;
    let mut log = String::from_utf8_lossy(&output.stderr).into_owned();
    log.push_str(&String::from_utf8_lossy(&output.stdout));
    Ok((output.status.success(), log))
}

/// The `N` of libFuzzer's final `Done N runs in S second(s)`.
fn done_runs(log: &str) -> Option<u64> {
    log.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("Done "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|runs| runs.parse().ok())
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_done_line_gives_the_runs() {
        let log = "INFO: seed\n#20000\tDONE cov: 1\nDone 20000 runs in 3 second(s)\n";
        assert_eq!(done_runs(log), Some(20000));
        assert_eq!(done_runs("INFO: nothing\n"), None);
    }

    #[test]
    fn every_target_has_a_unique_figure_name() {
        let mut names: Vec<_> = TARGETS.iter().map(|target| target.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TARGETS.len());
    }
}
