//! `cargo xtask qemu --board qemu-rv32-virt --serial tcp:PORT|pty`: the
//! board with its serial line where the loader can reach it, instead of on
//! the terminal. The kernel is up before the command says where to
//! connect, so a loader that connects then meets the running kernel (not
//! the bootloader's reset window).

use super::{board_with_tabs, image};
use crate::context::Context;
use crate::exit::UsageError;
use crate::BoardRun;
use anyhow::{Context as _, Result};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The kernel's boot line that says it is up (as the loader area's
/// `wait_for_kernel` waits for on TCP).
const KERNEL_UP: &str = "kernel RAM per process";

/// How long QEMU may take to open its socket or pty.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// Where `cargo xtask qemu` puts the board's serial line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SerialLine {
    /// This terminal (the default): the console to type at.
    Terminal,
    /// A TCP server on 127.0.0.1 (`tcp:PORT`, or `tcp` for a free port).
    Tcp(Option<u16>),
    /// A pty, whose path is printed.
    Pty,
}

impl std::str::FromStr for SerialLine {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<SerialLine> {
        match text {
            "stdio" | "terminal" => Ok(SerialLine::Terminal),
            "pty" => Ok(SerialLine::Pty),
            "tcp" => Ok(SerialLine::Tcp(None)),
            _ => {
                let port = text
                    .strip_prefix("tcp:")
                    .map(|port| port.rsplit(':').next().unwrap_or(port))
                    .and_then(|port| port.parse::<u16>().ok())
                    .filter(|port| *port != 0);
                port.map(|port| SerialLine::Tcp(Some(port))).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--serial {text}: use tcp:PORT (e.g. tcp:4444, or \
                         tcp:127.0.0.1:4444), tcp (a free port), pty, or stdio"
                    )
                })
            }
        }
    }
}

/// Boots `run` with its serial line on `line` (TCP or pty), says where and
/// how to stop it, and waits until QEMU ends; returns its exit code.
pub fn serve(ctx: &Context, run: &BoardRun, line: &SerialLine) -> Result<i32> {
    let flash = match &run.flash {
        Some(flash) => flash.clone(),
        None => ctx.scratch_dir("qemu")?.join("qemu-rv32-virt.pflash"),
    };
    let kernel = image::build_kernel(ctx)?;
    let board = board_with_tabs(ctx, &kernel, &flash, &run.tabs)?;
    let board = super::with_requested_hid_link(board, run)?;
    let (mut qemu, port) = match line {
        SerialLine::Terminal => {
            return Err(anyhow::anyhow!("the terminal needs no serving").context(UsageError))
        }
        SerialLine::Tcp(port) => {
            let port = match port {
                Some(port) => *port,
                None => crate::qemu::free_tcp_port()?,
            };
            let qemu = board.serial_tcp(port).spawn()?;
            wait_for_socket(&qemu)?;
            crate::areas::loader::wait_for_kernel(port)
                .with_context(|| format!("QEMU said: {}", qemu.log()))?;
            (qemu, format!("tcp:127.0.0.1:{port}"))
        }
        SerialLine::Pty => {
            let monitor = ctx
                .scratch_dir("qemu")?
                .join(format!("monitor-{}.sock", std::process::id()));
            let mut qemu = board.serial_pty(&monitor).spawn()?;
            let pty: PathBuf = qemu
                .serial_path()
                .context("QEMU named no pty")?
                .to_path_buf();
            wait_for_kernel_on_pty(&mut qemu, &pty)?;
            (qemu, pty.display().to_string())
        }
    };
    println!(
        "{board} is running (flash {flash}); its serial line is {port}\n\
         \n  loader install --port {port} APP.tab   install an app; it starts at once\n  \
         loader process list --port {port}      what runs\n  \
         loader listen --port {port}            the console (Ctrl-C ends listening)\n\
         \nStop the board with Ctrl-C here. docs/loader.md has every loader verb.",
        board = run.board.name(),
        flash = flash.display(),
    );
    loop {
        if let Some(status) = qemu.exit_status()? {
            return status.code().context("QEMU was killed by a signal");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Resumes the paused QEMU with a reader on `pty` (a pty drops output
/// while nobody has it open) and waits for the kernel's boot line. The
/// reader is `grep -m 1`, which closes the pty once it matched, so the
/// loader is then the only one reading it.
fn wait_for_kernel_on_pty(qemu: &mut crate::qemu::Qemu, pty: &std::path::Path) -> Result<()> {
    let mut reader = std::process::Command::new("grep")
        .args(["-q", "-a", "-m", "1", KERNEL_UP])
        .arg(pty)
        .spawn()
        .context("starting grep to watch the pty")?;
    qemu.resume()?;
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Some(status) = reader.try_wait().context("watching the pty")? {
            anyhow::ensure!(
                status.success(),
                "reading {} failed ({status})",
                pty.display()
            );
            return Ok(());
        }
        if Instant::now() >= deadline {
            let _ = reader.kill();
            let _ = reader.wait();
            anyhow::bail!(
                "the kernel did not print `{KERNEL_UP}` on {} within {STARTUP_TIMEOUT:?}: {}",
                pty.display(),
                qemu.log()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for QEMU to announce its listening socket.
fn wait_for_socket(qemu: &crate::qemu::Qemu) -> Result<()> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    while !qemu.log().contains("waiting for connection") {
        anyhow::ensure!(
            Instant::now() < deadline,
            "QEMU did not open its serial socket: {}",
            qemu.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_lines_parse_as_documented() {
        assert_eq!(
            "tcp:4444".parse::<SerialLine>().unwrap(),
            SerialLine::Tcp(Some(4444))
        );
        assert_eq!(
            "tcp:127.0.0.1:4444".parse::<SerialLine>().unwrap(),
            SerialLine::Tcp(Some(4444))
        );
        assert_eq!("tcp".parse::<SerialLine>().unwrap(), SerialLine::Tcp(None));
        assert_eq!("pty".parse::<SerialLine>().unwrap(), SerialLine::Pty);
        assert_eq!("stdio".parse::<SerialLine>().unwrap(), SerialLine::Terminal);
        for bad in ["tcp:", "tcp:0", "tcp:99999", "udp:1", "serial"] {
            assert!(bad.parse::<SerialLine>().is_err(), "{bad}");
        }
    }
}
