//! Live installs on a board with the key: the running kernel's loader
//! service writes what the loader sends, but the kernel itself checks the
//! app before it starts, so a tampered app never runs, and a reboot
//! refuses it again with the reason on the console.

use super::fixture::{Fixture, Key, Policy};
use super::kernel_image::BOARD_ARGUMENTS;
use super::scenarios::altered_code;
use crate::cmd;
use crate::qemu::{free_tcp_port, Machine, Qemu, QemuBuilder};
use anyhow::{bail, ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);
/// The app installed with one code byte changed (slot 1).
const TAMPERED: &str = "hello_b";
/// Longer than one verification and the deferred calls around it take.
pub(super) const SETTLE: Duration = Duration::from_secs(3);

pub(super) struct Device {
    loader: PathBuf,
    port: String,
    _qemu: Qemu,
}

impl Device {
    /// Boots `flash` with the serial link on TCP for the loader.
    pub(super) fn boot(loader: PathBuf, flash: &Path) -> Result<Device> {
        let port = free_tcp_port()?;
        let qemu = QemuBuilder::new(Machine::Rv32Virt)
            .pflash(0, flash)
            .args(BOARD_ARGUMENTS.iter().copied())
            .serial_tcp(port)
            .spawn()?;
        let deadline = Instant::now() + TIMEOUT;
        while !qemu.log().contains("waiting for connection") {
            ensure!(
                Instant::now() < deadline,
                "QEMU did not open its serial socket: {}",
                qemu.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        crate::areas::loader::wait_for_kernel(port)?;
        Ok(Device {
            loader,
            port: format!("tcp:127.0.0.1:{port}"),
            _qemu: qemu,
        })
    }

    /// `loader ARGUMENTS --port PORT`: its output (stdout and stderr) and
    /// whether it succeeded.
    pub(super) fn loader(&self, arguments: &[&str]) -> Result<(bool, String)> {
        let mut command = Command::new(&self.loader);
        command.args(arguments).args(["--port", &self.port]);
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

    /// Names of the loaded processes.
    pub(super) fn processes(&self) -> Result<Vec<String>> {
        let (ok, text) = self.loader(&["process", "list", "--json"])?;
        ensure!(ok, "`loader process list` failed: {text}");
        let value: serde_json::Value = serde_json::from_str(text.trim())
            .with_context(|| format!("parsing `process list --json`: {text}"))?;
        let list = value.as_array().context("process list is not an array")?;
        Ok(list
            .iter()
            .filter_map(|process| process["name"].as_str().map(str::to_string))
            .collect())
    }
}

/// A signed app installed live runs; another with one code byte changed,
/// installed live, is refused by the kernel, the loader prints the
/// device's reason, the app is never listed once checked, and its image
/// is freed at once (the next boot does not meet it).
pub fn tampered_live_install_is_refused_by_the_device(fixture: &mut Fixture) -> Result<()> {
    let loader = crate::tools::loader(fixture.context())?;
    let kernel = fixture.kernel(Policy::Signature)?;
    // Slot order: the loader places fixed-address apps after those there.
    let good = fixture.signed(&fixture.package("hello_a", "hello_a", 1)?, Key::Board)?;
    let signed = fixture.signed(&fixture.package(TAMPERED, TAMPERED, 1)?, Key::Board)?;
    let tampered = altered_code(&signed)?;
    let flash = fixture.flash("live-install", &kernel, &[])?;
    let good_file = fixture.file("live-good.tbf", &good)?;
    let tampered_file = fixture.file("live-tampered.tbf", &tampered)?;

    let device = Device::boot(loader, &flash)?;
    let (ok, text) = device.loader(&["install", &good_file])?;
    ensure!(ok, "installing a signed app live failed: {text}");
    std::thread::sleep(SETTLE);
    let listed = device.processes()?;
    ensure!(
        listed.iter().any(|name| name == "hello_a"),
        "the signed app is not loaded after a live install: {listed:?}"
    );
    let (ok, text) = device.loader(&["install", &tampered_file])?;
    ensure!(
        !ok && text.contains("refused: 1 signature(s) verify with none of the board's 1 key(s)"),
        "the loader does not print the device's refusal of the tampered app: {text}"
    );
    println!("signing: the loader printed: {}", text.trim());
    std::thread::sleep(SETTLE);
    let listed = device.processes()?;
    if listed.iter().any(|name| name == TAMPERED) {
        bail!("the tampered app is loaded after a live install ({text}): {listed:?}");
    }
    drop(device);

    // A refused operation changes nothing (issue 16): the loader frees the
    // refused image at once, so the next boot neither loads nor refuses it.
    let exit = reboot_log(&flash)?;
    ensure!(
        !exit.contains("app hello_b at 0x20050000"),
        "after a reboot the console still meets the refused image (the live install \
         said: {text}):\n{exit}"
    );
    listed_without_refused(fixture, &flash)
}

/// The refused image was freed: `list` shows the signed app only.
fn listed_without_refused(fixture: &Fixture, flash: &Path) -> Result<()> {
    let device = Device::boot(crate::tools::loader(fixture.context())?, flash)?;
    std::thread::sleep(SETTLE);
    let (ok, listed) = device.loader(&["list"])?;
    ensure!(
        ok && !listed.contains(TAMPERED) && listed.contains("hello_a"),
        "after the refused live install, `list` says: {listed}"
    );
    Ok(())
}

/// Boots `flash` with the console captured until every app is checked.
fn reboot_log(flash: &Path) -> Result<String> {
    let mut qemu = Fixture::board(flash).spawn()?;
    qemu.expect("kernel RAM per process", TIMEOUT)?;
    std::thread::sleep(SETTLE);
    Ok(qemu.output())
}
