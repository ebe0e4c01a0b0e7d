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
//! - `qemu`: every example booted alone on qemu-rv32-virt through `cargo
//!   xtask qemu` (the kernel area's command), its console lines asserted in
//!   order.
//!
//! Every step runs even when an earlier one failed; the area fails if any
//! did, listing each failure. Built files go under the target directory.
//! `bench` records `libtock_rs.hello_tbf_bytes` and `libtock_rs.blink_tbf_bytes`.

use super::{targets, Area, DeviceCrate};
use crate::bench::Figures;
use crate::context::Context;
use crate::{cmd, tools};
use anyhow::{bail, ensure, Context as _, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    "libtock-examples",
];

/// The board the examples are linked for and run on.
const BOARD: &str = "qemu-rv32-virt";
/// Must equal `TBF_HEADER_SIZE` in `libtock-rs/runtime/layouts/qemu_rv32_virt.ld`.
const PROTECTED_REGION_SIZE: &str = "96";
/// What the kernel prints when a process ends with status 0.
const EXITED_OK: &str = "exited with status 0";
/// Text in any output that means an example failed.
/// (`alert code 0x1` is what the kernel prints for the runtime's panic
/// handler; the word "panic" alone is in the process console's help.)
const FAILURE_MARKERS: &[&str] = &["FAIL", "alert code 0x1", "panicked"];
/// How long the first example may take to print each line (the first boot
/// may build the kernel).
const FIRST_BOOT_TIMEOUT: Duration = Duration::from_secs(300);
/// How long later examples may take to print each line.
const LINE_TIMEOUT: Duration = Duration::from_secs(60);

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
                    // The first boot may build the kernel: allow for that.
                    let mut timeout = FIRST_BOOT_TIMEOUT;
                    for (example, tab) in EXAMPLES.iter().zip(&tabs) {
                        if only_example.is_none_or(|name| name == example.binary) {
                            let what = format!("{} in QEMU", example.binary);
                            record(what, run_example(ctx, example, tab, timeout));
                            timeout = LINE_TIMEOUT;
                        }
                    }
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
        let mut cargo = ctx.cargo("build")?;
        cargo
            .args([
                "-p",
                "libtock-examples",
                "--bins",
                "--features",
                "device",
                "--release",
            ])
            .args(["--target", target])
            .env("LIBTOCK_LAYOUT", "nrf52840dk.ld");
        cmd::run(&mut cargo).with_context(|| format!("linking the examples for {target}"))?;
    }
    Ok(())
}

fn scratch(ctx: &Context) -> Result<PathBuf> {
    ctx.scratch_dir("libtock-rs")
}

/// Builds every example for qemu-rv32-virt and packages each with our
/// packager; returns the TABs in `EXAMPLES` order.
fn build_and_package(ctx: &Context) -> Result<Vec<PathBuf>> {
    let mut cargo = ctx.cargo("build")?;
    cargo
        .args([
            "-p",
            "libtock-examples",
            "--bins",
            "--features",
            "device",
            "--release",
        ])
        .args(["--target", targets::RISCV32IMAC])
        .env("LIBTOCK_LAYOUT", "qemu_rv32_virt.ld");
    cmd::run(&mut cargo).context("building the libtock-rs examples")?;
    let packager = build_packager(ctx)?;
    let mut tabs = Vec::new();
    for example in EXAMPLES {
        let tab = scratch(ctx)?.join(format!("{}.tab", example.binary));
        let mut pack = Command::new(&packager);
        pack.arg("pack");
        package_arguments(ctx, example, &tab, &mut pack);
        cmd::output(&mut pack).with_context(|| format!("packaging {}", example.binary))?;
        let size = tbf_size(ctx, &tab)?;
        println!("{}: {} ({size} B TBF)", example.binary, tab.display());
        tabs.push(tab);
    }
    Ok(tabs)
}

/// The elf2tab flags for `example`, writing `tab`.
fn package_arguments(ctx: &Context, example: &Example, tab: &Path, command: &mut Command) {
    let elf = ctx.artifact(targets::RISCV32IMAC, "release", example.binary);
    command
        .args([
            "--kernel-major",
            "2",
            "--kernel-minor",
            "1",
            "--deterministic",
        ])
        .args(["--protected-region-size", PROTECTED_REGION_SIZE])
        .args(["-n", example.package])
        .args(["--stack", &example.stack.to_string()])
        .args(["--app-heap", &example.heap.to_string()])
        .arg("-o")
        .arg(tab)
        .arg(format!("{},riscv32imac", elf.display()));
}

fn build_packager(ctx: &Context) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    cargo.args(["-q", "-p", "tbf-tools", "--bin", "tbf"]);
    cmd::output(&mut cargo).context("building the tbf packager")?;
    let tbf = ctx.target_dir.join("debug").join("tbf");
    ensure!(tbf.exists(), "{} missing after the build", tbf.display());
    Ok(tbf)
}

/// The TBF inside a one-architecture TAB, extracted with `tar`.
fn extract_tbf(ctx: &Context, tab: &Path) -> Result<Vec<u8>> {
    let stem = tab
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("app");
    let directory = scratch(ctx)?.join(format!("{stem}.extracted"));
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("creating {}", directory.display()))?;
    let mut tar = Command::new("tar");
    tar.arg("-xf").arg(tab).arg("-C").arg(&directory);
    cmd::output(&mut tar).with_context(|| format!("unpacking {}", tab.display()))?;
    let tbf = directory.join("riscv32imac.tbf");
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
        package_arguments(ctx, example, &theirs, &mut command);
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

fn capture(mut stream: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = buffer.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(count) = stream.read(&mut chunk) {
            if count == 0 {
                break;
            }
            sink.lock()
                .map(|mut all| all.extend_from_slice(&chunk[..count]))
                .ok();
        }
    });
    buffer
}

fn text_of(buffer: &Arc<Mutex<Vec<u8>>>) -> String {
    buffer
        .lock()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// Stops `cargo xtask qemu` and QEMU under it (its own process group).
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("--")
        .arg(format!("-{}", child.id()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Types `input` one byte at a time, as a person would: a UART reader only
/// sees bytes that arrive while its read is outstanding.
fn type_slowly(console: &mut ChildStdin, input: &[u8]) -> Result<()> {
    for byte in input {
        std::thread::sleep(Duration::from_millis(200));
        console
            .write_all(&[*byte])
            .and_then(|()| console.flush())
            .context("typing on the console")?;
    }
    Ok(())
}

/// The status of the first `exited with status N` line with N other than
/// 0 (the kernel prints one when a process ends).
fn failed_exit_status(text: &str) -> Option<&str> {
    const EXITED: &str = "exited with status ";
    text.match_indices(EXITED).find_map(|(at, _)| {
        let rest = &text[at + EXITED.len()..];
        let status = &rest[..rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len())];
        (!status.is_empty() && status != "0").then_some(status)
    })
}

/// Boots `tab` alone on a fresh flash file and waits for the example's
/// lines in order.
fn run_example(ctx: &Context, example: &Example, tab: &Path, timeout: Duration) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let flash = scratch(ctx)?.join(format!("{}.flash", example.binary));
    if flash.exists() {
        std::fs::remove_file(&flash).with_context(|| format!("removing {}", flash.display()))?;
    }
    // Not `current_exe()`: a workspace-wide build earlier in the run may
    // have relinked (and so deleted) the running binary.
    let mut command = ctx.xtask_command()?;
    command
        .args(["qemu", "--board", BOARD, "--flash"])
        .arg(&flash)
        .arg("--tab")
        .arg(tab)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let line = cmd::describe(&command);
    let mut child = command
        .spawn()
        .with_context(|| format!("starting `{line}`"))?;
    let stdout = capture(child.stdout.take().context("no stdout pipe")?);
    let stderr = capture(child.stderr.take().context("no stderr pipe")?);
    let console = child.stdin.take().context("no stdin pipe")?;
    let verdict = wait_for_lines(example, &stdout, &mut child, console, timeout);
    stop(&mut child);
    verdict.with_context(|| {
        format!(
            "`{line}`\n--- console\n{}\n--- stderr\n{}",
            text_of(&stdout),
            text_of(&stderr)
        )
    })
}

/// Waits until every expected line has appeared in order, each within the
/// timeout; fails at once on a failure marker or an early exit. An example
/// with no expected lines (blink runs forever) must stay up, without a
/// failure marker, for a few seconds.
fn wait_for_lines(
    example: &Example,
    stdout: &Arc<Mutex<Vec<u8>>>,
    child: &mut Child,
    mut console: ChildStdin,
    timeout: Duration,
) -> Result<()> {
    let check = |text: &str| -> Result<()> {
        if let Some(status) = failed_exit_status(text) {
            bail!(
                "{}: the process exited with status {status}",
                example.binary
            );
        }
        if let Some(marker) = FAILURE_MARKERS
            .iter()
            .find(|marker| text.contains(**marker))
        {
            // Let the app finish its report (e.g. every conformance line)
            // so the error shows all of it.
            let settle = Instant::now() + Duration::from_secs(5);
            while Instant::now() < settle && !text_of(stdout).contains("exited with status") {
                std::thread::sleep(Duration::from_millis(100));
            }
            bail!("{}: the output contains {marker:?}", example.binary);
        }
        Ok(())
    };
    if example.expected.is_empty() {
        std::thread::sleep(Duration::from_secs(5));
        check(&text_of(stdout))?;
        if let Some(status) = child.try_wait().context("polling cargo xtask qemu")? {
            bail!(
                "{}: QEMU ended ({status}) instead of running on",
                example.binary
            );
        }
        return Ok(());
    }
    let mut cursor = 0;
    for expected in example.expected {
        let deadline = Instant::now() + timeout;
        loop {
            let text = text_of(stdout);
            check(&text)?;
            if let Some(at) = text[cursor..].find(expected) {
                if cursor == 0 {
                    type_slowly(&mut console, example.input)?;
                }
                cursor += at + expected.len();
                break;
            }
            if let Some(status) = child.try_wait().context("polling cargo xtask qemu")? {
                bail!(
                    "{}: QEMU ended ({status}) before printing {expected:?}",
                    example.binary
                );
            }
            ensure!(
                Instant::now() < deadline,
                "{}: {expected:?} did not appear within {timeout:?}",
                example.binary
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::failed_exit_status;

    #[test]
    fn only_a_non_zero_exit_status_is_a_failure() {
        assert_eq!(
            failed_exit_status("[kernel] process a exited with status 0\r\n"),
            None
        );
        assert_eq!(
            failed_exit_status("process a exited with status 12\r\n"),
            Some("12")
        );
        assert_eq!(
            failed_exit_status("ok 0\nexited with status 0\nexited with status 1"),
            Some("1")
        );
        assert_eq!(failed_exit_status("nothing here"), None);
    }
}
