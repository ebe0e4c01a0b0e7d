//! Upstream tockloader 1.19 against the running kernel's loader service
//! (`--no-bootloader-entry`, through a pty symlink): it lists the apps,
//! and its `install` writes a new app beside a running one, which the
//! kernel starts when tockloader ends its session (EXIT), no reboot.
//!
//! tockloader rewrites its whole layout: pages identical to flash are
//! no-ops, its app header over the old padding header sets bits (the
//! kernel's flash journal rewrites that block while the other app keeps
//! its bytes), and it never changes a byte of the running app.

use super::bootloader_tests::page_aligned_tab;
use super::live::LiveBench;
use crate::qemu::{Machine, Qemu, QemuBuilder};
use crate::tools;
use anyhow::{ensure, Context as _, Result};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The symlink to the pty (pyserial lists `/dev/ttyUSB*`, not
/// `/dev/pts/*`); apart from the bootloader tests' one.
const PORT: &str = "/dev/ttyUSB-qemu-live";
const TIMEOUT: Duration = Duration::from_secs(20);

pub fn upstream_tockloader_installs_beside_a_running_app(bench: &LiveBench) -> Result<()> {
    let scratch = bench.scratch().join("tockloader-live");
    std::fs::create_dir_all(&scratch)?;
    let tab = page_aligned_tab(&scratch)?;
    bench.fresh_flash()?;
    let _qemu = boot_on_pty(bench, &scratch)?;
    wait_for_service(bench)?;
    let spinner_tbf = page_aligned_spinner(bench, &scratch)?;
    bench.loader(&["install", &spinner_tbf], PORT)?;
    let spinner = bench.wait_for_state(PORT, "spinner", &["Running"])?;
    tockloader(&["install", &tab])?;
    // The benchmark app has no runtime: it spins, or faults once its
    // restarts run out; either way the kernel loaded it as a process.
    bench.wait_for_state(PORT, "live", &["Running", "Faulted"])?;
    let still = bench.wait_for_state(PORT, "spinner", &["Running"])?;
    ensure!(
        still == spinner,
        "the spinner moved from {spinner:#x} to {still:#x}"
    );
    let listed = tockloader(&["list"])?;
    ensure!(
        listed.contains("live") && listed.contains("spinner"),
        "tockloader list lacks an app: {listed}"
    );
    Ok(())
}

/// The spinner packaged so that its image ends on a 512-byte page: it is
/// the last app of the chain, and tockloader 1.19's serial `clear_bytes`
/// crashes when the chain ends inside a page.
fn page_aligned_spinner(bench: &LiveBench, scratch: &Path) -> Result<String> {
    // elf2tab writes the TBF beside the ELF: package a copy, here.
    let elf = scratch.join("spinner");
    std::fs::copy(bench.scratch().join("spinner").join("spinner"), &elf)
        .context("copying the spinner's ELF")?;
    let elf2tab = tools::elf2tab_path()?;
    let package = |footer: u64| -> Result<u64> {
        let mut command = Command::new(&elf2tab);
        command
            .current_dir(scratch)
            .args(["--kernel-major", "2", "--kernel-minor", "1"])
            .args([
                "--stack",
                "2048",
                "--app-heap",
                "4096",
                "--kernel-heap",
                "1024",
            ])
            .args(["-n", "spinner", "-o", "spinner.tab"])
            .arg(format!("--minimum-footer-size={footer}"))
            .arg(&elf);
        crate::cmd::output(&mut command)?;
        let tbf = scratch.join("spinner.tbf");
        Ok(std::fs::metadata(&tbf)
            .with_context(|| format!("reading {}", tbf.display()))?
            .len())
    };
    let size = package(0)?;
    let mut footer = (512 - size % 512) % 512;
    if footer != 0 && footer < 16 {
        footer += 512;
    }
    let size = package(footer)?;
    ensure!(
        size % 512 == 0,
        "the spinner's TBF is {size} bytes, not whole pages"
    );
    Ok(scratch.join("spinner.tbf").to_string_lossy().into_owned())
}

/// QEMU with its serial port on a pty behind [`PORT`], running.
fn boot_on_pty(bench: &LiveBench, scratch: &Path) -> Result<Qemu> {
    let mut qemu = QemuBuilder::new(Machine::Rv32Virt)
        .pflash(0, bench.flash())
        .args(crate::areas::kernel::image::BOARD_ARGUMENTS.iter().copied())
        .serial_pty(&scratch.join("monitor.sock"))
        .spawn()?;
    let pty = qemu
        .serial_path()
        .context("QEMU named no pty")?
        .to_path_buf();
    let link = Path::new(PORT);
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(link).with_context(|| format!("removing the old {PORT}"))?;
    }
    std::os::unix::fs::symlink(&pty, link).with_context(|| {
        format!(
            "cannot create {PORT} -> {}: tockloader finds ports only by such names; \
             run the tests as root",
            pty.display()
        )
    })?;
    qemu.resume()?;
    Ok(qemu)
}

/// Waits until the kernel's service answers (after the bootloader's
/// reset window).
fn wait_for_service(bench: &LiveBench) -> Result<()> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        std::thread::sleep(Duration::from_millis(500));
        match bench.processes(PORT) {
            Ok(_) => return Ok(()),
            Err(error) if Instant::now() > deadline => {
                return Err(error).context("the kernel's loader service never answered")
            }
            Err(_) => {}
        }
    }
}

/// Upstream tockloader on [`PORT`]; its stdout and stderr.
fn tockloader(arguments: &[&str]) -> Result<String> {
    let program = tools::tockloader_path()?;
    ensure!(
        program.is_file(),
        "upstream tockloader is missing at {}: run `cargo xtask setup`",
        program.display()
    );
    let output = Command::new(&program)
        .args(arguments)
        .args(["--port", PORT, "--no-bootloader-entry"])
        .output()
        .with_context(|| format!("running {}", program.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    ensure!(
        output.status.success() && !text.contains("[ERROR"),
        "tockloader {arguments:?} against the live kernel failed ({}): {text}",
        output.status
    );
    Ok(text)
}
