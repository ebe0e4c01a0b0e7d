//! The kernel's QEMU integration scenarios, one list for every emulated
//! board, each named for the behaviour it proves. A scenario says which
//! test apps it boots and what the serial output and QEMU's exit code
//! (set by the test driver) must be; a [`Board`] says how to package and
//! boot apps there, which addresses and fault names it has, and which
//! scenarios do not apply to it, each with the reason printed in the run.
//!
//! ```text
//! SCENARIOS (shared) ──┐
//! board's ONLY_HERE ───┼─ run_all(board) ─ skip board.not_applicable() (print why)
//!                      └─ each: board.install(apps) → board.spawn() → assert
//! ```
//!
//! qemu-rv32-virt is `kernel/board.rs` (`cargo xtask test kernel`),
//! mps2-an386 is `cortex_m/scenarios.rs` (`cargo xtask test cortex-m`).

use crate::qemu::{Qemu, QemuExit};
use anyhow::{bail, ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use super::board::{board, spawn, Bench};
pub use super::test_apps::TestApps;

/// How long any one boot may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// Restarts the boards allow a faulting process (kernel default).
const RESTART_THRESHOLD: usize = 3;
/// Flash bytes per app slot: kernel-test-apps' build.rs links the n-th
/// app at the board's app flash address + n × this.
const TEST_APP_SLOT_BYTES: u64 = 0x1_0000;

/// A memory access the MPU or PMP refuses.
#[derive(Clone, Copy, Debug)]
pub enum Access {
    /// A data read.
    Load,
    /// A data write.
    Store,
    /// An instruction fetch.
    Execute,
}

/// A scenario that does not apply to a board, and why (printed).
pub type NotApplicable = (&'static str, &'static str);

/// One scenario that only one board has: its name and body.
pub type Scenario<B> = (&'static str, fn(&mut B) -> Result<()>);

/// One scenario of the shared list: its name and body.
pub type SharedScenario = (&'static str, fn(&mut dyn Board) -> Result<()>);

/// What a scenario needs from the board it runs on.
pub trait Board {
    /// The test area's name, printed before each scenario.
    fn area(&self) -> &'static str;
    /// The first line the kernel prints.
    fn banner(&self) -> &'static str;
    /// Where the first app slot starts.
    fn app_flash_address(&self) -> u64;
    /// The TBF of test app `app`.
    fn tbf(&mut self, app: &str) -> Result<Vec<u8>>;
    /// Writes `tbfs` (slot order) where the board boots apps from, fresh
    /// for test `test`; returns that file.
    fn install(&mut self, test: &str, tbfs: &[Vec<u8>]) -> Result<PathBuf>;
    /// Boots the file [`Board::install`] wrote, serial captured.
    fn spawn(&self, image: &Path) -> Result<Qemu>;
    /// What the kernel calls a refused `access` on this board.
    fn fault_cause(&self, access: Access) -> &'static str;
    /// Lines a fault report holds on this board besides the cause.
    fn fault_report_lines(&self) -> &'static [&'static str];
    /// Scenarios left out here, each with the reason.
    fn not_applicable(&self) -> &'static [NotApplicable];
}

/// The address of app slot `slot` (0 is the first).
fn slot_address(board: &dyn Board, slot: u64) -> u64 {
    board.app_flash_address() + slot * TEST_APP_SLOT_BYTES
}

/// Installs the test apps `apps` (slot order) for test `test`.
fn install_apps(board: &mut dyn Board, test: &str, apps: &[&str]) -> Result<PathBuf> {
    let tbfs = apps
        .iter()
        .map(|app| board.tbf(app))
        .collect::<Result<Vec<_>>>()?;
    board.install(test, &tbfs)
}

/// Boots `image` and waits for QEMU to exit.
pub fn run(board: &dyn Board, image: &Path) -> Result<QemuExit> {
    board.spawn(image)?.wait(TIMEOUT)
}

/// Fails unless QEMU exited with `code`.
pub fn expect_exit(exit: &QemuExit, code: i32) -> Result<()> {
    ensure!(
        exit.code == code,
        "QEMU exited with {} instead of {code}; serial output:\n{}",
        exit.code,
        exit.output
    );
    Ok(())
}

/// Fails unless the output holds every one of `lines` and neither broken
/// isolation nor a kernel panic.
pub fn expect_lines(exit: &QemuExit, lines: &[&str]) -> Result<()> {
    for line in lines {
        ensure!(
            exit.output.contains(line),
            "{line:?} is missing from the serial output:\n{}",
            exit.output
        );
    }
    ensure!(
        !exit.output.contains("ISOLATION BROKEN") && !exit.output.contains("PANIC"),
        "isolation broke or the kernel panicked:\n{}",
        exit.output
    );
    Ok(())
}

fn position(exit: &QemuExit, text: &str) -> Result<usize> {
    exit.output.find(text).with_context(|| {
        format!(
            "{text:?} is missing from the serial output:\n{}",
            exit.output
        )
    })
}

/// Every shared scenario, in order.
pub const SCENARIOS: &[SharedScenario] = &[
    ("kernel_boots_and_reports_over_the_uart", kernel_boots),
    (
        "two_processes_interleave_output",
        two_processes_interleave_output,
    ),
    (
        "busy_loop_cannot_starve_another_process",
        busy_loop_cannot_starve_another_process,
    ),
    (
        "registers_survive_syscalls_and_preemption",
        registers_survive,
    ),
    ("reading_kernel_memory_faults_only_the_offender", |board| {
        fault_only_the_offender(board, "fault_kernel_ram", Access::Load, Some(0x8000_0000))
    }),
    // The same app where 0x8000_0000 is no memory at all (mps2).
    ("reading_outside_memory_faults_only_the_offender", |board| {
        fault_only_the_offender(board, "fault_kernel_ram", Access::Load, Some(0x8000_0000))
    }),
    (
        "reading_another_process_memory_faults_only_the_offender",
        |board| {
            fault_only_the_offender(
                board,
                "fault_other_process",
                Access::Load,
                Some(0x8001_0000),
            )
        },
    ),
    (
        "reading_the_grant_region_faults_only_the_offender",
        |board| fault_only_the_offender(board, "fault_grant_region", Access::Load, None),
    ),
    ("stack_overflow_faults_only_the_offender", |board| {
        fault_only_the_offender(board, "fault_stack_overflow", Access::Store, None)
    }),
    ("reading_mmio_faults_only_the_offender", |board| {
        fault_only_the_offender(board, "fault_mmio", Access::Load, Some(0x1000_0005))
    }),
    (
        "writing_another_process_memory_faults_the_attacker",
        |board| attack_beside_guardian(board, "attack_write_other", Access::Store),
    ),
    ("writing_its_own_flash_faults_the_attacker", |board| {
        attack_beside_guardian(board, "attack_write_flash", Access::Store)
    }),
    ("jumping_into_kernel_memory_faults_the_attacker", |board| {
        attack_beside_guardian(board, "attack_jump_kernel", Access::Execute)
    }),
    (
        "allow_and_subscribe_with_outside_pointers_fail_with_inval",
        |board| single_app_passes(board, "bad_pointers", "bad_pointers: all checks passed"),
    ),
    (
        "garbage_syscalls_and_floods_leave_the_kernel_serving",
        |board| {
            let verdict = "bad_pointers: flood of garbage syscalls survived: PASS";
            single_app_passes(board, "bad_pointers", verdict)
        },
    ),
    ("every_return_variant_reaches_userspace_intact", |board| {
        single_app_passes(board, "return_variants", "return_variants: all intact")
    }),
    (
        "grant_exhaustion_in_one_process_leaves_another_working",
        grant_exhaustion_leaves_another_working,
    ),
    (
        "faulting_app_is_restarted_up_to_the_threshold_then_stopped",
        faulting_app_is_restarted_then_stopped,
    ),
    (
        "corrupted_tbf_is_skipped_and_the_others_run",
        corrupted_tbf_is_skipped,
    ),
    (
        "apps_survive_a_reboot_with_the_same_flash_file",
        apps_survive_a_reboot,
    ),
    (
        "process_console_list_shows_each_process_state",
        process_console_list_shows_each_state,
    ),
    (
        "serial_escape_sequence_presses_the_button_and_leds_print",
        button_press_and_led,
    ),
];

fn kernel_boots(board: &mut dyn Board) -> Result<()> {
    let image = install_apps(board, "boot", &["finisher"])?;
    let exit = run(board, &image)?;
    expect_lines(
        &exit,
        &[board.banner(), "[kernel] 1 processes loaded, 0 skipped"],
    )?;
    expect_exit(&exit, 0)
}

fn two_processes_interleave_output(board: &mut dyn Board) -> Result<()> {
    let image = install_apps(board, "interleave", &["hello_a", "hello_b", "finisher"])?;
    let exit = run(board, &image)?;
    expect_exit(&exit, 0)?;
    let mut lines = Vec::new();
    for app in ["hello_a", "hello_b"] {
        for line in 0..5 {
            lines.push(format!("{app}: line {line}"));
        }
        lines.push(format!("{app}: done"));
    }
    expect_lines(&exit, &lines.iter().map(String::as_str).collect::<Vec<_>>())?;
    // Interleaved: each process printed before the other finished.
    ensure!(
        position(&exit, "hello_a: line 0")? < position(&exit, "hello_b: done")?
            && position(&exit, "hello_b: line 0")? < position(&exit, "hello_a: done")?,
        "the two processes did not interleave:\n{}",
        exit.output
    );
    Ok(())
}

fn busy_loop_cannot_starve_another_process(board: &mut dyn Board) -> Result<()> {
    let image = install_apps(board, "preemption", &["spinner", "witness"])?;
    let exit = run(board, &image)?;
    expect_exit(&exit, 0)?;
    expect_lines(
        &exit,
        &[
            "spinner: spinning",
            "witness: ran beside the spinner, round 2",
        ],
    )?;
    ensure!(
        position(&exit, "spinner: spinning")? < position(&exit, "witness: ran beside")?,
        "the spinner must have been spinning before the witness ran:\n{}",
        exit.output
    );
    Ok(())
}

fn registers_survive(board: &mut dyn Board) -> Result<()> {
    let image = install_apps(board, "registers", &["spinner", "register_keeper"])?;
    let exit = run(board, &image)?;
    expect_lines(
        &exit,
        &[
            "spinner: spinning",
            "register_keeper: every register survived",
        ],
    )?;
    expect_exit(&exit, 0)
}

/// What the kernel prints when it faults `app` for `access` (at `address`).
fn fault_report(board: &dyn Board, app: &str, access: Access, address: Option<u64>) -> String {
    let cause = board.fault_cause(access);
    match address {
        Some(address) => {
            format!("[kernel] process {app} faulted: {cause} at address {address:#x}")
        }
        None => format!("[kernel] process {app} faulted: {cause}"),
    }
}

fn fault_only_the_offender(
    board: &mut dyn Board,
    offender: &str,
    access: Access,
    address: Option<u64>,
) -> Result<()> {
    let image = install_apps(board, offender, &["hello_a", offender, "finisher"])?;
    let exit = run(board, &image)?;
    expect_exit(&exit, 0)?;
    let report = fault_report(board, offender, access, address);
    let stopped = format!("[kernel] process {offender} stopped after fault");
    let mut lines = vec![report.as_str(), stopped.as_str()];
    lines.extend_from_slice(board.fault_report_lines());
    lines.push("hello_a: done");
    expect_lines(&exit, &lines)
}

/// Runs `attacker` beside the guardian (which checks its own memory every
/// round and ends the run with 0 once the attacker is gone, 2 if its
/// memory changed): the kernel must fault the attacker for `access`.
fn attack_beside_guardian(board: &mut dyn Board, attacker: &str, access: Access) -> Result<()> {
    let mut tbfs = vec![board.tbf("guardian")?, board.tbf(attacker)?];
    // The chain is in slot order.
    tbfs.sort_by_key(|tbf| super::image::fixed_tbf_address(tbf).unwrap_or(u64::MAX));
    let image = board.install(&format!("attack-{attacker}"), &tbfs)?;
    let exit = run(board, &image)?;
    let report = fault_report(board, attacker, access, None);
    let stopped = format!("[kernel] process {attacker} stopped after fault");
    expect_lines(&exit, &[&report, &stopped, "guardian: round 1 intact"])?;
    expect_exit(&exit, 0)
}

fn single_app_passes(board: &mut dyn Board, app: &str, verdict: &str) -> Result<()> {
    let image = install_apps(board, app, &[app])?;
    let exit = run(board, &image)?;
    expect_lines(&exit, &[verdict])?;
    expect_exit(&exit, 0)
}

fn grant_exhaustion_leaves_another_working(board: &mut dyn Board) -> Result<()> {
    let apps = ["hello_b", "grant_hog", "finisher"];
    let image = install_apps(board, "grant_exhaustion", &apps)?;
    let exit = run(board, &image)?;
    expect_exit(&exit, 0)?;
    expect_lines(
        &exit,
        &[
            "grant_hog: subscribe after exhaustion: NOMEM",
            "hello_b: done",
        ],
    )
}

fn faulting_app_is_restarted_then_stopped(board: &mut dyn Board) -> Result<()> {
    let image = install_apps(board, "restart", &["fault_kernel_ram", "finisher"])?;
    let exit = run(board, &image)?;
    expect_exit(&exit, 0)?;
    let starts = exit.output.matches("fault_kernel_ram: start").count();
    let restarts = exit
        .output
        .matches("[kernel] restarting process fault_kernel_ram")
        .count();
    ensure!(
        starts == RESTART_THRESHOLD + 1 && restarts == RESTART_THRESHOLD,
        "expected {} starts and {RESTART_THRESHOLD} restarts, saw {starts} and {restarts}:\n{}",
        RESTART_THRESHOLD + 1,
        exit.output
    );
    expect_lines(
        &exit,
        &["[kernel] process fault_kernel_ram stopped after fault"],
    )
}

fn corrupted_tbf_is_skipped(board: &mut dyn Board) -> Result<()> {
    let mut corrupted = board.tbf("hello_b")?;
    // A byte inside the header's TLVs: the checksum no longer matches.
    corrupted[20] ^= 0x5a;
    let tbfs = vec![board.tbf("hello_a")?, corrupted, board.tbf("finisher")?];
    let image = board.install("corrupted", &tbfs)?;
    let exit = run(board, &image)?;
    expect_exit(&exit, 0)?;
    // hello_b is linked for the second slot.
    let skipped = format!("[kernel] skipping app at {:#x}", slot_address(board, 1));
    expect_lines(&exit, &[&skipped, "hello_a: done"])?;
    ensure!(
        !exit.output.contains("hello_b: line"),
        "the corrupted app ran:\n{}",
        exit.output
    );
    Ok(())
}

fn apps_survive_a_reboot(board: &mut dyn Board) -> Result<()> {
    let image = install_apps(board, "reboot", &["hello_a", "finisher"])?;
    let loaded = format!("[kernel] loaded hello_a at {:#x}", slot_address(board, 0));
    for boot in 1..=2 {
        let exit = run(board, &image).with_context(|| format!("boot {boot}"))?;
        expect_exit(&exit, 0)?;
        expect_lines(&exit, &[&loaded, "hello_a: done"])
            .with_context(|| format!("boot {boot} with the same flash file"))?;
    }
    Ok(())
}

fn button_press_and_led(board: &mut dyn Board) -> Result<()> {
    let image = install_apps(board, "button", &["button_press"])?;
    let mut qemu = board.spawn(&image)?;
    qemu.expect("button_press: 1 button(s), waiting for button 0", TIMEOUT)?;
    qemu.send(b"\x1bB0")?;
    let exit = qemu.wait(TIMEOUT)?;
    expect_lines(
        &exit,
        &["button_press: button 0 changed, pressed = 1", "[led 0] on"],
    )?;
    expect_exit(&exit, 0)
}

fn process_console_list_shows_each_state(board: &mut dyn Board) -> Result<()> {
    let apps = ["hello_a", "spinner", "fault_kernel_ram", "finisher"];
    let image = install_apps(board, "process_console", &apps)?;
    let mut qemu = board.spawn(&image)?;
    // hello_a shows as Terminated once the kernel has reported its exit.
    let settled = [
        "hello_a: done",
        "[kernel] process hello_a exited with status 0",
        "[kernel] process fault_kernel_ram stopped after fault",
        "tock$ ",
    ];
    let all_there = |output: &str| settled.iter().all(|text| output.contains(text));
    if qemu
        .wait_until(TIMEOUT, |output| all_there(output).then_some(()))?
        .is_none()
    {
        return Err(qemu.failure(&format!("waited {TIMEOUT:?} for {settled:?}")));
    }
    qemu.send(b"list\r")?;
    let header = " PID    ShortID    Name                Quanta  Syscalls  Restarts  Grants  State";
    qemu.expect(header, TIMEOUT)?;
    // The rows follow the header; the finisher's is the last.
    let table = qemu.expect("finisher", TIMEOUT)? + &qemu.expect("\r\n", TIMEOUT)?;
    for (name, state) in [
        ("hello_a", "Terminated"),
        ("spinner", "Running"),
        ("fault_kernel_ram", "Faulted"),
        ("finisher", "Running"),
    ] {
        let line = table
            .lines()
            .find(|line| line.split_whitespace().nth(2) == Some(name))
            .with_context(|| format!("{name} is missing from `list`:\n{table}"))?;
        ensure!(
            line.trim_end().ends_with(state),
            "`list` shows {name} as {line:?}, expected {state}"
        );
    }
    // Ending the spinner lets the finisher end the run with status 0.
    qemu.send(b"terminate spinner\r")?;
    let exit = qemu.wait(TIMEOUT)?;
    expect_exit(&exit, 0)
}

/// A scenario's body: from the shared list, or the board's own.
enum Body<B> {
    Shared(fn(&mut dyn Board) -> Result<()>),
    OnlyHere(fn(&mut B) -> Result<()>),
}

/// Runs the shared scenarios and the board's own (`only_here`) whose
/// names contain `filter` (all without one). A scenario the board lists
/// as not applicable is reported with its reason instead of run.
pub fn run_all<B: Board>(
    board: &mut B,
    only_here: &[Scenario<B>],
    filter: Option<&str>,
) -> Result<()> {
    let area = board.area();
    let every: Vec<(&str, Body<B>)> = SCENARIOS
        .iter()
        .map(|(name, body)| (*name, Body::Shared(*body)))
        .chain(
            only_here
                .iter()
                .map(|(name, body)| (*name, Body::OnlyHere(*body))),
        )
        .collect();
    let selected: Vec<&(&str, Body<B>)> = every
        .iter()
        .filter(|(name, _)| filter.is_none_or(|filter| name.contains(filter)))
        .collect();
    if selected.is_empty() {
        let names: Vec<&str> = every.iter().map(|(name, _)| *name).collect();
        bail!("no {area} test matches {filter:?}; tests: {names:?}");
    }
    let mut failed = Vec::new();
    for (name, body) in selected {
        if let Some((_, reason)) = board.not_applicable().iter().find(|(n, _)| n == name) {
            println!("{area}: {name} ... not applicable: {reason}");
            continue;
        }
        let result = match body {
            Body::Shared(body) => body(board),
            Body::OnlyHere(body) => body(board),
        };
        match result {
            Ok(()) => println!("{area}: {name} ... ok"),
            Err(error) => {
                println!("{area}: {name} ... FAILED\n{error:#}");
                failed.push(*name);
            }
        }
    }
    ensure!(
        failed.is_empty(),
        "{area} tests failed: {}",
        failed.join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::areas::cortex_m::scenarios as mps2;
    use crate::areas::kernel::board as rv32;

    /// Every scenario either board knows, with the boards it runs on.
    fn every_name() -> Vec<&'static str> {
        SCENARIOS
            .iter()
            .map(|s| s.0)
            .chain(rv32::ONLY_HERE.iter().map(|s| s.0))
            .chain(mps2::ONLY_HERE.iter().map(|s| s.0))
            .collect()
    }

    #[test]
    fn every_left_out_scenario_exists_and_has_a_reason() {
        let names = every_name();
        for (name, reason) in rv32::NOT_APPLICABLE.iter().chain(mps2::NOT_APPLICABLE) {
            assert!(names.contains(name), "{name} is not a scenario");
            assert!(reason.len() > 20, "{name}: say why it does not apply");
        }
    }

    #[test]
    fn a_board_only_scenario_is_explained_on_the_other_board() {
        for (name, _) in rv32::ONLY_HERE {
            assert!(
                mps2::NOT_APPLICABLE.iter().any(|(n, _)| n == name),
                "{name}"
            );
        }
        for (name, _) in mps2::ONLY_HERE {
            assert!(
                rv32::NOT_APPLICABLE.iter().any(|(n, _)| n == name),
                "{name}"
            );
        }
    }

    #[test]
    fn every_shared_scenario_runs_on_at_least_one_board() {
        for (name, _) in SCENARIOS {
            let left_out = |list: &[NotApplicable]| list.iter().any(|(n, _)| n == name);
            assert!(
                !(left_out(rv32::NOT_APPLICABLE) && left_out(mps2::NOT_APPLICABLE)),
                "{name} runs nowhere"
            );
        }
    }

    #[test]
    fn names_are_unique() {
        let names = every_name();
        for name in &names {
            assert_eq!(names.iter().filter(|n| *n == name).count(), 1, "{name}");
        }
    }
}
