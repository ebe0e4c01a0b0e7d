//! The CTAP 2.1 app (`apps/rust/ctap2`) on qemu-rv32-virt, checked over the
//! HID link by clients nobody here wrote:
//! - `ctap2`: python-fido2 as a browser uses it (`xtask/python/ctap2_client.py`):
//!   `Fido2Client` for https://tock.example, PINs, credential management,
//!   hmac-secret, every attestation and assertion signature verified, and
//!   resident credentials and the counter surviving a reboot;
//! - `libfido2` and `ssh` ([`super::fido_clients`]): libfido2 and
//!   ssh-keygen through `clients/libfido2-hid-link`.
//!
//! User presence: a client prints the line `PRESS` (python-fido2 when the
//! device's KEEPALIVE says UPNEEDED; the libfido2 transport runs the
//! command in `TOCK_FIDO_PRESS`, which the harness sets to print it), and
//! the harness clicks the button on the console (`ESC B 0`). Each failure
//! carries the client's transcript and the device's console.

use super::qemu::{boot, python_command, python_dir, scratch, Console, CLICK};
use super::{package, RustApp};
use crate::areas::libtock_rs::build_packager;
use crate::areas::targets;
use crate::cmd;
use crate::context::Context;
use anyhow::{ensure, Context as _, Result};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The binary's source: its `stack_size!` is the stack the packager gives.
const SOURCE: &str = "apps/rust/ctap2/src/bin/ctap2.rs";
/// The app's heap (its allocator's; the app itself allocates nothing).
pub(super) const HEAP: u32 = 1024;
/// A client silent this long (no line on stdout or stderr) has hung: each
/// CTAP request answers or sends KEEPALIVE well within it.
const SILENCE: Duration = Duration::from_secs(180);

/// The app built once (with a fresh device image; `build` stops after
/// compiling the C clients), then checked by python-fido2 (`ctap2`),
/// libfido2 (`libfido2`) and ssh-keygen (`ssh`), as `runs` asks.
pub fn with_clients(
    ctx: &Context,
    runs: &impl Fn(&str) -> bool,
    record: &mut impl FnMut(&str, Result<()>),
) {
    let runs = |step: &str| runs(step) || runs("fido2");
    let tbf = match build(ctx) {
        Ok(tbf) => tbf,
        Err(error) => return record("CTAP2 app built and packaged", Err(error)),
    };
    record("CTAP2 device image written", fresh_image(ctx, &tbf));
    if runs("ctap2") {
        record("CTAP2 in QEMU with python-fido2", python_fido2(ctx, &tbf));
    }
    // `build` compiles the C clients too (warnings are errors).
    if !(runs("libfido2") || runs("ssh") || runs("build")) {
        return;
    }
    let clients = match super::fido_clients::build(ctx) {
        Ok(clients) => clients,
        Err(error) => {
            return record(
                "libfido2 transport, check and SSH provider built",
                Err(error),
            )
        }
    };
    if runs("libfido2") {
        let result = super::fido_clients::libfido2(ctx, &tbf, &clients);
        record("CTAP2 in QEMU with libfido2", result);
    }
    if runs("ssh") {
        let result = super::fido_clients::ssh(ctx, &tbf, &clients);
        record("CTAP2 in QEMU with ssh-keygen (ecdsa-sk)", result);
    }
}

/// Builds the app for qemu-rv32-virt's first slot and packages it; its TBF.
pub fn build(ctx: &Context) -> Result<Vec<u8>> {
    let mut cargo = ctx.cargo("build")?;
    cargo
        .args(["-p", "ctap2", "--bins", "--features", "device", "--release"])
        .args(["--target", targets::RISCV32IMAC])
        .env("LIBTOCK_LAYOUT", "qemu_rv32_virt.ld");
    cmd::run(&mut cargo).context("building the CTAP2 app")?;
    let app = RustApp {
        binary: "ctap2",
        stack: app_stack(ctx)?,
        heap: HEAP,
    };
    package(ctx, &build_packager(ctx)?, &app)
}

/// A fresh flash file `name` with the kernel and `tbf`.
pub fn flash_with(ctx: &Context, name: &str, tbf: &[u8]) -> Result<PathBuf> {
    super::qemu::flash_with(ctx, name, &[tbf])
}

/// Writes `ctap2-fresh.pflash`: the kernel and the app on an otherwise
/// erased flash, the image docs/apps.md boots (tests use their own copies).
pub fn fresh_image(ctx: &Context, tbf: &[u8]) -> Result<()> {
    let flash = flash_with(ctx, "ctap2-fresh", tbf)?;
    println!("CTAP2 device image: {}", flash.display());
    Ok(())
}

/// The stack the app's binary asks for in its `stack_size!`.
pub(super) fn app_stack(ctx: &Context) -> Result<u32> {
    let source = std::fs::read_to_string(ctx.workspace.join(SOURCE))
        .with_context(|| format!("reading {SOURCE}"))?;
    stack_size(&source).with_context(|| format!("{SOURCE} names no stack_size!"))
}

/// The number in `libtock::stack_size! {N}` (hexadecimal or decimal).
fn stack_size(source: &str) -> Option<u32> {
    let after = source.split("stack_size!").nth(1)?;
    let inside = after.trim_start().strip_prefix(['{', '('])?;
    let number: String = inside
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .filter(|c| *c != '_')
        .collect();
    match number.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => number.parse().ok(),
    }
}

/// python-fido2: everything before a reboot (`first`), then the resident
/// credentials and the counter after it (`after-reboot`, also when `first`
/// failed a check that did not stop it: it wrote its state file); then
/// large blobs on a fresh device (`ctap2_large_blob_client.py`).
pub fn python_fido2(ctx: &Context, tbf: &[u8]) -> Result<()> {
    let flash = flash_with(ctx, "ctap2", tbf)?;
    let socket = scratch(ctx)?.join("ctap2.hid");
    let state = scratch(ctx)?.join("ctap2.state.json");
    if state.exists() {
        std::fs::remove_file(&state)?;
    }
    let mut failures = Vec::new();
    for mode in ["first", "after-reboot"] {
        if mode == "after-reboot" && !state.exists() {
            break;
        }
        // Dropping QEMU kills it: the flash file is what a reset leaves.
        let mut qemu = boot(&flash, &socket)?;
        let mut client = python_command()?;
        client
            .current_dir(python_dir(ctx))
            .arg("ctap2_client.py")
            .arg(mode)
            .arg(&socket)
            .arg(&state);
        if let Err(error) = run_client(&mut qemu, client, "ctap2: ok") {
            failures.push(format!("python-fido2 ({mode}): {error:#}"));
        }
    }
    // authenticatorLargeBlobs and largeBlobKey, on a fresh device of its own.
    let flash = flash_with(ctx, "ctap2-large-blob", tbf)?;
    let socket = scratch(ctx)?.join("ctap2-large-blob.hid");
    let mut qemu = boot(&flash, &socket)?;
    let mut client = python_command()?;
    client
        .current_dir(python_dir(ctx))
        .arg("ctap2_large_blob_client.py")
        .arg(&socket);
    if let Err(error) = run_client(&mut qemu, client, "large-blob: ok") {
        failures.push(format!("python-fido2 (large blobs): {error:#}"));
    }
    ensure!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

/// Runs `client` to its end, clicking the button each time it prints the
/// line `PRESS` (on stdout or stderr); it must exit 0 and print `success`.
pub fn run_client(qemu: &mut impl Console, mut client: Command, success: &str) -> Result<()> {
    let described = cmd::describe(&client);
    let mut child = client
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {described}"))?;
    let (sender, lines) = mpsc::channel();
    let stdout = child.stdout.take().context("no stdout pipe")?;
    let stderr = child.stderr.take().context("no stderr pipe")?;
    let readers = [
        forward_lines(stdout, sender.clone()),
        forward_lines(stderr, sender),
    ];
    let mut transcript = String::new();
    let mut hung = false;
    loop {
        match lines.recv_timeout(SILENCE) {
            Ok(line) => {
                if line.trim() == "PRESS" {
                    qemu.send(CLICK)?;
                }
                transcript.push_str(&line);
                transcript.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                hung = true;
                // Ends the readers too (the pipes close).
                let _ = child.kill();
            }
        }
    }
    for reader in readers {
        let _ = reader.join();
    }
    let status = child.wait()?;
    ensure!(
        !hung && status.success() && transcript.contains(success),
        "{described} {} ({status}):\n{transcript}\n--- device console\n{}",
        if hung {
            "printed nothing for 180 s"
        } else {
            "failed"
        },
        qemu.output()
    );
    print!("{transcript}");
    Ok(())
}

/// A thread sending each line of `stream` to `sender`.
fn forward_lines(
    stream: impl Read + Send + 'static,
    sender: mpsc::Sender<String>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::stack_size;

    #[test]
    fn stack_size_is_read_from_the_macro() {
        assert_eq!(stack_size("libtock::stack_size! {0x4000}"), Some(0x4000));
        assert_eq!(stack_size("stack_size!(8192);"), Some(8192));
        assert_eq!(stack_size("stack_size! { 0x8_000 }"), Some(0x8000));
        assert_eq!(stack_size("fn main() {}"), None);
    }
}
