//! Upstream tockloader 1.19 on the emulated board: QEMU's serial on a pty
//! reached through a `/dev/ttyUSB*` symlink (pyserial's port list has no
//! `/dev/pts` entries), and apps packaged to whole 512-byte pages
//! (tockloader 1.19's serial `clear_bytes` crashes, a missing private
//! method, when the chain ends inside a page). Shared by the bootloader
//! tests, the bootloader bench and the live-kernel test.

use super::bootloader_tests::HOLD_BOOTLOADER;
use super::live::LiveBench;
use crate::qemu::{Machine, Qemu, QemuBuilder};
use crate::tools;
use anyhow::{ensure, Context as _, Result};
use std::path::Path;
use std::process::Command;

/// The symlink tockloader reaches the pty through (pyserial's port list
/// has no /dev/pts entries, but lists /dev/ttyUSB*); one per xtask
/// process, so that runs side by side do not take each other's port.
fn tockloader_port() -> String {
    format!("/dev/ttyUSB-qemu-{}", std::process::id())
}

/// The symlink, removed when dropped.
pub struct PortLink(String);

impl PortLink {
    /// The port's path.
    pub fn path(&self) -> &str {
        &self.0
    }
}

impl Drop for PortLink {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// QEMU on a pty behind a fresh [`PortLink`], running; in bootloader mode
/// at reset when `hold_bootloader` is set, else the kernel boots.
pub fn boot_on_pty(
    bench: &LiveBench,
    scratch: &Path,
    hold_bootloader: bool,
) -> Result<(Qemu, PortLink)> {
    let mut builder = QemuBuilder::new(Machine::Rv32Virt)
        .pflash(0, bench.flash())
        .args(crate::areas::kernel::image::BOARD_ARGUMENTS.iter().copied())
        .serial_pty(&scratch.join("tockloader-monitor.sock"));
    if hold_bootloader {
        builder = builder.args(HOLD_BOOTLOADER);
    }
    let mut qemu = builder.spawn()?;
    let pty = qemu
        .serial_path()
        .context("QEMU named no pty")?
        .to_path_buf();
    let name = tockloader_port();
    let link = Path::new(&name);
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(link).with_context(|| format!("removing the old {name}"))?;
    }
    std::os::unix::fs::symlink(&pty, link).with_context(|| {
        format!(
            "cannot create {name} -> {}: tockloader finds ports only by such names; \
             run the tests as root (or create the link by hand)",
            pty.display()
        )
    })?;
    let link = PortLink(name);
    qemu.resume()?;
    Ok((qemu, link))
}

/// Upstream tockloader on `port`; its stdout and stderr.
pub fn tockloader(port: &PortLink, arguments: &[&str]) -> Result<String> {
    let program = tools::tockloader_path()?;
    ensure!(
        program.is_file(),
        "upstream tockloader is missing at {}: run `cargo xtask setup`",
        program.display()
    );
    let output = Command::new(&program)
        .args(arguments)
        .args(["--port", port.path(), "--no-bootloader-entry"])
        .output()
        .with_context(|| format!("running {}", program.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    ensure!(
        output.status.success() && !text.contains("[ERROR"),
        "tockloader {arguments:?} on {} failed ({}): {text}",
        port.path(),
        output.status
    );
    Ok(text)
}

/// Makes a TBF of `size` bytes end on a 512-byte page: `package(footer)`
/// packages it again with that much footer room and returns its new size
/// (a footer needs at least 16 bytes, so a short gap takes a page more).
pub fn whole_pages(size: u64, mut package: impl FnMut(u64) -> Result<u64>) -> Result<()> {
    let mut footer = (512 - size % 512) % 512;
    if footer == 0 {
        return Ok(());
    }
    if footer < 16 {
        footer += 512;
    }
    let size = package(footer)?;
    ensure!(
        size % 512 == 0,
        "the app's TBF is {size} bytes, not whole pages"
    );
    Ok(())
}
