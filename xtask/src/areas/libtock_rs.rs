//! The libtock-rs area (owner: libtock-rs's author): the Rust userspace
//! library, its fake kernel and its example apps.
//!
//! Steps (a sub-filter picks one step, or one example by name):
//! - `host`: `cargo test` of platform, unittest, every API crate,
//!   `libtock` and the examples' shared logic (against the fake kernel);
//! - `build`: the runtime built for riscv32imac, thumbv7em and thumbv6m,
//!   and the examples linked for the nRF52840-DK on both Cortex-M targets;
//!   every example built for qemu-rv32-virt and packaged by our `tbf pack`
//!   (elf2tab's flags), each TAB checked to hold its TBF, and hello's and
//!   blink's TBFs checked byte-identical to upstream elf2tab's;
//! - `qemu`: every example booted alone on qemu-rv32-virt, its flash set
//!   up as `cargo xtask qemu --tab` does (`kernel::board_with_tabs`), its
//!   console lines asserted in order by the shared runner (`qemu::console`).
//!
//! Every step runs even when an earlier one failed; the area fails if any
//! did, listing each failure. Built files go under the target directory.
//! `bench` records `libtock_rs.hello_tbf_bytes` and `libtock_rs.blink_tbf_bytes`.

use super::{kernel, targets, Area, DeviceCrate};
use crate::bench::Figures;
use crate::context::Context;
use crate::qemu::console::{self, ConsoleScript};
use crate::{cmd, tools};
use anyhow::{bail, ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The libtock-rs area in the registry.
pub const AREA: Area = Area {
    name: "libtock-rs",
    about: "libtock-rs: API crates vs the fake kernel, runtime and examples built into TABs, run in QEMU",
    tests,
    bench: Some(bench),
    device_crates: &[
        DeviceCrate {
            package: "libtock-runtime",
            targets: &[targets::RISCV32IMAC, targets::THUMBV7EM, targets::THUMBV6M],
        },
        DeviceCrate {
            package: "libtock-examples",
            targets: &[targets::RISCV32IMAC],
        },
    ],
};

/// The host crates of libtock-rs.
const HOST_CRATES: &[&str] = &[
    "libtock-platform",
    "libtock-unittest",
    "libtock",
    "libtock-alarm",
    "libtock-console",
    "libtock-leds",
    "libtock-buttons",
    "libtock-gpio",
    "libtock-rng",
    "libtock-low-level-debug",
    "libtock-key-value",
    "libtock-sha",
    "libtock-hmac",
    "libtock-aes",
    "libtock-usb-keyboard-hid",
    "libtock-ctap",
    "libtock-process-info",
    "libtock-date-time",
    "libtock-examples",
];

/// Must equal `TBF_HEADER_SIZE` in the runtime's layouts
/// (`libtock-rs/runtime/layouts/`).
const PROTECTED_REGION_SIZE: &str = "96";
/// What the kernel prints when a process ends with status 0.
const EXITED_OK: &str = "exited with status 0";

/// One example binary: its package name in the TBF (at most 16 bytes, so
/// the header fits the 96-byte protected region), its stack (as in its
/// `stack_size!`), and the lines its run must print, in order.
struct Example {
    binary: &'static str,
    package: &'static str,
    stack: u32,
    expected: &'static [&'static str],
    /// Typed on the console once the first expected line has appeared.
    input: &'static [u8],
    /// `--app-heap` (elf2tab's default is 1024).
    heap: u32,
}

const EXAMPLES: &[Example] = &[
    Example {
        binary: "hello",
        package: "hello",
        stack: 0x400,
        expected: &["Hello, World!", EXITED_OK],
        input: b"",
        heap: 1024,
    },
    Example {
        binary: "blink",
        package: "blink",
        stack: 0x400,
        expected: &[],
        input: b"",
        heap: 1024,
    },
    Example {
        binary: "console_echo",
        package: "console_echo",
        stack: 0x400,
        expected: &["echo: ready", "echo: bye", EXITED_OK],
        input: b"hi\rquit\r",
        heap: 1024,
    },
    Example {
        binary: "timer",
        package: "timer",
        stack: 0x800,
        expected: &["timer: tick 1", "timer: tick 3", "timer: ok", EXITED_OK],
        input: b"",
        heap: 1024,
    },
    Example {
        binary: "rng",
        package: "rng",
        stack: 0x800,
        expected: &["rng: ok", EXITED_OK],
        input: b"",
        heap: 1024,
    },
    Example {
        binary: "syscall_conformance",
        package: "conformance",
        stack: 0x800,
        expected: &["conformance: PASS", "conformance: ok ", EXITED_OK],
        input: b"",
        heap: 1024,
    },
    Example {
        binary: "runtime_check",
        package: "runtime_check",
        stack: 0x1000,
        expected: &[
            "runtime_check: data ok",
            "runtime_check: bss ok",
            "runtime_check: stack ok",
            "runtime_check: heap ok",
            "runtime_check: ok",
            EXITED_OK,
        ],
        input: b"",
        heap: 8192,
    },
];

/// Every libtock-rs test beyond the workspace lint.
pub fn tests(ctx: &Context) -> Result<()> {
    let filter = ctx.filter.as_deref();
    let runs = |step: &str| filter.is_none_or(|f| f == step);
    let only_example = filter.filter(|f| EXAMPLES.iter().any(|e| e.binary == *f));
    let mut failures = Vec::new();
    let mut record = |what: String, result: Result<()>| {
        if let Err(error) = result {
            println!("FAILED: {what}: {error:#}");
            failures.push(what);
        }
    };
    if runs("host") {
        record("host tests".into(), host_tests(ctx));
    }
    if runs("build") || runs("qemu") || only_example.is_some() {
        record("runtime for every target".into(), build_runtime(ctx));
        match build_and_package(ctx) {
            Ok(tabs) => {
                if runs("build") {
                    record("TBFs equal elf2tab's".into(), compare_with_elf2tab(ctx));
                }
                if runs("qemu") || only_example.is_some() {
                    run_examples(ctx, &tabs, only_example, &mut record);
                }
            }
            Err(error) => record("examples built and packaged".into(), Err(error)),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        bail!(
            "libtock-rs: {} failed: {}",
            failures.len(),
            failures.join("; ")
        )
    }
}

/// `libtock_rs.hello_tbf_bytes` and `libtock_rs.blink_tbf_bytes`: the TBF
/// sizes our packager writes for the two examples.
pub fn bench(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let tabs = build_and_package(ctx)?;
    for (example, tab) in EXAMPLES.iter().zip(&tabs) {
        if example.binary == "hello" || example.binary == "blink" {
            let size = tbf_size(ctx, tab)?;
            figures.record(
                &format!("libtock_rs.{}_tbf_bytes", example.binary),
                size as f64,
                "B",
            )?;
        }
    }
    Ok(())
}

/// Every example (or only `only`) booted alone on qemu-rv32-virt, each
/// recorded as a check of its own.
fn run_examples(
    ctx: &Context,
    tabs: &[PathBuf],
    only: Option<&str>,
    record: &mut impl FnMut(String, Result<()>),
) {
    let kernel = match kernel::image::build_kernel(ctx) {
        Ok(kernel) => kernel,
        Err(error) => return record("the kernel for the QEMU runs".into(), Err(error)),
    };
    for (example, tab) in EXAMPLES.iter().zip(tabs) {
        if only.is_none_or(|name| name == example.binary) {
            let what = format!("{} in QEMU", example.binary);
            record(what, run_example(ctx, &kernel, example, tab));
        }
    }
}

fn host_tests(ctx: &Context) -> Result<()> {
    let mut cargo = ctx.cargo("test")?;
    cargo.arg("--no-fail-fast");
    for package in HOST_CRATES {
        cargo.args(["-p", package]);
    }
    cmd::run(&mut cargo)
}

/// The runtime for every target, and the examples linked for the
/// nRF52840-DK on both Cortex-M targets (issue 9 runs them; here they must
/// build and link).
fn build_runtime(ctx: &Context) -> Result<()> {
    for target in [targets::RISCV32IMAC, targets::THUMBV7EM, targets::THUMBV6M] {
        let mut cargo = ctx.cargo("build")?;
        cargo.args(["-p", "libtock-runtime", "--release", "--target", target]);
        cmd::run(&mut cargo).with_context(|| format!("building libtock-runtime for {target}"))?;
    }
    for target in [targets::THUMBV7EM, targets::THUMBV6M] {
        build_examples(ctx, target, "nrf52840dk.ld")
            .with_context(|| format!("linking the examples for {target}"))?;
    }
    Ok(())
}

/// Builds every example (release, `device` feature) for `target`, linked
/// with the runtime's layout `layout` (e.g. `qemu_rv32_virt.ld`).
pub(crate) fn build_examples(ctx: &Context, target: &str, layout: &str) -> Result<()> {
    let mut cargo = ctx.cargo("build")?;
    cargo
        .args(["-p", "libtock-examples", "--bins", "--features", "device"])
        .args(["--release", "--target", target])
        .env("LIBTOCK_LAYOUT", layout);
    cmd::run(&mut cargo)
}

fn scratch(ctx: &Context) -> Result<PathBuf> {
    ctx.scratch_dir("libtock-rs")
}

/// Builds every example for qemu-rv32-virt and packages each with our
/// packager; returns the TABs in `EXAMPLES` order.
fn build_and_package(ctx: &Context) -> Result<Vec<PathBuf>> {
    build_examples(ctx, targets::RISCV32IMAC, "qemu_rv32_virt.ld")
        .context("building the libtock-rs examples")?;
    let packager = build_packager(ctx)?;
    let mut tabs = Vec::new();
    for example in EXAMPLES {
        let tab = scratch(ctx)?.join(format!("{}.tab", example.binary));
        let mut pack = Command::new(&packager);
        pack.arg("pack");
        package_arguments(ctx, &example.app(), RISCV, &tab, &mut pack);
        cmd::output(&mut pack).with_context(|| format!("packaging {}", example.binary))?;
        let size = tbf_size(ctx, &tab)?;
        println!("{}: {} ({size} B TBF)", example.binary, tab.display());
        tabs.push(tab);
    }
    Ok(tabs)
}

/// What packaging needs to know of a libtock-rs app: its binary, its
/// package name in the TBF (at most 16 bytes, so the header fits the
/// protected region), its stack (as in its `stack_size!`) and its heap
/// (`--app-heap`).
pub(crate) struct LibtockApp<'a> {
    pub binary: &'a str,
    pub package: &'a str,
    pub stack: u32,
    pub heap: u32,
}

impl Example {
    fn app(&self) -> LibtockApp<'static> {
        LibtockApp {
            binary: self.binary,
            package: self.package,
            stack: self.stack,
            heap: self.heap,
        }
    }
}

/// elf2tab's flags (our packager's `pack` takes the same) for `app` built
/// for `target` (release), packaged for `architecture`, writing `tab`.
pub(crate) fn package_arguments(
    ctx: &Context,
    app: &LibtockApp,
    (target, architecture): (&str, &str),
    tab: &Path,
    command: &mut Command,
) {
    let elf = ctx.artifact(target, "release", app.binary);
    command
        .args(["--kernel-major", "2", "--kernel-minor", "1"])
        .args([
            "--deterministic",
            "--protected-region-size",
            PROTECTED_REGION_SIZE,
        ])
        .args(["-n", app.package])
        .args(["--stack", &app.stack.to_string()])
        .args(["--app-heap", &app.heap.to_string()])
        .arg("-o")
        .arg(tab)
        .arg(format!("{},{architecture}", elf.display()));
}

/// The target and TAB architecture of the examples on qemu-rv32-virt.
pub(crate) const RISCV: (&str, &str) = (targets::RISCV32IMAC, "riscv32imac");

/// Builds our packager (`tbf`) and returns the binary's path.
pub(crate) fn build_packager(ctx: &Context) -> Result<PathBuf> {
    crate::tools::packager(ctx)
}

/// The TBF inside a one-architecture TAB.
fn extract_tbf(ctx: &Context, tab: &Path) -> Result<Vec<u8>> {
    let tbf = kernel::unpack_tab(ctx, "libtock-rs-tabs", tab)?.join("riscv32imac.tbf");
    std::fs::read(&tbf).with_context(|| {
        format!(
            "{} holds no riscv32imac.tbf (expected one per architecture)",
            tab.display()
        )
    })
}

fn tbf_size(ctx: &Context, tab: &Path) -> Result<usize> {
    Ok(extract_tbf(ctx, tab)?.len())
}

/// Our packager's hello and blink TBFs must equal upstream elf2tab's for
/// the same ELF and flags (deterministic inputs).
fn compare_with_elf2tab(ctx: &Context) -> Result<()> {
    let elf2tab = tools::elf2tab_path()?;
    ensure!(
        elf2tab.exists(),
        "upstream elf2tab is not installed at {}: run `cargo xtask setup`",
        elf2tab.display()
    );
    for example in EXAMPLES
        .iter()
        .filter(|e| matches!(e.binary, "hello" | "blink"))
    {
        let ours = scratch(ctx)?.join(format!("{}.tab", example.binary));
        let theirs = scratch(ctx)?.join(format!("{}.elf2tab.tab", example.binary));
        let mut command = Command::new(&elf2tab);
        package_arguments(ctx, &example.app(), RISCV, &theirs, &mut command);
        cmd::output(&mut command).with_context(|| format!("elf2tab on {}", example.binary))?;
        ensure!(
            extract_tbf(ctx, &ours)? == extract_tbf(ctx, &theirs)?,
            "{}: our TBF differs from elf2tab's ({} vs {})",
            example.binary,
            ours.display(),
            theirs.display()
        );
    }
    Ok(())
}

/// Boots `tab` alone on a fresh flash file with the built `kernel` and
/// judges its console with the shared example runner.
fn run_example(ctx: &Context, kernel: &Path, example: &Example, tab: &Path) -> Result<()> {
    let flash = scratch(ctx)?.join(format!("{}.flash", example.binary));
    if flash.exists() {
        std::fs::remove_file(&flash).with_context(|| format!("removing {}", flash.display()))?;
    }
    let board = kernel::board_with_tabs(ctx, kernel, &flash, &[tab.to_path_buf()])?;
    let script = ConsoleScript::lines(example.binary, example.expected).typing(example.input);
    console::run_example(&mut board.spawn()?, &script)
}
