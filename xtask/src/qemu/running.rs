//! A running QEMU: serial expect/send, resuming a paused machine, waiting
//! for the exit status, and errors that carry everything QEMU printed.

use super::capture::Capture;
use super::instructions;
use anyhow::{bail, Context as _, Result};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ExitStatus};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long QEMU may take to open its sockets or report its pty.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
const PTY_ANNOUNCEMENT: &str = "char device redirected to ";

/// How a QEMU run ended.
#[derive(Debug)]
pub struct QemuExit {
    /// QEMU's exit status: the guest's exit code.
    pub code: i32,
    /// Everything the guest wrote to a captured serial port (lossy UTF-8).
    pub output: String,
    /// The same, byte for byte.
    pub raw_output: Vec<u8>,
    /// Guest instructions executed, when counting was asked for.
    pub instructions: Option<u64>,
}

/// A running QEMU. Dropping it kills QEMU.
pub struct Qemu {
    child: Child,
    command_line: String,
    /// QEMU's stdout: the serial port in stdio mode, its messages otherwise.
    stdout: Arc<Capture>,
    /// QEMU's stderr: its warnings and the plugin's count.
    log: Arc<Capture>,
    serial: Option<Arc<Capture>>,
    input: Option<Box<dyn Write + Send>>,
    serial_path: Option<PathBuf>,
    monitor: Option<PathBuf>,
    tcp_port: Option<u16>,
    cursor: usize,
}

impl Qemu {
    pub(super) fn new(
        child: Child,
        command_line: String,
        stdout: Arc<Capture>,
        log: Arc<Capture>,
    ) -> Qemu {
        Qemu {
            child,
            command_line,
            stdout,
            log,
            serial: None,
            input: None,
            serial_path: None,
            monitor: None,
            tcp_port: None,
            cursor: 0,
        }
    }

    pub(super) fn capture_stdio(&mut self, stdin: ChildStdin) {
        self.serial = Some(Arc::clone(&self.stdout));
        self.input = Some(Box::new(stdin));
    }

    pub(super) fn connect_socket(&mut self, path: &Path) -> Result<()> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(stream) => break stream,
                Err(error) if Instant::now() >= deadline => {
                    return Err(self.failure(&format!(
                        "could not connect to the serial socket {}: {error}",
                        path.display()
                    )))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        self.input = Some(Box::new(
            stream.try_clone().context("cloning the serial socket")?,
        ));
        self.serial = Some(Capture::start(stream));
        Ok(())
    }

    pub(super) fn find_pty(&mut self, monitor: PathBuf) -> Result<()> {
        let Some(end) = self
            .stdout
            .wait_for(0, b" (label serial0)", STARTUP_TIMEOUT)
        else {
            return Err(self.failure("QEMU did not report its serial pty"));
        };
        let stdout = String::from_utf8_lossy(&self.stdout.bytes()[..end]).into_owned();
        let path = stdout
            .rsplit_once(PTY_ANNOUNCEMENT)
            .and_then(|(_, rest)| rest.split_once(" (label serial0)"))
            .map(|(path, _)| PathBuf::from(path.trim()));
        self.serial_path = path;
        self.monitor = Some(monitor);
        Ok(())
    }

    pub(super) fn set_tcp_port(&mut self, port: u16) {
        self.tcp_port = Some(port);
    }

    /// The pty of the serial port (`serial_pty` mode) for a client to open.
    pub fn serial_path(&self) -> Option<&Path> {
        self.serial_path.as_deref()
    }

    /// `127.0.0.1:PORT` of the serial port (`serial_tcp` mode).
    pub fn serial_address(&self) -> Option<String> {
        self.tcp_port.map(|port| format!("127.0.0.1:{port}"))
    }

    /// Starts a machine that `serial_pty` left paused, through its monitor.
    pub fn resume(&mut self) -> Result<()> {
        let Some(monitor) = self.monitor.clone() else {
            bail!("resume: this QEMU was not started paused (only `serial_pty` does that)");
        };
        let result = send_monitor_command(&monitor, "cont");
        result
            .map_err(|error| self.failure(&format!("resuming QEMU through its monitor: {error:#}")))
    }

    fn captured_serial(&mut self) -> Result<Arc<Capture>> {
        match &self.serial {
            Some(serial) => Ok(Arc::clone(serial)),
            None => {
                bail!("the serial port belongs to an outside client (pty or TCP); read it there")
            }
        }
    }

    /// Everything the guest has written to a captured serial port so far, byte for byte.
    pub fn raw_output(&self) -> Vec<u8> {
        self.serial
            .as_ref()
            .map(|serial| serial.bytes())
            .unwrap_or_default()
    }

    /// Everything the guest has written to a captured serial port so far (lossy UTF-8).
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.raw_output()).into_owned()
    }

    /// QEMU's own messages (stderr) so far, including the plugin's count.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.log.bytes()).into_owned()
    }

    /// Waits until `pattern` appears in the serial output after the previous
    /// match, and returns the output up to the end of this match. On
    /// timeout or QEMU exiting first, kills QEMU and fails with the output.
    pub fn expect(&mut self, pattern: &str, timeout: Duration) -> Result<String> {
        let serial = self.captured_serial()?;
        match serial.wait_for(self.cursor, pattern.as_bytes(), timeout) {
            Some(end) => {
                let text = String::from_utf8_lossy(&serial.bytes()[self.cursor..end]).into_owned();
                self.cursor = end;
                Ok(text)
            }
            None => Err(self.failure(&format!(
                "{pattern:?} did not appear on the serial port within {timeout:?}"
            ))),
        }
    }

    /// Waits until `check` finds what it looks for in the serial output so
    /// far (all of it, lossy UTF-8; called again as more arrives). `None`
    /// on timeout or when the output ends first; unlike [`Qemu::expect`],
    /// QEMU keeps running either way and the match cursor does not move.
    pub fn wait_until<T>(
        &mut self,
        timeout: Duration,
        mut check: impl FnMut(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        let serial = self.captured_serial()?;
        Ok(serial.wait_until(timeout, |bytes| check(&String::from_utf8_lossy(bytes))))
    }

    /// How QEMU ended, if it has.
    pub fn exit_status(&mut self) -> Result<Option<ExitStatus>> {
        self.child.try_wait().context("polling QEMU")
    }

    /// Writes `bytes` to the guest's serial port.
    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let Some(input) = self.input.as_mut() else {
            bail!("the serial port belongs to an outside client (pty or TCP); write there");
        };
        let result = input.write_all(bytes).and_then(|()| input.flush());
        result.map_err(|error| self.failure(&format!("writing to the serial port: {error}")))
    }

    /// Waits for QEMU to exit; kills it after `timeout`.
    pub fn wait(mut self, timeout: Duration) -> Result<QemuExit> {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait().context("waiting for QEMU")? {
                Some(status) => break status,
                None if Instant::now() >= deadline => {
                    return Err(self.failure(&format!("QEMU did not exit within {timeout:?}")))
                }
                None => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        self.drain(Duration::from_secs(2));
        let Some(code) = status.code() else {
            return Err(self.failure(&format!("QEMU was killed ({status})")));
        };
        Ok(QemuExit {
            code,
            output: self.output(),
            raw_output: self.raw_output(),
            instructions: instructions::parse_count(&self.log()),
        })
    }

    /// Waits a little for the output of an exited QEMU to be read in full.
    fn drain(&self, timeout: Duration) {
        for capture in [Some(&self.stdout), Some(&self.log), self.serial.as_ref()]
            .into_iter()
            .flatten()
        {
            capture.wait_closed(timeout);
        }
    }

    /// Kills QEMU and builds an error saying `what`, with the command line
    /// and all output.
    pub fn failure(&mut self, what: &str) -> anyhow::Error {
        // Killing an exited process fails harmlessly; the output is what matters.
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.drain(Duration::from_secs(1));
        let mut message = format!("{what}\n--- command\n{}", self.command_line);
        if self.serial.is_some() {
            message.push_str("\n--- serial output\n");
            message.push_str(&self.output());
        }
        let serial_is_stdout = self
            .serial
            .as_ref()
            .is_some_and(|serial| Arc::ptr_eq(serial, &self.stdout));
        if !serial_is_stdout {
            message.push_str("\n--- QEMU stdout\n");
            message.push_str(&String::from_utf8_lossy(&self.stdout.bytes()));
        }
        message.push_str("\n--- QEMU stderr\n");
        message.push_str(&self.log());
        anyhow::anyhow!(message)
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        // QEMU may have exited already; killing it again is harmless.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one command to QEMU's human monitor and waits for its next prompt.
fn send_monitor_command(socket: &Path, command: &str) -> Result<()> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let mut stream = loop {
        match UnixStream::connect(socket) {
            Ok(stream) => break stream,
            Err(error) if Instant::now() >= deadline => {
                return Err(error).with_context(|| format!("connecting to {}", socket.display()))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    stream.set_read_timeout(Some(STARTUP_TIMEOUT))?;
    read_until_prompt(&mut stream)?;
    stream.write_all(format!("{command}\n").as_bytes())?;
    read_until_prompt(&mut stream)
}

fn read_until_prompt(stream: &mut UnixStream) -> Result<()> {
    let mut seen = Vec::new();
    let mut chunk = [0u8; 256];
    while !seen.ends_with(b"(qemu) ") {
        let count = stream.read(&mut chunk).context("reading QEMU's monitor")?;
        if count == 0 {
            bail!("QEMU's monitor closed before its prompt");
        }
        seen.extend_from_slice(&chunk[..count]);
    }
    Ok(())
}
