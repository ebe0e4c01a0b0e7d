//! Both apps installed signed through loader-cli on a running device:
//! qemu-rv32-virt built with an embedded key (`BOARD_SIGNING_KEY`, policy
//! ecdsa-p256) boots with empty app flash; the loader installs over the
//! console's TCP link, and the test then drives the same link as the
//! console (the QEMU socket takes one client at a time) and the HID link.
//!
//! ```text
//! loader-cli --tcp--> 16550 console (frames: loader service; else console)
//! this test  --tcp--> same socket once the loader has exited
//! python-fido2 / keyboard reader --unix--> HID link (virtio-serial)
//! ```

use super::qemu::{self, Console};
use crate::areas::kernel::image::{self, BOARD_PACKAGE};
use crate::areas::kernel::scenarios::board;
use crate::areas::targets::RISCV32IMAC;
use crate::cmd;
use crate::context::Context;
use crate::qemu::{free_tcp_port, Capture, Qemu};
use anyhow::{bail, ensure, Context as _, Result};
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The probe's libtock-c build for the third app slot.
const PROBE_BUILD: &str = "rv32imac.0x20060080.0x80030000";

/// What the live tests install, built and signed.
pub struct SignedApps {
    /// HOTP, then U2F (second slot), each signed with the board key.
    pub signed: [PathBuf; 2],
    /// U2F linked for the fourth slot, packaged without a credential.
    pub unsigned_u2f: PathBuf,
    /// The KV probe (third slot), signed.
    pub probe: PathBuf,
}

/// The running device: QEMU with the console on TCP and the HID link.
pub struct LiveDevice {
    loader: PathBuf,
    port: u16,
    pub hid: PathBuf,
    _qemu: Qemu,
}

/// The console over the TCP link (while the loader is not connected).
pub struct TcpConsole {
    stream: TcpStream,
    capture: Arc<Capture>,
    cursor: usize,
}

impl Console for TcpConsole {
    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream.write_all(bytes)?;
        Ok(self.stream.flush()?)
    }
    fn expect(&mut self, pattern: &str, timeout: Duration) -> Result<String> {
        let Some(end) = self
            .capture
            .wait_for(self.cursor, pattern.as_bytes(), timeout)
        else {
            bail!(
                "{pattern:?} did not appear on the console within {timeout:?}; it says:\n{}",
                self.output()
            );
        };
        let text = String::from_utf8_lossy(&self.capture.bytes()[self.cursor..end]).into_owned();
        self.cursor = end;
        Ok(text)
    }
    fn output(&self) -> String {
        String::from_utf8_lossy(&self.capture.bytes()).into_owned()
    }
}

/// The reader thread holds a clone of the stream: only a shutdown frees
/// QEMU's one-client socket for the loader.
impl Drop for TcpConsole {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

impl LiveDevice {
    /// Boots `kernel` with erased app flash; the guest starts when the
    /// loader first connects.
    pub fn boot(ctx: &Context, kernel: &Path, loader: PathBuf) -> Result<LiveDevice> {
        let scratch = qemu::scratch(ctx)?;
        let flash = scratch.join("live.pflash");
        image::write_flash_file(&flash, kernel, &[])?;
        let hid = scratch.join("live.hid");
        let port = free_tcp_port()?;
        let qemu = qemu::with_hid_link(board(&flash), &hid)?
            .serial_tcp(port)
            .spawn()?;
        let deadline = Instant::now() + qemu::TIMEOUT;
        while !qemu.log().contains("waiting for connection") {
            ensure!(
                Instant::now() < deadline,
                "QEMU did not open its serial socket: {}",
                qemu.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(LiveDevice {
            loader,
            port,
            hid,
            _qemu: qemu,
        })
    }

    /// `loader ARGUMENTS --port tcp:…`: whether it succeeded, and its
    /// stdout and stderr.
    pub fn loader(&self, arguments: &[&str]) -> Result<(bool, String)> {
        let mut command = Command::new(&self.loader);
        command
            .args(arguments)
            .args(["--port", &format!("tcp:127.0.0.1:{}", self.port)]);
        let output = command
            .output()
            .with_context(|| format!("running {}", cmd::describe(&command)))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok((output.status.success(), text))
    }

    /// Waits until every app of `names` is running or yielded.
    pub fn wait_running(&self, names: &[&str]) -> Result<()> {
        let deadline = Instant::now() + qemu::TIMEOUT;
        loop {
            let (ok, text) = self.loader(&["process", "list", "--json"])?;
            ensure!(ok, "`loader process list` failed: {text}");
            let list: serde_json::Value = serde_json::from_str(text.trim())
                .with_context(|| format!("parsing `process list --json`: {text}"))?;
            let state = |name: &str| {
                list.as_array().and_then(|list| {
                    list.iter()
                        .find(|process| process["name"] == name)
                        .and_then(|process| process["state"].as_str().map(str::to_string))
                })
            };
            let states: Vec<Option<String>> = names.iter().map(|name| state(name)).collect();
            if states
                .iter()
                .all(|state| matches!(state.as_deref(), Some("Running") | Some("Yielded")))
            {
                return Ok(());
            }
            ensure!(
                Instant::now() < deadline,
                "{names:?} are not all running: {list}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Takes the TCP link as the console (the loader must have exited).
    pub fn console(&self) -> Result<TcpConsole> {
        let stream = TcpStream::connect(("127.0.0.1", self.port))
            .context("connecting to the device's console")?;
        stream.set_nodelay(true)?;
        let capture = Capture::start(stream.try_clone()?);
        Ok(TcpConsole {
            stream,
            capture,
            cursor: 0,
        })
    }
}

/// The kernel built with `key`'s public half embedded (policy
/// ecdsa-p256); copied out so that other areas' builds do not replace it.
pub fn signed_kernel(ctx: &Context, public_key: &Path) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    cargo
        .args(["--release", "-p", BOARD_PACKAGE, "--target", RISCV32IMAC])
        .env_remove("BOARD_CREDENTIAL_POLICY")
        .env("BOARD_SIGNING_KEY", public_key);
    cmd::run(&mut cargo).context("building the kernel with the signing key")?;
    let built = ctx.artifact(RISCV32IMAC, "release", BOARD_PACKAGE);
    let kernel = qemu::scratch(ctx)?.join("kernel-signed.elf");
    std::fs::copy(&built, &kernel)
        .with_context(|| format!("copying {} to {}", built.display(), kernel.display()))?;
    Ok(kernel)
}

/// `tbf keygen` into the scratch directory, once: a new key every run
/// would rebuild the kernel every run. Returns the key files' base.
pub fn board_key(ctx: &Context, packager: &Path) -> Result<PathBuf> {
    let base = qemu::scratch(ctx)?.join("board-key");
    if !base.with_extension("der").is_file() || !base.with_extension("pub").is_file() {
        let mut keygen = Command::new(packager);
        keygen.args(["keygen", "--force", "--out"]).arg(&base);
        cmd::output(&mut keygen).context("tbf keygen")?;
    }
    Ok(base)
}

/// Writes `tbf` to `name` in the scratch directory, signed with `key`
/// (`tbf sign --key`) unless `key` is `None`.
pub fn write_tbf(
    ctx: &Context,
    packager: &Path,
    name: &str,
    tbf: &[u8],
    key: Option<&Path>,
) -> Result<PathBuf> {
    let path = qemu::scratch(ctx)?.join(name);
    std::fs::write(&path, tbf).with_context(|| format!("writing {}", path.display()))?;
    if let Some(key) = key {
        let mut sign = Command::new(packager);
        sign.arg("sign").arg("--key").arg(key).arg(&path);
        cmd::output(&mut sign).with_context(|| format!("signing {name}"))?;
    }
    Ok(path)
}

/// The KV probe (`kv_probe/main.c`, libtock-c) for the third slot,
/// packaged by `tbf pack` as `kv-probe`; its TBF.
pub fn build_probe(ctx: &Context, packager: &Path) -> Result<Vec<u8>> {
    let scratch = qemu::scratch(ctx)?;
    let build = scratch.join("kv-probe");
    let mut make = Command::new("make");
    make.arg("-C")
        .arg(ctx.workspace.join("xtask/src/areas/security_key/kv_probe"))
        .args(["-j2", "WERROR=1", "PACKAGER=tbf", "PACKAGE_NAME=kv-probe"])
        .arg(format!("TBF={}", packager.display()))
        .arg(format!("BUILD_DIR={}", build.display()))
        .arg(format!(
            "LIBTOCK_BUILD_DIR={}",
            scratch.join("libtock-c").display()
        ));
    cmd::output(&mut make).context(
        "building the KV probe (run `cargo xtask setup` if the RISC-V compiler is missing)",
    )?;
    let elf = build.join(PROBE_BUILD).join(format!("{PROBE_BUILD}.elf"));
    let out = scratch.join("kv-probe-slot2.elf");
    std::fs::copy(&elf, &out).with_context(|| format!("copying {}", elf.display()))?;
    let mut pack = Command::new(packager);
    pack.args([
        "pack",
        "-n",
        "kv-probe",
        "--stack",
        "2048",
        "--app-heap",
        "1024",
    ])
    .args([
        "--kernel-heap",
        "1024",
        "--kernel-major",
        "2",
        "--kernel-minor",
        "0",
    ])
    .arg("-o")
    .arg(out.with_extension("tab"))
    .arg(format!("{},rv32imac", out.display()));
    cmd::output(&mut pack).context("packaging the KV probe")?;
    let tbf = out.with_extension("tbf");
    std::fs::read(&tbf).with_context(|| format!("reading {}", tbf.display()))
}

/// The live tests, on one device (each step needs the one before); an
/// error names the test that failed.
pub fn installed_live(
    ctx: &Context,
    apps: &SignedApps,
    kernel: &Path,
    loader: PathBuf,
) -> Result<()> {
    let device = LiveDevice::boot(ctx, kernel, loader)?;
    let codes = both_apps_installed_signed_run_without_a_reboot(ctx, &device, apps)
        .context("both_apps_installed_signed_through_loader_cli_run_without_a_reboot")?;
    a_third_identity_cannot_read_their_kv_entries(ctx, &device, apps, codes)
        .context("a_third_identity_cannot_read_the_apps_kv_entries")?;
    an_unsigned_update_is_refused_by_the_device(&device, apps)
        .context("an_unsigned_update_is_refused_by_the_device")
}

fn path_text(path: &Path) -> Result<&str> {
    path.to_str().context("the scratch path is not UTF-8")
}

/// Signed HOTP and U2F installed in one command start at once: U2F
/// answers python-fido2, HOTP the RFC 4226 code of counter 0.
fn both_apps_installed_signed_run_without_a_reboot(
    ctx: &Context,
    device: &LiveDevice,
    apps: &SignedApps,
) -> Result<Vec<String>> {
    let [hotp, u2f] = &apps.signed;
    let (ok, text) = device.loader(&["install", path_text(hotp)?, path_text(u2f)?])?;
    ensure!(ok, "installing the signed HOTP and U2F live failed: {text}");
    device.wait_running(&["hotp", "u2f"])?;
    let mut console = device.console()?;
    // Let HOTP arm its console read.
    std::thread::sleep(Duration::from_millis(500));
    let code = qemu::both_answer(ctx, &mut console, &device.hid)?;
    qemu::hotp_clients_agree(ctx, std::slice::from_ref(&code))?;
    Ok(vec![code])
}

/// A signed third app, installed live, finds neither app's entries under
/// their keys and writes its own value under HOTP's key; HOTP's next code
/// still comes from its own secret and counter.
fn a_third_identity_cannot_read_their_kv_entries(
    ctx: &Context,
    device: &LiveDevice,
    apps: &SignedApps,
    mut codes: Vec<String>,
) -> Result<()> {
    let (ok, text) = device.loader(&["install", path_text(&apps.probe)?])?;
    ensure!(ok, "installing the signed KV probe live failed: {text}");
    let mut console = device.console()?;
    let report = console.expect("kv-probe: isolated", qemu::TIMEOUT)?;
    ensure!(
        !report.contains("LEAK"),
        "the probe read another app's entry:\n{report}"
    );
    println!("{}", report.trim());
    let mut link = qemu::connect(&device.hid)?;
    codes.push(qemu::press_for_code(&mut console, &mut link, 1)?);
    qemu::hotp_clients_agree(ctx, &codes)
}

/// An unsigned U2F offered live as an update of the running, signed one is
/// refused before the old one stops: loader-cli exits non-zero and prints
/// the device's reason, and the signed U2F keeps running.
fn an_unsigned_update_is_refused_by_the_device(
    device: &LiveDevice,
    apps: &SignedApps,
) -> Result<()> {
    let (ok, text) = device.loader(&["install", path_text(&apps.unsigned_u2f)?])?;
    ensure!(
        !ok && text.contains("CredentialsRejected") && text.contains("refused: not signed"),
        "the loader does not print the device's refusal of the unsigned U2F: {text}"
    );
    println!(
        "security-key: unsigned U2F: the loader printed: {}",
        text.trim()
    );
    device
        .wait_running(&["hotp", "u2f"])
        .context("the signed U2F did not run again after its refused update")
}
