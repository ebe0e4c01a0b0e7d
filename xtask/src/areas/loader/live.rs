//! The live device: loader-cli against the real kernel's loader service on
//! qemu-rv32-virt over TCP, and the power-cut tests (a link cut and a QEMU
//! kill in the middle of an install, each followed by a reboot).
//!
//! One machine session runs the whole life cycle (install two apps live,
//! list, replace one while the other keeps running, remove one); then
//! reboots prove what persisted. Test apps are the kernel's fixed-address
//! test apps; a "new version" of one is another app's ELF packaged under
//! its name (linked at another address, so the old stays intact until the
//! new is running).

use crate::areas::kernel::image;
use crate::areas::targets::RISCV32IMAC;
use crate::cmd;
use crate::context::Context;
use crate::qemu::{free_tcp_port, Machine, Qemu, QemuBuilder};
use crate::tools;
use anyhow::{bail, ensure, Context as _, Result};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Host-to-device bytes after which the power-cut tests cut: past the
/// loader's chain reading, in the middle of the new image's page writes.
pub const CUT_AFTER_BYTES: usize = 3000;
const BOOT_TIMEOUT: Duration = Duration::from_secs(20);

/// Everything a live test needs: the loader, a kernel, packaged apps.
pub struct LiveBench {
    loader: PathBuf,
    kernel: PathBuf,
    apps: PathBuf,
    flash: PathBuf,
}

impl LiveBench {
    /// Builds the loader, the kernel and the test apps.
    pub fn build(ctx: &Context) -> Result<LiveBench> {
        let loader = crate::tools::loader(ctx)?;
        let kernel = image::build_kernel(ctx)?;
        image::build_apps(ctx, 0, &[])?;
        let apps = ctx.scratch_dir("loader-live")?;
        for (elf, name, label) in [
            ("hello_b", "hello_b", "hello_b"),
            ("spinner", "spinner", "spinner"),
            ("witness", "witness", "witness"),
            // hello_b, version 2: another program at another address.
            ("ipc_service", "hello_b", "hello_b_v2"),
            // hello_b on test that faults at start (test installs revert).
            ("fault_kernel_ram", "hello_b", "hello_b_faulty"),
            // hello_b on test that confirms itself (a system call).
            ("confirm_on_test", "hello_b", "hello_b_confirms"),
        ] {
            package(ctx, &apps, elf, name, label, &[])?;
        }
        // A spinner whose SHA-256 credential covers its header.
        package(ctx, &apps, "spinner", "signed", "signed", &["--sha256"])?;
        // New versions of the spinner linked for its own slot: replaced
        // in place (one flash-journal commit).
        for version in ["2", "3"] {
            let label = format!("spinner_v{version}");
            let flags = ["--app-version", version];
            package(ctx, &apps, "spinner", "spinner", &label, &flags)?;
        }
        Ok(LiveBench {
            loader,
            kernel,
            flash: apps.join("live.pflash"),
            apps,
        })
    }

    /// The flash file the tests boot from.
    pub fn flash(&self) -> &Path {
        &self.flash
    }

    /// The directory of the packaged apps (tests may build more there).
    pub fn scratch(&self) -> &Path {
        &self.apps
    }

    /// The `loader` binary.
    pub fn loader_path(&self) -> &Path {
        &self.loader
    }

    /// The TBF file of packaged app `label`.
    pub fn tbf(&self, label: &str) -> String {
        let path = self.apps.join(label).join(format!("{label}.tbf"));
        path.to_string_lossy().into_owned()
    }

    /// Erased app flash with the kernel.
    pub fn fresh_flash(&self) -> Result<()> {
        image::write_flash_file(&self.flash, &self.kernel, &[])
    }

    /// QEMU with the serial port on TCP, for the loader.
    pub fn boot_for_loader(&self) -> Result<(Qemu, String)> {
        let port = free_tcp_port()?;
        let qemu = QemuBuilder::new(Machine::Rv32Virt)
            .pflash(0, &self.flash)
            .args(image::BOARD_ARGUMENTS.iter().copied())
            .serial_tcp(port)
            .spawn()?;
        // QEMU announces its listening socket on stderr.
        let deadline = Instant::now() + BOOT_TIMEOUT;
        while !qemu.log().contains("waiting for connection") {
            ensure!(
                Instant::now() < deadline,
                "QEMU did not open its serial socket: {}",
                qemu.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        wait_for_kernel(port).with_context(|| format!("QEMU said: {}", qemu.log()))?;
        Ok((qemu, format!("tcp:127.0.0.1:{port}")))
    }

    /// Reboot from the flash file with the console captured; returns the
    /// boot log once every app has been loaded.
    pub fn reboot_log(&self) -> Result<String> {
        let mut qemu = QemuBuilder::new(Machine::Rv32Virt)
            .pflash(0, &self.flash)
            .args(image::BOARD_ARGUMENTS.iter().copied())
            .spawn()?;
        let mut log = qemu.expect("kernel RAM per process", BOOT_TIMEOUT)?;
        // The rest of that line, so a log shown to a user ends whole.
        log.push_str(&qemu.expect(" bytes", BOOT_TIMEOUT)?);
        Ok(log)
    }

    /// Run the loader; its stdout on success, the error otherwise.
    pub fn loader(&self, arguments: &[&str], port: &str) -> Result<String> {
        let mut command = Command::new(&self.loader);
        command.args(arguments).args(["--port", port]);
        let output = command
            .output()
            .with_context(|| format!("running {}", cmd::describe(&command)))?;
        ensure!(
            output.status.success(),
            "`{}` failed ({}): {}",
            cmd::describe(&command),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The processes as `loader process list --json` reports them:
    /// (name, address, state).
    pub fn processes(&self, port: &str) -> Result<Vec<(String, u64, String)>> {
        let text = self.loader(&["process", "list", "--json"], port)?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing `process list --json`: {text}"))?;
        let list = value.as_array().context("process list is not an array")?;
        list.iter()
            .map(|p| {
                Ok((
                    p["name"].as_str().unwrap_or("").to_string(),
                    hex_address(&p["address"])
                        .with_context(|| format!("in `process list --json`: {text}"))?,
                    p["state"].as_str().unwrap_or("").to_string(),
                ))
            })
            .collect()
    }

    /// Wait until `name` is in `state` (the kernel runs apps meanwhile).
    pub fn wait_for_state(&self, port: &str, name: &str, states: &[&str]) -> Result<u64> {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        loop {
            let list = self.processes(port)?;
            let found = list.iter().find(|p| p.0 == name);
            if let Some((_, address, state)) = found {
                if states.contains(&state.as_str()) {
                    return Ok(*address);
                }
            }
            if Instant::now() > deadline {
                bail!("{name} did not reach {states:?}; processes: {list:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The console line that says the kernel has loaded its processes.
const KERNEL_UP: &[u8] = b"kernel RAM per process";

/// Connects to the serial socket (which starts the guest), reads the
/// console until the kernel is up, and disconnects: a loader connecting
/// at once would meet the bootloader's reset window instead.
pub(crate) fn wait_for_kernel(port: u16) -> Result<()> {
    let mut link =
        TcpStream::connect(("127.0.0.1", port)).context("connecting to QEMU's serial")?;
    link.set_read_timeout(Some(Duration::from_millis(200)))?;
    let deadline = Instant::now() + BOOT_TIMEOUT;
    let mut console = Vec::new();
    let mut buffer = [0u8; 512];
    while !console.windows(KERNEL_UP.len()).any(|w| w == KERNEL_UP) {
        ensure!(
            Instant::now() < deadline,
            "the kernel did not come up; the console said: {}",
            String::from_utf8_lossy(&console)
        );
        match link.read(&mut buffer) {
            Ok(0) => bail!("QEMU closed the serial link while booting"),
            Ok(count) => console.extend_from_slice(&buffer[..count]),
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            Err(error) => return Err(error).context("reading QEMU's serial"),
        }
    }
    Ok(())
}

/// Package `elf` (a built test app) as app `name` with upstream elf2tab,
/// into `directory/label/label.tbf`.
fn package(
    ctx: &Context,
    directory: &Path,
    elf: &str,
    name: &str,
    label: &str,
    extra: &[&str],
) -> Result<()> {
    let out = directory.join(label);
    std::fs::create_dir_all(&out)?;
    let copy = out.join(elf);
    std::fs::copy(ctx.artifact(RISCV32IMAC, "release", elf), &copy)
        .with_context(|| format!("copying the {elf} test app (was it built?)"))?;
    let elf2tab = tools::elf2tab_path()?;
    ensure!(
        elf2tab.is_file(),
        "elf2tab is missing at {}: run `cargo xtask setup`",
        elf2tab.display()
    );
    let mut command = Command::new(elf2tab);
    command
        .current_dir(&out)
        .args(["--kernel-major", "2", "--kernel-minor", "1"])
        .args(["--stack", "2048", "--app-heap", "4096"])
        .args(["--kernel-heap", "1024"])
        .args(extra)
        .args(["-n", name, "-o"])
        .arg(format!("{label}.tab"))
        .arg(elf);
    cmd::output(&mut command)?;
    // elf2tab names the TBF after the ELF.
    std::fs::rename(
        out.join(format!("{elf}.tbf")),
        out.join(format!("{label}.tbf")),
    )
    .with_context(|| format!("finding the TBF of {label}"))?;
    Ok(())
}

/// An address as `loader --json` writes it: a hex string ("0x20040000").
/// Anything else is an error, so a number slipping back in fails the live
/// tests rather than reading as address 0.
pub fn hex_address(value: &serde_json::Value) -> Result<u64> {
    let text = value
        .as_str()
        .with_context(|| format!("address {value} is not a hex string like \"0x20040000\""))?;
    let digits = text
        .strip_prefix("0x")
        .with_context(|| format!("address {text:?} lacks the 0x prefix"))?;
    u64::from_str_radix(digits, 16).with_context(|| format!("address {text:?} is not hex"))
}

/// A TCP proxy in front of `device` that forwards everything and cuts
/// the link once `limit` host-to-device bytes have passed; the returned
/// receiver hears when it cut. Returns the proxy's port.
pub fn cutting_proxy(device: &str, limit: usize) -> Result<(String, mpsc::Receiver<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = format!("tcp:{}", listener.local_addr()?);
    let device = device.trim_start_matches("tcp:").to_string();
    let (cut, heard) = mpsc::channel();
    std::thread::spawn(move || -> Result<()> {
        let (mut host, _) = listener.accept()?;
        let mut target = TcpStream::connect(&device)?;
        target.set_nodelay(true)?;
        let mut back = target.try_clone()?;
        let mut host_back = host.try_clone()?;
        std::thread::spawn(move || std::io::copy(&mut back, &mut host_back));
        let mut buffer = [0u8; 512];
        let mut passed = 0;
        while passed < limit {
            let count = host.read(&mut buffer)?;
            if count == 0 {
                break;
            }
            let allowed = count.min(limit - passed);
            target.write_all(&buffer[..allowed])?;
            passed += allowed;
        }
        let _ = target.shutdown(Shutdown::Both);
        let _ = host.shutdown(Shutdown::Both);
        let _ = cut.send(());
        Ok(())
    });
    Ok((port, heard))
}

/// A TCP proxy in front of `device` that forwards everything both ways
/// and tells the returned receiver once a host command frame with code
/// `command` has been forwarded (the test then kills QEMU: mid-command).
pub fn command_watching_proxy(device: &str, command: u8) -> Result<(String, mpsc::Receiver<()>)> {
    const ESCAPE: u8 = 0xfc;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = format!("tcp:{}", listener.local_addr()?);
    let device = device.trim_start_matches("tcp:").to_string();
    let (seen, heard) = mpsc::channel();
    std::thread::spawn(move || -> Result<()> {
        let (mut host, _) = listener.accept()?;
        let mut target = TcpStream::connect(&device)?;
        target.set_nodelay(true)?;
        let mut back = target.try_clone()?;
        let mut host_back = host.try_clone()?;
        std::thread::spawn(move || std::io::copy(&mut back, &mut host_back));
        let mut buffer = [0u8; 512];
        // After an ESC: the next byte is a doubled ESC or a command code.
        let mut after_escape = false;
        loop {
            let count = host.read(&mut buffer)?;
            if count == 0 {
                return Ok(());
            }
            target.write_all(&buffer[..count])?;
            for &byte in &buffer[..count] {
                if after_escape && byte == command {
                    let _ = seen.send(());
                }
                after_escape = !after_escape && byte == ESCAPE;
            }
        }
    });
    Ok((port, heard))
}
