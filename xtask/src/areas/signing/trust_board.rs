//! What the trust-store tests share: a kernel built with a root key
//! (`BOARD_ROOT_KEY`) beside the board's signing key, the root and a second
//! signing key (made by `tbf keygen`), changes signed by `tbf keys
//! sign-change`, and a live board driven by `loader` over its serial link
//! that a test can power off at any moment (QEMU killed: the flash file
//! keeps what was programmed, as a real flash keeps it).

use super::fixture::{Fixture, Key};
use super::kernel_image::{BOARD_ARGUMENTS, BOARD_PACKAGE};
use crate::areas::targets::RISCV32IMAC;
use crate::cmd;
use crate::qemu::{free_tcp_port, Machine, Qemu, QemuBuilder};
use anyhow::{ensure, Context as _, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a boot may take before the test fails.
const BOOT_TIMEOUT: Duration = Duration::from_secs(20);
/// Longer than the credential checks after a boot or an install take.
pub(super) const SETTLE: Duration = Duration::from_secs(3);

/// The trust-store keys beside the fixture's board key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustKey {
    /// The board's root key: signs changes.
    Root,
    /// A second app signing key, certified by a change.
    Second,
}

/// Base path of a trust key's files (`.der`, `.pem`, `.pub`, `.pub.pem`),
/// made by `tbf keygen` on first use.
pub fn key_base(fixture: &Fixture, key: TrustKey) -> Result<PathBuf> {
    let base = fixture.path(match key {
        TrustKey::Root => "trust-root-key",
        TrustKey::Second => "trust-second-key",
    });
    if !base.with_extension("der").is_file() {
        let mut keygen = fixture.packager();
        keygen.args(["keygen", "--force", "--out"]).arg(&base);
        cmd::output(&mut keygen)?;
    }
    Ok(base)
}

/// A key file (`der`, `pub`, ...) of a trust key, as a string argument.
pub fn key_file(fixture: &Fixture, key: TrustKey, extension: &str) -> Result<String> {
    let path = key_base(fixture, key)?.with_extension(extension);
    path.to_str()
        .map(str::to_string)
        .context("the scratch path is not UTF-8")
}

/// A file of the fixture's board key (the kernel's first signing key).
pub fn board_key_file(fixture: &Fixture, extension: &str) -> Result<String> {
    let path = fixture.key_base(Key::Board).with_extension(extension);
    path.to_str()
        .map(str::to_string)
        .context("the scratch path is not UTF-8")
}

/// The kernel with a trust store: `BOARD_SIGNING_KEY` the board key,
/// `BOARD_ROOT_KEY` the root key (`root` overrides it, e.g. a key made in
/// an HSM). Cargo rebuilds only when a key changed.
pub fn trust_kernel(fixture: &Fixture, root: Option<&Path>) -> Result<PathBuf> {
    let root = match root {
        Some(root) => root.to_path_buf(),
        None => key_base(fixture, TrustKey::Root)?.with_extension("pub"),
    };
    let ctx = fixture.context();
    let mut cargo = ctx.cargo("build")?;
    cargo.args(["--release", "-p", BOARD_PACKAGE, "--target", RISCV32IMAC]);
    cargo
        .env_remove("BOARD_CREDENTIAL_POLICY")
        .env_remove("BOARD_SIGNERS_REQUIRED")
        .env(
            "BOARD_SIGNING_KEY",
            fixture.key_base(Key::Board).with_extension("pub"),
        )
        .env("BOARD_ROOT_KEY", &root);
    cmd::run(&mut cargo).context("building the kernel with BOARD_ROOT_KEY")?;
    let built = ctx.artifact(RISCV32IMAC, "release", BOARD_PACKAGE);
    let name = root
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kernel = fixture.path(&format!("kernel-trust-{name}.elf"));
    std::fs::copy(&built, &kernel)
        .with_context(|| format!("copying {} to {}", built.display(), kernel.display()))?;
    Ok(kernel)
}

/// `tbf keys sign-change FLAGS --sequence N SIGNER -o NAME`: the change
/// file's path. `signer` are the signing flags (e.g. `--key root.der`).
pub fn change(
    fixture: &Fixture,
    name: &str,
    flags: &[&str],
    sequence: u32,
    signer: &[&str],
) -> Result<String> {
    let output = fixture.path(name);
    let mut sign = fixture.packager();
    sign.args(["keys", "sign-change"])
        .args(flags)
        .args(["--sequence", &sequence.to_string()])
        .args(signer)
        .arg("-o")
        .arg(&output);
    cmd::output(&mut sign)?;
    output
        .to_str()
        .map(str::to_string)
        .context("the scratch path is not UTF-8")
}

/// `change` signed by the root key file.
pub fn root_change(fixture: &Fixture, name: &str, flags: &[&str], sequence: u32) -> Result<String> {
    let root = key_file(fixture, TrustKey::Root, "der")?;
    change(fixture, name, flags, sequence, &["--key", &root])
}

/// A live qemu-rv32-virt board, its serial link on TCP for the loader.
pub struct TrustDevice {
    loader: PathBuf,
    port: String,
    qemu: Option<Qemu>,
}

impl TrustDevice {
    /// Boots `flash` and waits for the kernel to come up.
    pub fn boot(fixture: &Fixture, flash: &Path) -> Result<TrustDevice> {
        let loader = crate::tools::loader(fixture.context())?;
        let port = free_tcp_port()?;
        let qemu = QemuBuilder::new(Machine::Rv32Virt)
            .pflash(0, flash)
            .args(BOARD_ARGUMENTS.iter().copied())
            .serial_tcp(port)
            .spawn()?;
        let deadline = Instant::now() + BOOT_TIMEOUT;
        while !qemu.log().contains("waiting for connection") {
            ensure!(
                Instant::now() < deadline,
                "QEMU did not open its serial socket: {}",
                qemu.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        crate::areas::loader::wait_for_kernel(port)?;
        Ok(TrustDevice {
            loader,
            port: format!("tcp:127.0.0.1:{port}"),
            qemu: Some(qemu),
        })
    }

    fn command(&self, arguments: &[&str]) -> Command {
        let mut command = Command::new(&self.loader);
        command.args(arguments).args(["--port", &self.port]);
        command
    }

    /// `loader ARGUMENTS --port PORT`: exit code and output (both streams).
    pub fn loader(&self, arguments: &[&str]) -> Result<(i32, String)> {
        let mut command = self.command(arguments);
        let output = command
            .output()
            .with_context(|| format!("running {}", cmd::describe(&command)))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok((output.status.code().unwrap_or(-1), text))
    }

    /// `loader ARGUMENTS` that must succeed, parsed as JSON (`--json` added).
    pub fn loader_json(&self, arguments: &[&str]) -> Result<Value> {
        let mut with_json = arguments.to_vec();
        with_json.push("--json");
        let (code, text) = self.loader(&with_json)?;
        ensure!(
            code == 0,
            "`loader {}` failed ({code}): {text}",
            arguments.join(" ")
        );
        serde_json::from_str(text.trim())
            .with_context(|| format!("parsing `loader {} --json`: {text}", arguments.join(" ")))
    }

    /// `loader keys list --json`.
    pub fn trust_state(&self) -> Result<Value> {
        self.loader_json(&["keys", "list"])
    }

    /// Names of the apps a process runs (or ran to its end) from, by the
    /// state `loader list` shows: not refused, disabled, stopped or
    /// faulted (`process list` lists refused images too).
    pub fn processes(&self) -> Result<Vec<String>> {
        let value = self.loader_json(&["list"])?;
        let list = value.as_array().context("`list --json` is not an array")?;
        Ok(list
            .iter()
            .filter(|app| matches!(app["state"].as_str(), Some("running" | "exited")))
            .filter_map(|app| app["name"].as_str().map(str::to_string))
            .collect())
    }

    /// `loader list --json`: the app named `name`, if listed.
    pub fn listed(&self, name: &str) -> Result<Option<Value>> {
        let value = self.loader_json(&["list"])?;
        let apps = value.as_array().context("`list --json` is not an array")?;
        Ok(apps.iter().find(|app| app["name"] == name).cloned())
    }

    /// Starts `loader ARGUMENTS` without waiting for it.
    pub fn start_loader(&self, arguments: &[&str]) -> Result<Child> {
        let mut command = self.command(arguments);
        command.stdout(Stdio::null()).stderr(Stdio::null());
        command
            .spawn()
            .with_context(|| format!("running {}", cmd::describe(&command)))
    }

    /// Power off: QEMU is killed at once; the flash file keeps exactly
    /// what was programmed before.
    pub fn cut_power(&mut self) {
        drop(self.qemu.take());
    }
}

/// Runs `check`, then says which test step failed.
pub fn step<T>(what: &str, check: impl FnOnce() -> Result<T>) -> Result<T> {
    check().with_context(|| format!("step: {what}"))
}

/// The trust state's sequence number.
pub fn sequence(state: &Value) -> Result<u64> {
    state["sequence"]
        .as_u64()
        .with_context(|| format!("`keys list --json` has no sequence: {state}"))
}

/// The status (`active`, `revoked`) of the key with `fingerprint`.
pub fn key_status<'a>(state: &'a Value, fingerprint: &str) -> Option<&'a str> {
    state["keys"]
        .as_array()?
        .iter()
        .find(|key| key["fingerprint"] == fingerprint)
        .and_then(|key| key["status"].as_str())
}

/// The minimum version the state keeps for app `name`.
pub fn minimum_version(state: &Value, name: &str) -> Option<u64> {
    state["minimum_versions"]
        .as_array()?
        .iter()
        .find(|entry| entry["app"] == name)
        .and_then(|entry| entry["version"].as_u64())
}

/// The fingerprint `tbf keys show` gives a public key, via a change that
/// adds it (the fingerprint is the tools' one definition).
pub fn fingerprint(fixture: &Fixture, public: &str) -> Result<String> {
    let probe = root_change(fixture, "fingerprint-probe.bin", &["--add-key", public], 1)?;
    let mut show = fixture.packager();
    show.args(["keys", "show", "--json", &probe]);
    let text = cmd::output(&mut show)?;
    let value: Value = serde_json::from_str(text.trim())
        .with_context(|| format!("parsing `tbf keys show --json`: {text}"))?;
    value["key"]["fingerprint"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("`tbf keys show` gives no fingerprint: {value}"))
}
