//! The hostile area: the kernel on qemu-rv32-virt against apps that try to
//! break it. A seeded random-syscall fuzzer runs beside a guardian app
//! that checks its own memory (`hostile/fuzzer.rs`), and attack apps try
//! one attack each (`hostile/attacks.rs`). Figures:
//! `hostile.random_syscalls_survived`, `hostile.attack_apps_run` and
//! `hostile.attack_apps_contained` (stopped the way the test expects:
//! faulted, refused or blocked alone), `hostile.attack_apps_faulted`.

mod attacks;
mod fuzzer;

use super::kernel::scenarios::Bench;
use super::Area;
use crate::bench::Figures;
use crate::cmd;
use crate::context::Context;
use anyhow::{ensure, Result};

/// Random syscalls in `cargo xtask test`.
const TEST_SYSCALLS: u32 = 100_000;
/// Random syscalls in `cargo xtask bench`.
const BENCH_SYSCALLS: u32 = 1_000_000;

/// The hostile area in the registry.
pub const AREA: Area = Area {
    name: "hostile",
    about: "hostile apps on qemu-rv32-virt: syscall fuzzer beside a guardian, attack apps",
    tests,
    bench: Some(bench),
    // The test apps are the kernel area's device crate.
    device_crates: &[],
};

/// The fuzzer's host tests, the random-syscall run and every attack
/// (`hostile:NAME` runs the tests whose names contain NAME; the fuzzer
/// run is `random_syscalls`).
pub fn tests(ctx: &Context) -> Result<()> {
    let filter = ctx.filter.as_deref();
    let selected = |name: &str| filter.is_none_or(|filter| name.contains(filter));
    let mut failed = Vec::new();
    let mut ran = 0;
    if selected("fuzzer_logic") {
        ran += 1;
        let mut cargo = ctx.cargo("test")?;
        cargo.args(["-p", "kernel-test-apps", "--lib"]);
        report("fuzzer_logic_host_tests", cmd::run(&mut cargo), &mut failed);
    }
    if selected("random_syscalls") {
        ran += 1;
        let name = "random_syscalls_leave_the_kernel_and_the_guardian_intact";
        let outcome = fuzzer::seed().and_then(|seed| fuzzer::run(ctx, TEST_SYSCALLS, seed));
        report(name, outcome.and_then(|run| run.verdict), &mut failed);
    }
    let attacks: Vec<_> = attacks::ATTACKS
        .iter()
        .filter(|attack| selected(attack.name))
        .collect();
    if !attacks.is_empty() {
        let mut bench = Bench::build(ctx, 0)?;
        for attack in attacks {
            ran += 1;
            report(attack.name, attacks::run(&mut bench, attack), &mut failed);
        }
    }
    ensure!(ran > 0, "no hostile test matches {filter:?}");
    ensure!(
        failed.is_empty(),
        "hostile tests failed: {}",
        failed.join(", ")
    );
    Ok(())
}

fn report(name: &str, outcome: Result<()>, failed: &mut Vec<String>) {
    match outcome {
        Ok(()) => println!("hostile: {name} ... ok"),
        Err(error) => {
            println!("hostile: {name} ... FAILED\n{error:#}");
            failed.push(name.to_string());
        }
    }
}

/// A million random syscalls, and every attack counted.
pub fn bench(ctx: &Context, figures: &mut Figures) -> Result<()> {
    // Recorded even when the run fails: how far the kernel held.
    let run = fuzzer::run(ctx, BENCH_SYSCALLS, fuzzer::seed()?)?;
    figures.record(
        "hostile.random_syscalls_survived",
        run.survived as f64,
        "syscalls",
    )?;
    let fuzzing = run.verdict;

    let mut bench = Bench::build(ctx, 0)?;
    let (mut contained, mut faulted) = (0u32, 0u32);
    for attack in attacks::ATTACKS {
        match attacks::run(&mut bench, attack) {
            Ok(()) => {
                contained += 1;
                faulted += u32::from(matches!(attack.stopped, attacks::Stopped::Fault(..)));
            }
            Err(error) => println!("hostile: {} was NOT contained:\n{error:#}", attack.name),
        }
    }
    figures.record(
        "hostile.attack_apps_run",
        attacks::ATTACKS.len() as f64,
        "apps",
    )?;
    figures.record(
        "hostile.attack_apps_contained",
        f64::from(contained),
        "apps",
    )?;
    figures.record("hostile.attack_apps_faulted", f64::from(faulted), "apps")?;
    fuzzing
}
