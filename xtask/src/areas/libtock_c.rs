//! The libtock-c area (owner: libtock-c's author): the C userspace library
//! and its examples.
//!
//! Steps (a sub-filter picks one step, or one example by name):
//! - `abi`: `libtock-c/libtock/tock_abi.h` equals what `kernel-abi` renders
//!   (`cargo test -p libtock-c-abi-header`);
//! - `host`: libtock's result decoders, every return variant through every
//!   converter, compiled with the host C compiler against a fake kernel;
//! - `build`: every example under `apps/c` built with `make WERROR=1` for
//!   every target of `libtock-c/Configuration.mk`, packaged by our `tbf`,
//!   and each TAB checked to hold one TBF per target; an app too big for
//!   its slot must fail to build, and `APP_VERSION`/`SIGNING_KEY` must
//!   reach the image (`libtock_c/app_makefile.rs`);
//! - `fake`: every example on the fake kernel (console, alarm, memop, exit;
//!   other drivers missing, so those examples must report ENODEVICE) in
//!   QEMU on RV32 and Cortex-M4/M0, output and exit code asserted; an image
//!   placed in the wrong slot must stop with crt0's wrong-address code; and
//!   a position-independent (r9) Cortex-M app must run relocated;
//! - `qemu`: every example booted alone on qemu-rv32-virt, its flash set
//!   up as `cargo xtask qemu --tab` does (`kernel::board_with_tabs`), its
//!   console output asserted by the shared runner (`qemu::console`).
//!
//! Every step runs even when an earlier one failed; the area fails if any
//! did, listing each failure. Built files go under the target directory.

mod app_makefile;
mod fake_kernel;

use super::libtock_rs::build_packager;
use super::Area;
use crate::cmd;
use crate::context::Context;
use crate::qemu::console::{self, ConsoleScript};
use anyhow::{bail, ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The libtock-c area in the registry.
pub const AREA: Area = Area {
    name: "libtock-c",
    about:
        "libtock-c: ABI header vs kernel-abi, decoders, examples built (-Werror) and run in QEMU",
    tests,
    bench: None,
    device_crates: &[],
};

/// One example under `apps/c` and what its run must print, in order. Each
/// step lists alternatives: a board without a driver makes the example
/// report the negative code instead, which is a pass (it did not hang).
struct Example {
    name: &'static str,
    expected: &'static [&'static [&'static str]],
    /// Whether it runs on the fake kernel (which lacks LEDs, buttons, rng,
    /// kv, sha and hmac: those examples must report ENODEVICE there).
    on_fake_kernel: bool,
}

const EXAMPLES: &[Example] = &[
    Example {
        name: "c_hello",
        expected: &[&["Hello, World!"]],
        on_fake_kernel: true,
    },
    Example {
        name: "syscall_conformance",
        expected: &[
            &["conformance: start"],
            &["conformance: result passed="],
            &[" failed=0\n"],
        ],
        on_fake_kernel: true,
    },
    Example {
        name: "timer",
        expected: &[&["timer: tick 3"], &["timer: ok"]],
        on_fake_kernel: true,
    },
    Example {
        name: "rng",
        expected: &[&["rng: ok", "rng: no rng (ENODEVICE)"]],
        on_fake_kernel: true,
    },
    Example {
        name: "blink",
        expected: &[&["blink: done", "blink: no leds (ENODEVICE)"]],
        on_fake_kernel: true,
    },
    Example {
        name: "buttons",
        expected: &[&[" buttons\n", "buttons: no buttons (ENODEVICE)"]],
        on_fake_kernel: true,
    },
    Example {
        name: "kv",
        // The board's flash-backed key-value store must answer; the fake
        // kernel has none.
        expected: &[&["kv: ok"]],
        on_fake_kernel: false,
    },
    Example {
        name: "rtc",
        // The board's date-time driver (QEMU's goldfish RTC) must answer:
        // read, set, read back, an impossible date refused; the fake kernel
        // has none.
        expected: &[&["rtc: ok"]],
        on_fake_kernel: false,
    },
    Example {
        name: "sha_hmac",
        // The board's SHA and HMAC drivers must answer, with the FIPS 180-2
        // and RFC 4231 digests the app checks; the fake kernel has neither.
        expected: &[&["sha: ok"], &["hmac: ok"]],
        on_fake_kernel: false,
    },
];

/// The board the examples run on.
const BOARD: &str = "qemu-rv32-virt";

/// Every TBF a TAB must hold: one per `Configuration.mk` target.
const TARGET_IMAGES: &[&str] = &[
    "rv32imac.0x20040080.0x80010000.tbf",
    "rv32imac.0x20050080.0x80020000.tbf",
    "rv32imac.0x20060080.0x80030000.tbf",
    "rv32imac.0x20070080.0x80040000.tbf",
    "cortex-m0.0x00040080.0x20008000.tbf",
    "cortex-m4.0x00040080.0x20008000.tbf",
];

/// The steps and examples a sub-filter selects.
struct Selection {
    steps: Vec<&'static str>,
    examples: Vec<&'static Example>,
}

impl Selection {
    fn from_filter(filter: Option<&str>) -> Result<Selection> {
        const STEPS: &[&str] = &["abi", "host", "build", "fake", "qemu"];
        let all_examples = || EXAMPLES.iter().collect::<Vec<_>>();
        match filter {
            None => Ok(Selection {
                steps: STEPS.to_vec(),
                examples: all_examples(),
            }),
            Some(name) if STEPS.contains(&name) => Ok(Selection {
                steps: STEPS.iter().copied().filter(|step| *step == name).collect(),
                examples: all_examples(),
            }),
            Some(name) => match EXAMPLES.iter().find(|example| example.name == name) {
                Some(example) => Ok(Selection {
                    steps: vec!["build", "fake", "qemu"],
                    examples: vec![example],
                }),
                None => bail!(
                    "libtock-c:{name}: no such step or example; steps: {}; examples: {}",
                    STEPS.join(", "),
                    EXAMPLES
                        .iter()
                        .map(|e| e.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        }
    }

    fn runs(&self, step: &str) -> bool {
        self.steps.contains(&step)
    }
}

/// Runs the selected steps; fails listing every failed check.
pub fn tests(ctx: &Context) -> Result<()> {
    let selection = Selection::from_filter(ctx.filter.as_deref())?;
    let mut failures: Vec<String> = Vec::new();
    let mut record = |what: &str, result: Result<()>| match result {
        Ok(()) => println!("libtock-c: {what}: ok"),
        Err(error) => {
            eprintln!("libtock-c: {what}: FAILED: {error:#}");
            failures.push(format!("{what}: {error:#}"));
        }
    };
    if selection.runs("abi") {
        record("abi header matches kernel-abi", check_abi_header(ctx));
    }
    if selection.runs("host") {
        record("host decoder test", run_host_decoders(ctx));
    }
    let mut tabs = Vec::new();
    if ["build", "fake", "qemu"]
        .iter()
        .any(|step| selection.runs(step))
    {
        match build_packager(ctx) {
            Ok(tbf) => {
                for example in &selection.examples {
                    let built = build_example(ctx, &tbf, example.name);
                    if let Ok(tab) = &built {
                        tabs.push((*example, tab.clone()));
                    }
                    record(&format!("build {}", example.name), built.map(|_| ()));
                }
                if selection.runs("build") {
                    record(
                        "an app bigger than its slot fails to build",
                        app_makefile::an_app_bigger_than_its_slot_fails_to_build(ctx, &tbf),
                    );
                    record(
                        "APP_VERSION and SIGNING_KEY reach the image",
                        app_makefile::version_and_signing_key_reach_the_image(ctx, &tbf),
                    );
                }
            }
            Err(error) => record("build the tbf packager", Err(error)),
        }
    }
    if selection.runs("fake") {
        match fake_kernel::build(ctx) {
            Ok(kernels) => {
                run_fake_kernel_checks(ctx, &kernels, &tabs, &mut record);
                for cpu in [fake_kernel::Cpu::CortexM4, fake_kernel::Cpu::CortexM0] {
                    record(
                        &format!("a position-independent app runs relocated ({})", cpu.name()),
                        run_pic_app(ctx, &kernels, cpu),
                    );
                }
            }
            Err(error) => record("build the fake kernels", Err(error)),
        }
    }
    if selection.runs("qemu") {
        match super::kernel::image::build_kernel(ctx) {
            Ok(kernel) => {
                for (example, tab) in &tabs {
                    record(
                        &format!("run {} on {BOARD}", example.name),
                        run_example(ctx, &kernel, example, tab),
                    );
                }
            }
            Err(error) => record(&format!("build the {BOARD} kernel"), Err(error)),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        bail!(
            "{} libtock-c check(s) failed:\n- {}",
            failures.len(),
            failures.join("\n- ")
        )
    }
}

/// `cargo test -p libtock-c-abi-header`: the checked-in header is what
/// kernel-abi renders.
fn check_abi_header(ctx: &Context) -> Result<()> {
    let mut command = ctx.cargo("test")?;
    command.args(["-q", "-p", "libtock-c-abi-header"]);
    cmd::run(&mut command)
}

fn scratch(ctx: &Context) -> Result<PathBuf> {
    ctx.scratch_dir("libtock-c")
}

/// Compiles `libtock-c/tests/host_decoders.c` with libtock's `tock.c` for
/// the host and runs it.
fn run_host_decoders(ctx: &Context) -> Result<()> {
    let libtock_c = ctx.workspace.join("libtock-c");
    let binary = scratch(ctx)?.join("host_decoders");
    let mut compile = Command::new("cc");
    compile
        .args(["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(&libtock_c)
        .arg("-o")
        .arg(&binary)
        .arg(libtock_c.join("tests/host_decoders.c"))
        .arg(libtock_c.join("libtock/tock.c"));
    cmd::output(&mut compile).context("compiling the host decoder test (is `cc` installed?)")?;
    let report = cmd::output(&mut Command::new(&binary))?;
    print!("{report}");
    Ok(())
}

/// `make WERROR=1` in `apps/c/<name>`, output under the target directory;
/// returns the TAB after checking it holds every target's TBF.
pub(crate) fn build_example(ctx: &Context, tbf: &Path, name: &str) -> Result<PathBuf> {
    let scratch = scratch(ctx)?;
    let build_dir = scratch.join("apps").join(name);
    let mut make = Command::new("make");
    make.arg("-C")
        .arg(ctx.workspace.join("apps/c").join(name))
        .args(["-j2", "WERROR=1", "PACKAGER=tbf"])
        .arg(format!("TBF={}", tbf.display()))
        .arg(format!("BUILD_DIR={}", build_dir.display()))
        .arg(format!(
            "LIBTOCK_BUILD_DIR={}",
            scratch.join("library").display()
        ));
    cmd::output(&mut make).with_context(|| {
        format!("make in apps/c/{name} (run `cargo xtask setup` if a cross compiler is missing)")
    })?;
    let tab = build_dir.join(format!("{name}.tab"));
    let listing = cmd::output(Command::new("tar").arg("-tf").arg(&tab))?;
    let missing: Vec<&str> = TARGET_IMAGES
        .iter()
        .copied()
        .filter(|image| !listing.lines().any(|line| line == *image))
        .collect();
    ensure!(
        missing.is_empty(),
        "{} lacks {}; it holds:\n{listing}",
        tab.display(),
        missing.join(", ")
    );
    Ok(tab)
}

/// Every example the fake kernel supports on every CPU, and the
/// wrong-slot check.
fn run_fake_kernel_checks(
    ctx: &Context,
    kernels: &fake_kernel::FakeKernels,
    tabs: &[(&'static Example, PathBuf)],
    record: &mut impl FnMut(&str, Result<()>),
) {
    for (example, tab) in tabs.iter().filter(|(example, _)| example.on_fake_kernel) {
        for cpu in fake_kernel::Cpu::ALL {
            let result =
                fake_kernel::run(ctx, kernels, cpu, tab, cpu.image(), true).and_then(|output| {
                    let script = ConsoleScript::steps(example.name, example.expected);
                    console::check_transcript(&script, &output)
                        .with_context(|| format!("console:\n{output}"))
                });
            record(
                &format!("run {} on the fake kernel ({})", example.name, cpu.name()),
                result,
            );
        }
    }
    if let Some((_, tab)) = tabs.first() {
        let image = fake_kernel::SECOND_SLOT_IMAGE;
        let result = fake_kernel::run(ctx, kernels, fake_kernel::Cpu::Rv32imac, tab, image, false)
            .and_then(|output| {
                ensure!(
                    output.contains(fake_kernel::WRONG_SLOT_EXIT),
                    "expected {:?}; console:\n{output}",
                    fake_kernel::WRONG_SLOT_EXIT
                );
                Ok(())
            });
        record("an image in the wrong slot stops", result);
    }
}

/// Builds the r9-PIC test app for `cpu`, runs it at the fake kernel's
/// address (not the one it was linked for) and expects "pic: ok".
fn run_pic_app(
    ctx: &Context,
    kernels: &fake_kernel::FakeKernels,
    cpu: fake_kernel::Cpu,
) -> Result<()> {
    let tbf = build_packager(ctx)?;
    let tab = fake_kernel::build_pic_app(ctx, &tbf, cpu)?;
    let output = fake_kernel::run(ctx, kernels, cpu, &tab, &cpu.pic_image(), true)?;
    ensure!(
        output.contains("pic: relocated\n") && output.contains("pic: ok\n"),
        "the relocated app did not report success; console:\n{output}"
    );
    Ok(())
}

/// Boots `tab` alone on a fresh flash file with the built `kernel` and
/// judges its console with the shared example runner.
fn run_example(ctx: &Context, kernel: &Path, example: &Example, tab: &Path) -> Result<()> {
    let flash = scratch(ctx)?.join(format!("{}.flash", example.name));
    if flash.exists() {
        std::fs::remove_file(&flash).with_context(|| format!("removing {}", flash.display()))?;
    }
    let board = super::kernel::board_with_tabs(ctx, kernel, &flash, &[tab.to_path_buf()])?;
    let script = ConsoleScript::steps(example.name, example.expected);
    console::run_example(&mut board.spawn()?, &script)
}
