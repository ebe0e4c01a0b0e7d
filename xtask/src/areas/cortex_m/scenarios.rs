//! QEMU integration tests of the kernel on mps2-an386, the same behaviours
//! as on qemu-rv32-virt (`areas/kernel/scenarios.rs`), each named for what
//! it proves. Every test boots the real kernel with real test apps built
//! for Thumb-2, waits with a timeout, and asserts on the serial output and
//! on QEMU's exit code (set by the test driver through semihosting).

use super::image;
use crate::context::Context;
use crate::qemu::{Qemu, QemuExit};
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
        let kernel = image::build_kernel(ctx)?;
        let apps_directory = image::build_apps(ctx, iterations)?;
        Ok(Bench {
            ctx: ctx.clone(),
            kernel,
            apps_directory,
            packaged: HashMap::new(),
        })
    }

    /// The context the bench was built in.
    pub fn context(&self) -> &Context {
        &self.ctx
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

    /// Writes the app image for test `test` from TBFs and returns its path.
    pub fn image_of(&self, test: &str, tbfs: &[Vec<u8>]) -> Result<PathBuf> {
        let path = self
            .ctx
            .scratch_dir("cortex-m-tests")?
            .join(format!("{test}.apps.bin"));
        std::fs::write(&path, image::app_image(tbfs)?)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// The app image for test `test` with `apps` (slot order).
    pub fn apps(&mut self, test: &str, apps: &[&str]) -> Result<PathBuf> {
        let tbfs = apps
            .iter()
            .map(|app| self.tbf(app))
            .collect::<Result<Vec<_>>>()?;
        self.image_of(test, &tbfs)
    }

    /// Boots the kernel with the app image `apps`, serial on stdio.
    pub fn spawn(&self, apps: &Path) -> Result<Qemu> {
        image::board(&self.kernel, Some(apps)).spawn()
    }

    pub(super) fn run(&self, apps: &Path) -> Result<QemuExit> {
        self.spawn(apps)?.wait(TIMEOUT)
    }
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
    // The fault apps aim at qemu-rv32-virt's addresses (kernel RAM at
    // 0x8000_0000, the first slot's RAM at 0x8001_0000, the UART at
    // 0x1000_0005); none is mapped for a process on mps2 either, so the
    // MPU refuses each with DACCVIOL and MMFAR holds the address.
    ("reading_outside_memory_faults_only_the_offender", |bench| {
        fault_only_the_offender(
            bench,
            "fault_kernel_ram",
            "data access fault at address 0x80000000",
        )
    }),
    (
        "reading_the_grant_region_faults_only_the_offender",
        |bench| fault_only_the_offender(bench, "fault_grant_region", "data access fault"),
    ),
    ("stack_overflow_faults_only_the_offender", |bench| {
        fault_only_the_offender(bench, "fault_stack_overflow", "data access fault")
    }),
    (
        "writing_another_process_memory_faults_the_attacker",
        |bench| attack_beside_guardian(bench, "attack_write_other", "data access fault"),
    ),
    ("writing_its_own_flash_faults_the_attacker", |bench| {
        attack_beside_guardian(bench, "attack_write_flash", "data access fault")
    }),
    ("jumping_into_kernel_memory_faults_the_attacker", |bench| {
        attack_beside_guardian(bench, "attack_jump_kernel", "instruction access fault")
    }),
    (
        "allow_and_subscribe_with_outside_pointers_fail_with_inval",
        |bench| single_app_passes(bench, "bad_pointers", "bad_pointers: all checks passed"),
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
        "serial_escape_sequence_presses_the_button_and_leds_print",
        button_press_and_led,
    ),
    (
        "process_console_list_shows_each_process_state",
        process_console_list_shows_each_state,
    ),
    (
        "loader_installs_apps_into_the_board_image_offline",
        loader_installs_apps_offline,
    ),
    (
        "libtock_rs_examples_run_with_their_output",
        super::userspace::libtock_rs_examples,
    ),
    (
        "libtock_c_examples_run_with_their_output",
        super::userspace::libtock_c_examples,
    ),
];

fn kernel_boots(bench: &mut Bench) -> Result<()> {
    let apps = bench.apps("boot", &["finisher"])?;
    let exit = bench.run(&apps)?;
    expect_lines(
        &exit,
        &[
            "mps2-an386: kernel booting",
            "[kernel] 1 processes loaded, 0 skipped",
        ],
    )?;
    expect_exit(&exit, 0)
}

fn two_processes_interleave_output(bench: &mut Bench) -> Result<()> {
    let apps = bench.apps("interleave", &["hello_a", "hello_b", "finisher"])?;
    let exit = bench.run(&apps)?;
    expect_exit(&exit, 0)?;
    let mut lines = Vec::new();
    for app in ["hello_a", "hello_b"] {
        for line in 0..5 {
            lines.push(format!("{app}: line {line}"));
        }
        lines.push(format!("{app}: done"));
    }
    expect_lines(&exit, &lines.iter().map(String::as_str).collect::<Vec<_>>())?;
    ensure!(
        position(&exit, "hello_a: line 0")? < position(&exit, "hello_b: done")?
            && position(&exit, "hello_b: line 0")? < position(&exit, "hello_a: done")?,
        "the two processes did not interleave:\n{}",
        exit.output
    );
    Ok(())
}

fn busy_loop_cannot_starve_another_process(bench: &mut Bench) -> Result<()> {
    let apps = bench.apps("preemption", &["spinner", "witness"])?;
    let exit = bench.run(&apps)?;
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

fn registers_survive(bench: &mut Bench) -> Result<()> {
    let apps = bench.apps("registers", &["spinner", "register_keeper"])?;
    let exit = bench.run(&apps)?;
    expect_lines(
        &exit,
        &[
            "spinner: spinning",
            "register_keeper: every register survived",
        ],
    )?;
    expect_exit(&exit, 0)
}

fn fault_only_the_offender(bench: &mut Bench, offender: &str, cause: &str) -> Result<()> {
    let apps = bench.apps(offender, &["hello_a", offender, "finisher"])?;
    let exit = bench.run(&apps)?;
    expect_exit(&exit, 0)?;
    let report = format!("[kernel] process {offender} faulted: {cause}");
    let stopped = format!("[kernel] process {offender} stopped after fault");
    expect_lines(&exit, &[&report, &stopped, "CFSR", "hello_a: done"])
}

/// Runs `attacker` beside the guardian (which checks its own memory every
/// round and ends the run with 0 once the attacker is gone, 2 if its
/// memory changed): the MPU must fault the attacker with `cause`.
fn attack_beside_guardian(bench: &mut Bench, attacker: &str, cause: &str) -> Result<()> {
    let mut tbfs = vec![bench.tbf("guardian")?, bench.tbf(attacker)?];
    // The chain is in slot order.
    tbfs.sort_by_key(|tbf| crate::areas::kernel::image::fixed_tbf_address(tbf).unwrap_or(u64::MAX));
    let apps = bench.image_of(&format!("attack-{attacker}"), &tbfs)?;
    let exit = bench.run(&apps)?;
    let report = format!("[kernel] process {attacker} faulted: {cause}");
    let stopped = format!("[kernel] process {attacker} stopped after fault");
    expect_lines(&exit, &[&report, &stopped, "guardian: round 1 intact"])?;
    expect_exit(&exit, 0)
}

fn single_app_passes(bench: &mut Bench, app: &str, verdict: &str) -> Result<()> {
    let apps = bench.apps(app, &[app])?;
    let exit = bench.run(&apps)?;
    expect_lines(&exit, &[verdict])?;
    expect_exit(&exit, 0)
}

fn grant_exhaustion_leaves_another_working(bench: &mut Bench) -> Result<()> {
    let apps = bench.apps("grant_exhaustion", &["hello_b", "grant_hog", "finisher"])?;
    let exit = bench.run(&apps)?;
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
    let apps = bench.apps("restart", &["fault_kernel_ram", "finisher"])?;
    let exit = bench.run(&apps)?;
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
    let apps = bench.image_of("corrupted", &tbfs)?;
    let exit = bench.run(&apps)?;
    expect_exit(&exit, 0)?;
    expect_lines(
        &exit,
        &["[kernel] skipping app at 0x50000", "hello_a: done"],
    )?;
    ensure!(
        !exit.output.contains("hello_b: line"),
        "the corrupted app ran:\n{}",
        exit.output
    );
    Ok(())
}

fn button_press_and_led(bench: &mut Bench) -> Result<()> {
    let apps = bench.apps("button", &["button_press"])?;
    let mut qemu = bench.spawn(&apps)?;
    qemu.expect("button_press: 1 button(s), waiting for button 0", TIMEOUT)?;
    qemu.send(b"\x1bB0")?;
    let exit = qemu.wait(TIMEOUT)?;
    expect_lines(
        &exit,
        &["button_press: button 0 changed, pressed = 1", "[led 0] on"],
    )?;
    expect_exit(&exit, 0)
}

/// mps2's app image is a flash file whose offset 0 is address 0x4_0000:
/// our loader installs into it offline (`--flash-file`), and the kernel
/// finds and runs what it wrote.
fn loader_installs_apps_offline(bench: &mut Bench) -> Result<()> {
    let ctx = bench.context().clone();
    let mut cargo = ctx.cargo("build")?;
    cargo.args(["-q", "-p", "loader-cli", "--bin", "loader"]);
    crate::cmd::output(&mut cargo).context("building the loader")?;
    let loader = ctx.target_dir.join("debug").join("loader");
    let directory = ctx.scratch_dir("cortex-m-loader")?;
    let apps = directory.join("apps.bin");
    std::fs::write(&apps, vec![0xFF; LOADER_IMAGE_BYTES])?;
    let mut tbfs = Vec::new();
    for name in ["hello_a", "finisher"] {
        let tbf = directory.join(format!("{name}.tbf"));
        std::fs::write(&tbf, bench.tbf(name)?)?;
        tbfs.push(tbf);
    }
    let address = format!("{:#x}", image::APP_FLASH_ADDRESS);
    let on_image = |command: &mut std::process::Command| {
        command
            .arg("--flash-file")
            .arg(&apps)
            .args(["--flash-address", &address, "--app-address", &address])
            .args(["--arch", "cortex-m4"]);
    };
    let mut install = std::process::Command::new(&loader);
    install.args(["install", "-q"]).args(&tbfs);
    on_image(&mut install);
    crate::cmd::output(&mut install).context("installing into the mps2 image")?;
    let mut list = std::process::Command::new(&loader);
    list.arg("list");
    on_image(&mut list);
    let listing = crate::cmd::output(&mut list)?;
    ensure!(
        listing.contains("hello_a") && listing.contains("finisher"),
        "`loader list` does not show both apps:\n{listing}"
    );
    let exit = bench.run(&apps)?;
    expect_lines(
        &exit,
        &[
            "[kernel] loaded hello_a at 0x40000",
            "[kernel] 2 processes loaded",
            "hello_a: done",
        ],
    )?;
    expect_exit(&exit, 0)
}

/// Size of the erased image the loader test installs into: 2 MiB holds
/// every test-app slot it uses (the board's app flash is 3.75 MiB).
const LOADER_IMAGE_BYTES: usize = 2 * 1024 * 1024;

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
    let names = ["hello_a", "spinner", "fault_kernel_ram", "finisher"];
    let apps = bench.apps("process_console", &names)?;
    let mut qemu = bench.spawn(&apps)?;
    wait_for_all(
        &mut qemu,
        &[
            "[kernel] process hello_a exited with status 0",
            "[kernel] process fault_kernel_ram stopped after fault",
            "tock$ ",
        ],
    )?;
    qemu.send(b"list\r")?;
    let header = " PID    ShortID    Name                Quanta  Syscalls  Restarts  Grants  State";
    qemu.expect(header, TIMEOUT)?;
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
            "no cortex-m test matches {filter:?}; tests: {:?}",
            ALL.iter().map(|t| t.0).collect::<Vec<_>>()
        );
    }
    let mut failed = Vec::new();
    for (name, test) in selected {
        match test(bench) {
            Ok(()) => println!("cortex-m: {name} ... ok"),
            Err(error) => {
                println!("cortex-m: {name} ... FAILED\n{error:#}");
                failed.push(*name);
            }
        }
    }
    ensure!(
        failed.is_empty(),
        "cortex-m tests failed: {}",
        failed.join(", ")
    );
    Ok(())
}
