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
use super::tockloader_pty::{boot_on_pty, tockloader, whole_pages};
use crate::tools;
use anyhow::{ensure, Context as _, Result};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

pub fn upstream_tockloader_installs_beside_a_running_app(bench: &LiveBench) -> Result<()> {
    let scratch = bench.scratch().join("tockloader-live");
    std::fs::create_dir_all(&scratch)?;
    let tab = page_aligned_tab(&scratch)?;
    bench.fresh_flash()?;
    let (_qemu, link) = boot_on_pty(bench, &scratch, false)?;
    let port = link.path();
    wait_for_service(bench, port)?;
    let spinner_tbf = page_aligned_spinner(bench, &scratch)?;
    bench.loader(&["install", &spinner_tbf], port)?;
    let spinner = bench.wait_for_state(port, "spinner", &["Running"])?;
    tockloader(&link, &["install", &tab])?;
    // The benchmark app has no runtime: it spins, or faults once its
    // restarts run out; either way the kernel loaded it as a process.
    bench.wait_for_state(port, "live", &["Running", "Faulted"])?;
    let still = bench.wait_for_state(port, "spinner", &["Running"])?;
    ensure!(
        still == spinner,
        "the spinner moved from {spinner:#x} to {still:#x}"
    );
    let listed = tockloader(&link, &["list"])?;
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
    whole_pages(package(0)?, package)?;
    Ok(scratch.join("spinner.tbf").to_string_lossy().into_owned())
}

/// Waits until the kernel's service answers (after the bootloader's
/// reset window).
fn wait_for_service(bench: &LiveBench, port: &str) -> Result<()> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        std::thread::sleep(Duration::from_millis(500));
        match bench.processes(port) {
            Ok(_) => return Ok(()),
            Err(error) if Instant::now() > deadline => {
                return Err(error).context("the kernel's loader service never answered")
            }
            Err(_) => {}
        }
    }
}
