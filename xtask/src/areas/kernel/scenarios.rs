//! QEMU integration tests of the kernel on qemu-rv32-virt, each named for
//! the behaviour it proves. Every test boots the real kernel from a flash
//! file holding real test apps, waits with a timeout, and asserts on the
//! serial output and on QEMU's exit code (set by the test driver).

use super::image::{self, BOARD_ARGUMENTS};
use crate::context::Context;
use crate::qemu::{Machine, Qemu, QemuBuilder, QemuExit};
use anyhow::{bail, ensure, Context as _, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long any one boot may take before the test fails.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Restarts the board allows a faulting process (kernel default).
const RESTART_THRESHOLD: usize = 3;

/// Built kernel and packaged apps shared by the tests.
pub struct Bench {
    ctx: Context,
    kernel: PathBuf,
    apps_directory: PathBuf,
    packaged: HashMap<String, Vec<u8>>,
}

impl Bench {
    /// Builds the kernel and the apps (benchmark loops set to `iterations`).
    pub fn build(ctx: &Context, iterations: u32) -> Result<Bench> {
        Bench::build_with(ctx, iterations, &[])
    }

    /// [`Bench::build`] with more build-time settings for the apps.
    pub fn build_with(
        ctx: &Context,
        iterations: u32,
        settings: &[(&str, String)],
    ) -> Result<Bench> {
        let kernel = image::build_kernel(ctx)?;
        let apps_directory = image::build_apps(ctx, iterations, settings)?;
        Ok(Bench {
            ctx: ctx.clone(),
            kernel,
            apps_directory,
            packaged: HashMap::new(),
        })
    }

    /// The kernel ELF.
    pub fn kernel(&self) -> &Path {
        &self.kernel
    }

    /// The TBF of test app `name`.
    pub fn tbf(&mut self, name: &str) -> Result<Vec<u8>> {
        if let Some(tbf) = self.packaged.get(name) {
            return Ok(tbf.clone());
        }
        let tbf = image::package_app(&self.ctx, &self.apps_directory, name)?;
        self.packaged.insert(name.to_string(), tbf.clone());
        Ok(tbf)
    }

    /// Where test `test`'s flash file goes.
    pub fn flash_path(&self, test: &str) -> Result<PathBuf> {
        Ok(self
            .ctx
            .scratch_dir("kernel-tests")?
            .join(format!("{test}.pflash")))
    }

    /// A fresh flash file for test `test` with `apps` (slot order).
    pub fn flash(&mut self, test: &str, apps: &[&str]) -> Result<PathBuf> {
        let tbfs = apps
            .iter()
            .map(|app| self.tbf(app))
            .collect::<Result<Vec<_>>>()?;
        let flash = self.flash_path(test)?;
        image::write_flash_file(&flash, &self.kernel, &tbfs)?;
        Ok(flash)
    }
}

/// QEMU booting `flash` as qemu-rv32-virt.
pub fn board(flash: &Path) -> QemuBuilder {
    QemuBuilder::new(Machine::Rv32Virt)
        .pflash(0, flash)
        .args(BOARD_ARGUMENTS.iter().copied())
}

fn run(flash: &Path) -> Result<QemuExit> {
    board(flash).spawn()?.wait(TIMEOUT)
}

fn expect_exit(exit: &QemuExit, code: i32) -> Result<()> {
    ensure!(
        exit.code == code,
        "QEMU exited with {} instead of {code}; serial output:\n{}",
        exit.code,
        exit.output
    );
    Ok(())
}

fn expect_lines(exit: &QemuExit, lines: &[&str]) -> Result<()> {
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

/// One test: its name and body.
pub type Test = (&'static str, fn(&mut Bench) -> Result<()>);

/// Every test, in order.
pub const ALL: &[Test] = &[
    (
        "two_processes_interleave_output",
        two_processes_interleave_output,
    ),
    (
        "busy_loop_cannot_starve_another_process",
        busy_loop_cannot_starve_another_process,
    ),
    ("reading_kernel_memory_faults_only_the_offender", |bench| {
        fault_only_the_offender(
            bench,
            "fault_kernel_ram",
            "load access fault at address 0x80000000",
        )
    }),
    (
        "reading_another_process_memory_faults_only_the_offender",
        |bench| {
            fault_only_the_offender(
                bench,
                "fault_other_process",
                "load access fault at address 0x80010000",
            )
        },
    ),
    (
        "reading_the_grant_region_faults_only_the_offender",
        |bench| fault_only_the_offender(bench, "fault_grant_region", "load access fault"),
    ),
    ("stack_overflow_faults_only_the_offender", |bench| {
        fault_only_the_offender(bench, "fault_stack_overflow", "store access fault")
    }),
    ("reading_mmio_faults_only_the_offender", |bench| {
        fault_only_the_offender(
            bench,
            "fault_mmio",
            "load access fault at address 0x10000005",
        )
    }),
    (
        "allow_and_subscribe_with_outside_pointers_fail_with_inval",
        |bench| single_app_passes(bench, "bad_pointers", "bad_pointers: all checks passed"),
    ),
    (
        "garbage_syscalls_and_floods_leave_the_kernel_serving",
        |bench| {
            let verdict = "bad_pointers: flood of garbage syscalls survived: PASS";
            single_app_passes(bench, "bad_pointers", verdict)
        },
    ),
    ("every_return_variant_reaches_userspace_intact", |bench| {
        single_app_passes(bench, "return_variants", "return_variants: all intact")
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
    (
        "registers_survive_syscalls_and_preemption",
        registers_survive,
    ),
    (
        "kernel_flash_writes_persist_across_reboots",
        kernel_flash_writes_persist,
    ),
];

fn two_processes_interleave_output(bench: &mut Bench) -> Result<()> {
    let flash = bench.flash("interleave", &["hello_a", "hello_b", "finisher"])?;
    let exit = run(&flash)?;
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

fn busy_loop_cannot_starve_another_process(bench: &mut Bench) -> Result<()> {
    let flash = bench.flash("preemption", &["spinner", "witness"])?;
    let exit = run(&flash)?;
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

fn fault_only_the_offender(bench: &mut Bench, offender: &str, cause: &str) -> Result<()> {
    let flash = bench.flash(offender, &["hello_a", offender, "finisher"])?;
    let exit = run(&flash)?;
    expect_exit(&exit, 0)?;
    let report = format!("[kernel] process {offender} faulted: {cause}");
    let stopped = format!("[kernel] process {offender} stopped after fault");
    expect_lines(&exit, &[&report, &stopped, "hello_a: done"])
}

fn single_app_passes(bench: &mut Bench, app: &str, verdict: &str) -> Result<()> {
    let flash = bench.flash(app, &[app])?;
    let exit = run(&flash)?;
    expect_lines(&exit, &[verdict])?;
    expect_exit(&exit, 0)
}

fn grant_exhaustion_leaves_another_working(bench: &mut Bench) -> Result<()> {
    let flash = bench.flash("grant_exhaustion", &["hello_b", "grant_hog", "finisher"])?;
    let exit = run(&flash)?;
    expect_exit(&exit, 0)?;
    expect_lines(
        &exit,
        &[
            "grant_hog: subscribe after exhaustion: NOMEM",
            "hello_b: done",
        ],
    )
}

fn faulting_app_is_restarted_then_stopped(bench: &mut Bench) -> Result<()> {
    let flash = bench.flash("restart", &["fault_kernel_ram", "finisher"])?;
    let exit = run(&flash)?;
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

fn corrupted_tbf_is_skipped(bench: &mut Bench) -> Result<()> {
    let mut corrupted = bench.tbf("hello_b")?;
    // A byte inside the header's TLVs: the checksum no longer matches.
    corrupted[20] ^= 0x5a;
    let tbfs = vec![bench.tbf("hello_a")?, corrupted, bench.tbf("finisher")?];
    let flash = bench.flash_path("corrupted")?;
    image::write_flash_file(&flash, &bench.kernel, &tbfs)?;
    let exit = run(&flash)?;
    expect_exit(&exit, 0)?;
    expect_lines(
        &exit,
        &["[kernel] skipping app at 0x20050000", "hello_a: done"],
    )?;
    ensure!(
        !exit.output.contains("hello_b: line"),
        "the corrupted app ran:\n{}",
        exit.output
    );
    Ok(())
}

fn apps_survive_a_reboot(bench: &mut Bench) -> Result<()> {
    let flash = bench.flash("reboot", &["hello_a", "finisher"])?;
    for boot in 1..=2 {
        let exit = run(&flash).with_context(|| format!("boot {boot}"))?;
        expect_exit(&exit, 0)?;
        expect_lines(
            &exit,
            &["[kernel] loaded hello_a at 0x20040000", "hello_a: done"],
        )
        .with_context(|| format!("boot {boot} with the same flash file"))?;
    }
    Ok(())
}

fn button_press_and_led(bench: &mut Bench) -> Result<()> {
    let flash = bench.flash("button", &["button_press"])?;
    let mut qemu = spawn(&flash)?;
    qemu.expect("button_press: 1 button(s), waiting for button 0", TIMEOUT)?;
    qemu.send(b"\x1bB0")?;
    let exit = qemu.wait(TIMEOUT)?;
    expect_lines(
        &exit,
        &["button_press: button 0 changed, pressed = 1", "[led 0] on"],
    )?;
    expect_exit(&exit, 0)
}

fn registers_survive(bench: &mut Bench) -> Result<()> {
    let flash = bench.flash("registers", &["spinner", "register_keeper"])?;
    let exit = run(&flash)?;
    expect_lines(
        &exit,
        &[
            "spinner: spinning",
            "register_keeper: every register survived",
        ],
    )?;
    expect_exit(&exit, 0)
}

fn kernel_flash_writes_persist(bench: &mut Bench) -> Result<()> {
    let flash = bench.flash("flash_check", &["flash_check"])?;
    let first = run(&flash)?;
    expect_lines(
        &first,
        &["flash_check: erased, programmed and read back 0x7e57f1a5"],
    )?;
    expect_exit(&first, 0)?;
    // The file itself holds the marker at the start of the last block.
    let offset = crate::qemu::PFLASH_SIZE - 256 * 1024;
    let marker = crate::qemu::read_flash(&flash, offset, 4)?;
    ensure!(
        marker == 0x7e57_f1a5u32.to_le_bytes(),
        "the flash file holds {marker:02x?} where the kernel programmed the marker"
    );
    let second = run(&flash)?;
    expect_lines(
        &second,
        &["flash_check: marker persisted from the previous boot"],
    )?;
    expect_exit(&second, 0)
}

/// Polls QEMU's output until it holds every one of `texts`.
fn wait_for_all(qemu: &mut Qemu, texts: &[&str]) -> Result<String> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let output = qemu.output();
        if texts.iter().all(|text| output.contains(text)) {
            return Ok(output);
        }
        if std::time::Instant::now() >= deadline {
            bail!("waited {TIMEOUT:?} for {texts:?}; serial output:\n{output}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn process_console_list_shows_each_state(bench: &mut Bench) -> Result<()> {
    let apps = ["hello_a", "spinner", "fault_kernel_ram", "finisher"];
    let flash = bench.flash("process_console", &apps)?;
    let mut qemu = spawn(&flash)?;
    wait_for_all(
        &mut qemu,
        &[
            "hello_a: done",
            "[kernel] process fault_kernel_ram stopped after fault",
            "tock$ ",
        ],
    )?;
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

/// Runs the tests whose names contain `filter` (all without one).
pub fn run_all(bench: &mut Bench, filter: Option<&str>) -> Result<()> {
    let selected: Vec<&Test> = ALL
        .iter()
        .filter(|(name, _)| filter.is_none_or(|filter| name.contains(filter)))
        .collect();
    if selected.is_empty() {
        bail!(
            "no kernel test matches {filter:?}; tests: {:?}",
            ALL.iter().map(|t| t.0).collect::<Vec<_>>()
        );
    }
    let mut failed = Vec::new();
    for (name, test) in selected {
        match test(bench) {
            Ok(()) => println!("kernel: {name} ... ok"),
            Err(error) => {
                println!("kernel: {name} ... FAILED\n{error:#}");
                failed.push(*name);
            }
        }
    }
    ensure!(
        failed.is_empty(),
        "kernel tests failed: {}",
        failed.join(", ")
    );
    Ok(())
}

/// Boots `flash` and returns the running QEMU (for interactive tests).
pub fn spawn(flash: &Path) -> Result<Qemu> {
    board(flash).spawn()
}
