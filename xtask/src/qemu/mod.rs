//! A harness that boots QEMU like a device on a bench: serial in and out,
//! an exit status, a timeout on every wait.
//!
//! ```text
//! let mut qemu = QemuBuilder::new(Machine::Rv32Virt).pflash(0, &flash).spawn()?;
//! qemu.expect("Initialization complete", Duration::from_secs(10))?;
//! qemu.send(b"list\n")?;
//! let exit = qemu.wait(Duration::from_secs(10))?;   // exit.code: the guest's code
//! ```
//!
//! Every wait has a timeout; when it runs out, QEMU is killed and the error
//! holds everything it printed. Time is never asserted on otherwise.
//!
//! The serial port goes to stdio (default) or a Unix socket, both captured
//! here for `expect`/`send`; or to a pty or a TCP port for an outside client
//! such as the loader (`serial_pty`, `serial_tcp`).
//! `qemu-rv32-virt` exits through the SiFive test device (QEMU's status is
//! the guest's code); `mps2-an386` through semihosting `SYS_EXIT_EXTENDED`.

use crate::cmd;
use anyhow::{bail, Context as _, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod capture;
pub mod console;
mod flash;
mod instructions;
mod running;

pub use capture::Capture;
pub use flash::{
    create_erased_flash, create_flash_if_missing, read_flash, write_flash, PFLASH_SIZE,
    RV32_VIRT_PFLASH0_BASE, RV32_VIRT_PFLASH1_BASE,
};
pub use instructions::{count_instructions, per_iteration};
pub use running::{Qemu, QemuExit};

/// The emulated boards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Machine {
    /// `qemu-system-riscv32 -M virt -bios none`: RV32 with PMP, 16550 UART, pflash.
    Rv32Virt,
    /// `qemu-system-arm -M mps2-an386 -semihosting`: Cortex-M4 with MPU, CMSDK UART.
    Mps2An386,
}

impl Machine {
    fn program(self) -> &'static str {
        match self {
            Machine::Rv32Virt => "qemu-system-riscv32",
            Machine::Mps2An386 => "qemu-system-arm",
        }
    }

    fn base_arguments(self) -> &'static [&'static str] {
        match self {
            Machine::Rv32Virt => &["-M", "virt", "-bios", "none"],
            Machine::Mps2An386 => &["-M", "mps2-an386", "-semihosting"],
        }
    }
}

/// Where the guest's first serial port goes.
#[derive(Clone, Debug)]
enum Serial {
    /// QEMU's stdin and stdout (binary-safe with `-display none`), captured.
    Stdio,
    /// A Unix socket QEMU listens on; the harness connects and captures it.
    UnixSocket(PathBuf),
    /// A pty for an outside client; QEMU starts paused (`-S`) so no output is
    /// lost before the client opens it, and runs on [`Qemu::resume`]
    /// through its monitor socket.
    Pty { monitor: PathBuf },
    /// A TCP server on 127.0.0.1 for an outside client; QEMU starts when it connects.
    Tcp(u16),
}

/// Builds a QEMU command line for one run.
pub struct QemuBuilder {
    machine: Machine,
    arguments: Vec<OsString>,
    serial: Serial,
    count_instructions: bool,
}

impl QemuBuilder {
    /// A machine with no display, no monitor and the serial port on stdio.
    pub fn new(machine: Machine) -> QemuBuilder {
        QemuBuilder {
            machine,
            arguments: Vec::new(),
            serial: Serial::Stdio,
            count_instructions: false,
        }
    }

    /// Adds raw QEMU arguments.
    pub fn args<I, S>(mut self, arguments: I) -> QemuBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.arguments.extend(arguments.into_iter().map(Into::into));
        self
    }

    /// Boots an ELF image (`-kernel`).
    pub fn kernel(self, elf: &Path) -> QemuBuilder {
        self.args([OsString::from("-kernel"), elf.into()])
    }

    /// Attaches a 32 MiB pflash file as unit `unit` (rv32 virt: unit 0 at
    /// 0x2000_0000 is also the reset vector; unit 1 at 0x2200_0000).
    pub fn pflash(self, unit: u8, file: &Path) -> QemuBuilder {
        let mut drive = OsString::from(format!("if=pflash,unit={unit},format=raw,file="));
        drive.push(file);
        self.args([OsString::from("-drive"), drive])
    }

    /// Places a raw file at `address` (`-device loader`).
    pub fn load_raw(self, file: &Path, address: u64) -> QemuBuilder {
        let mut device = OsString::from("loader,file=");
        device.push(file);
        device.push(format!(",addr={address:#x},force-raw=on"));
        self.args([OsString::from("-device"), device])
    }

    /// Puts the serial port on a Unix socket at `path` (kept short: about
    /// 100 bytes at most) instead of stdio; `expect` and `send` use it.
    pub fn serial_socket(mut self, path: &Path) -> QemuBuilder {
        self.serial = Serial::UnixSocket(path.to_path_buf());
        self
    }

    /// Puts the serial port on a pty for an outside client (the loader):
    /// [`Qemu::serial_path`] names it. QEMU stays paused until
    /// [`Qemu::resume`], which talks to a monitor socket at `monitor`.
    pub fn serial_pty(mut self, monitor: &Path) -> QemuBuilder {
        self.serial = Serial::Pty {
            monitor: monitor.to_path_buf(),
        };
        self
    }

    /// Puts the serial port on TCP 127.0.0.1:`port` for an outside client;
    /// the guest starts when the client connects. See [`free_tcp_port`].
    pub fn serial_tcp(mut self, port: u16) -> QemuBuilder {
        self.serial = Serial::Tcp(port);
        self
    }

    /// Loads the instruction-count plugin; [`QemuExit::instructions`] then
    /// holds the number of guest instructions executed.
    pub fn count_instructions(mut self) -> QemuBuilder {
        self.count_instructions = true;
        self
    }

    fn serial_arguments(&self, command: &mut Command) {
        let mut monitor = OsString::from("none");
        match &self.serial {
            Serial::Stdio => {
                command.args(["-serial", "stdio"]);
            }
            Serial::UnixSocket(path) => {
                let mut chardev = OsString::from("socket,id=serial0,server=on,wait=on,path=");
                chardev.push(path);
                command.arg("-chardev").arg(chardev);
                command.args(["-serial", "chardev:serial0"]);
            }
            Serial::Pty { monitor: socket } => {
                monitor = OsString::from("unix:");
                monitor.push(socket);
                monitor.push(",server=on,wait=off");
                command.args(["-S", "-serial", "pty"]);
            }
            Serial::Tcp(port) => {
                command.arg("-serial");
                // nodelay: without it every answer waits ~40 ms for
                // delayed ACKs (Nagle), 40x the protocol's own time.
                command.arg(format!("tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on"));
            }
        }
        command.arg("-monitor").arg(monitor);
    }

    /// The full command line.
    pub fn command(&self) -> Result<Command> {
        let mut command = Command::new(self.machine.program());
        command
            .args(self.machine.base_arguments())
            .args(["-display", "none"]);
        self.serial_arguments(&mut command);
        if self.count_instructions {
            let plugin = crate::tools::insn_plugin_path()?;
            if !plugin.is_file() {
                bail!(
                    "the instruction-count plugin {} is missing: run `cargo xtask setup`",
                    plugin.display()
                );
            }
            command.arg("-plugin").arg(plugin).args(["-d", "plugin"]);
        }
        command.args(&self.arguments);
        Ok(command)
    }

    /// Starts QEMU.
    pub fn spawn(self) -> Result<Qemu> {
        if let Serial::UnixSocket(path) | Serial::Pty { monitor: path } = &self.serial {
            // A socket left by an earlier run would make QEMU's bind fail.
            if path.exists() {
                std::fs::remove_file(path)
                    .with_context(|| format!("removing the stale socket {}", path.display()))?;
            }
        }
        let mut command = self.command()?;
        let command_line = cmd::describe(&command);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| {
                format!(
                    "could not start {}: run `cargo xtask setup` to install QEMU",
                    self.machine.program()
                )
            })?;
        let stdout = Capture::start(child.stdout.take().context("QEMU has no stdout pipe")?);
        let stderr = Capture::start(child.stderr.take().context("QEMU has no stderr pipe")?);
        let stdin = child.stdin.take().context("QEMU has no stdin pipe")?;
        let mut qemu = Qemu::new(child, command_line, stdout, stderr);
        match self.serial {
            Serial::Stdio => qemu.capture_stdio(stdin),
            Serial::UnixSocket(path) => qemu.connect_socket(&path)?,
            Serial::Pty { monitor } => qemu.find_pty(monitor)?,
            Serial::Tcp(port) => qemu.set_tcp_port(port),
        }
        Ok(qemu)
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (for [`QemuBuilder::serial_tcp`]).
pub fn free_tcp_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free TCP port")?;
    Ok(listener.local_addr()?.port())
}
