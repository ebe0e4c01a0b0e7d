//! The security-key apps on qemu-rv32-virt, checked by independent
//! clients over the HID link (docs/boards/qemu-rv32-virt.md: a Unix socket
//! of 65-byte frames, byte 0 the interface) and the console.

use crate::areas::kernel::image;
use crate::areas::kernel::scenarios::board;
use crate::cmd;
use crate::context::Context;
use crate::qemu::{Qemu, QemuBuilder};
use crate::setup::python_clients;
use anyhow::{bail, ensure, Context as _, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Per line of console output (the first boot may be slow on 2 cores).
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// `ESC 'B' '0'`: clicks button 0 (kernel/chips/qemu-virt emulated.rs).
pub const CLICK: &[u8] = b"\x1bB0";
/// The RFC 4226 appendix D secret, "12345678901234567890", in base32.
pub const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// Interface byte of keyboard frames on the HID link.
const KEYBOARD: u8 = 0x02;

pub fn python_dir(ctx: &Context) -> PathBuf {
    ctx.workspace.join("xtask").join("python")
}

/// The venv's Python, writing no bytecode caches into the source tree.
pub fn python_command() -> Result<Command> {
    let mut command = Command::new(python()?);
    command.env("PYTHONDONTWRITEBYTECODE", "1");
    Ok(command)
}

fn python() -> Result<PathBuf> {
    let python = python_clients::python()?;
    ensure!(
        python_clients::is_present()?,
        "pyotp and python-fido2 are not installed in {}: run `cargo xtask setup`",
        python.display()
    );
    Ok(python)
}

/// The clients import, and pyotp gives RFC 4226 appendix D's codes.
pub fn check_clients(ctx: &Context) -> Result<()> {
    let mut import = python_command()?;
    import.current_dir(python_dir(ctx)).args([
        "-c",
        "import hid_link, u2f_client, hotp_check, ctap2_client, ctap2_update_client",
    ]);
    cmd::output(&mut import).context("importing the Python clients")?;
    let mut check = python_command()?;
    check.current_dir(python_dir(ctx)).args([
        "hotp_check.py",
        RFC_SECRET,
        "6",
        "sha1",
        "0:755224",
        "1:287082",
        "9:520489",
    ]);
    cmd::output(&mut check).context("pyotp against RFC 4226 appendix D")?;
    Ok(())
}

/// The device's console as a test drives it: QEMU's stdio, or the TCP
/// link the loader shares ([`super::live`]).
pub trait Console {
    /// Writes `bytes` to the console.
    fn send(&mut self, bytes: &[u8]) -> Result<()>;
    /// Waits for `pattern` after the previous match; the text up to it.
    fn expect(&mut self, pattern: &str, timeout: Duration) -> Result<String>;
    /// Everything read so far.
    fn output(&self) -> String;
}

impl Console for Qemu {
    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        Qemu::send(self, bytes)
    }
    fn expect(&mut self, pattern: &str, timeout: Duration) -> Result<String> {
        Qemu::expect(self, pattern, timeout)
    }
    fn output(&self) -> String {
        Qemu::output(self)
    }
}

/// QEMU on `flash` with the HID link on `socket`.
pub fn boot(flash: &Path, socket: &Path) -> Result<Qemu> {
    with_hid_link(board(flash), socket)?.spawn()
}

/// `qemu` with the HID link on `socket` (removed first if it is there).
pub fn with_hid_link(qemu: QemuBuilder, socket: &Path) -> Result<QemuBuilder> {
    if socket.exists() {
        std::fs::remove_file(socket)?;
    }
    let mut chardev = std::ffi::OsString::from("socket,id=hid,server=on,wait=off,path=");
    chardev.push(socket);
    Ok(qemu
        .args(["-device", "virtio-serial-device", "-chardev"])
        .args([chardev])
        .args(["-device", "virtconsole,chardev=hid"]))
}

pub fn scratch(ctx: &Context) -> Result<PathBuf> {
    ctx.scratch_dir("security-key")
}

/// A fresh flash with the kernel and `tbfs` (in slot order).
pub fn flash_with(ctx: &Context, name: &str, tbfs: &[&[u8]]) -> Result<PathBuf> {
    let kernel = image::build_kernel(ctx)?;
    let flash = scratch(ctx)?.join(format!("{name}.pflash"));
    let apps: Vec<Vec<u8>> = tbfs.iter().map(|tbf| tbf.to_vec()).collect();
    image::write_flash_file(&flash, &kernel, &apps)?;
    Ok(flash)
}

/// Connects to the HID link (QEMU makes the socket as it starts).
pub fn connect(socket: &Path) -> Result<UnixStream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match UnixStream::connect(socket) {
            Ok(stream) => return Ok(stream),
            Err(error) if Instant::now() > deadline => {
                bail!(
                    "cannot connect to the HID link {}: {error}",
                    socket.display()
                )
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Reads keyboard frames until Enter; returns the digits typed.
pub fn typed_code(link: &mut UnixStream) -> Result<String> {
    link.set_read_timeout(Some(TIMEOUT))?;
    let mut code = String::new();
    loop {
        let mut frame = [0u8; 65];
        link.read_exact(&mut frame)
            .context("reading a keyboard report from the HID link")?;
        if frame[0] != KEYBOARD {
            continue;
        }
        match frame[3] {
            0 => {}
            0x28 => return Ok(code),
            0x27 => code.push('0'),
            usage @ 0x1e..=0x26 => code.push(char::from(b'1' + (usage - 0x1e))),
            other => bail!("the keyboard typed usage {other:#04x}, not a digit or Enter"),
        }
    }
}

/// Waits for the app's ready line, then for its first console read: a
/// byte typed before the app reads goes to the process console only.
pub fn wait_until_ready(qemu: &mut Qemu) -> Result<()> {
    qemu.expect("hotp: ready", TIMEOUT)?;
    qemu.expect("button(s)", TIMEOUT)?;
    std::thread::sleep(Duration::from_millis(500));
    Ok(())
}

/// Types `line` and Enter one byte at a time (a UART read sees only bytes
/// that arrive while it is outstanding).
pub fn type_line(qemu: &mut impl Console, line: &str) -> Result<()> {
    for byte in line.bytes().chain([b'\r']) {
        qemu.send(&[byte])?;
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Clicks the button; returns the code printed and the code typed.
pub fn press_for_code(
    qemu: &mut impl Console,
    link: &mut UnixStream,
    counter: u64,
) -> Result<String> {
    qemu.send(CLICK)?;
    let line = qemu.expect(&format!("counter {counter} code "), TIMEOUT)?;
    ensure!(!line.contains("error"), "the app reported an error: {line}");
    let printed = qemu.expect("\n", TIMEOUT)?.trim().to_string();
    let typed = typed_code(link)?;
    ensure!(
        printed == typed,
        "counter {counter}: printed {printed:?} but typed {typed:?}"
    );
    Ok(format!("{counter}:{typed}"))
}

/// pyotp and oathtool give each of `codes` (`counter:code`, 6 digits,
/// SHA-1, the RFC 4226 secret).
pub fn hotp_clients_agree(ctx: &Context, codes: &[String]) -> Result<()> {
    for pair in codes {
        let (counter, code) = pair
            .split_once(':')
            .with_context(|| format!("{pair:?} is not counter:code"))?;
        let counter = counter.parse().context("a HOTP counter")?;
        let expected = super::oathtool::hotp(counter, 6)?;
        ensure!(
            code == expected,
            "counter {counter}: the device gave {code}, oathtool {expected}"
        );
    }
    let mut check = python_command()?;
    check
        .current_dir(python_dir(ctx))
        .args(["hotp_check.py", RFC_SECRET, "6", "sha1"])
        .args(codes);
    let output = cmd::output(&mut check).context("pyotp disagrees with the device")?;
    println!("{} (and oathtool's)", output.trim());
    Ok(())
}

/// HOTP: programmed over the console, three codes typed and printed, then
/// a reboot and one more code, all checked by pyotp.
/// `name` names the scratch files (`hotp` for Rust, `c-hotp` for C: both
/// apps print the same lines).
pub fn hotp(ctx: &Context, name: &str, tbf: &[u8]) -> Result<()> {
    let flash = flash_with(ctx, name, &[tbf])?;
    let socket = scratch(ctx)?.join(format!("{name}.hid"));
    let mut codes = Vec::new();
    {
        let mut qemu = boot(&flash, &socket)?;
        let mut link = connect(&socket)?;
        wait_until_ready(&mut qemu)?;
        type_line(&mut qemu, &format!("set 0 {RFC_SECRET}"))?;
        qemu.expect("hotp: slot 0 programmed (6 digits, sha1)", TIMEOUT)?;
        for counter in 0..3 {
            codes.push(press_for_code(&mut qemu, &mut link, counter)?);
        }
    }
    // Dropping QEMU killed it: the flash file is what a reset leaves.
    let mut qemu = boot(&flash, &socket)?;
    let mut link = connect(&socket)?;
    wait_until_ready(&mut qemu)?;
    codes.push(press_for_code(&mut qemu, &mut link, 3)?);
    hotp_clients_agree(ctx, &codes)
}

/// Runs the python-fido2 client `mode` against a booted U2F app, clicking
/// the button whenever the client prints `PRESS`.
fn run_u2f_client(ctx: &Context, qemu: &mut impl Console, socket: &Path, mode: &str) -> Result<()> {
    let state = socket.with_extension("state.json");
    let mut client = python_command()?
        .current_dir(python_dir(ctx))
        .arg("u2f_client.py")
        .arg(mode)
        .arg(socket)
        .arg(&state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the python-fido2 client")?;
    let mut answers = client.stdin.take().context("no stdin pipe")?;
    let lines = BufReader::new(client.stdout.take().context("no stdout pipe")?);
    let mut transcript = String::new();
    for line in lines.lines() {
        let line = line.context("reading the client's output")?;
        transcript.push_str(&line);
        transcript.push('\n');
        if line == "PRESS" {
            qemu.send(CLICK)?;
            // Let the kernel deliver the press before the request comes.
            std::thread::sleep(Duration::from_millis(300));
            answers.write_all(b"pressed\n")?;
            answers.flush()?;
        }
    }
    let status = client.wait()?;
    ensure!(
        status.success() && transcript.contains("u2f: ok"),
        "the python-fido2 client failed ({status}):\n{transcript}\n--- console\n{}",
        qemu.output()
    );
    print!("{transcript}");
    Ok(())
}

/// U2F: register and authenticate with python-fido2, reboot, and
/// authenticate again with a counter that has not gone back.
pub fn u2f(ctx: &Context, tbf: &[u8]) -> Result<()> {
    let flash = flash_with(ctx, "u2f", &[tbf])?;
    let socket = scratch(ctx)?.join("u2f.hid");
    {
        let mut qemu = boot(&flash, &socket)?;
        qemu.expect("u2f: ready", TIMEOUT)?;
        run_u2f_client(ctx, &mut qemu, &socket, "register")?;
    }
    let mut qemu = boot(&flash, &socket)?;
    qemu.expect("u2f: ready", TIMEOUT)?;
    run_u2f_client(ctx, &mut qemu, &socket, "authenticate")
}

/// Both apps on one device, sharing the button and the HID link, each with
/// its own store entries: U2F registers and authenticates (HOTP, still
/// empty, says so on each click), then HOTP is programmed and gives the
/// RFC 4226 code of counter 0 on the keyboard interface.
pub fn both(ctx: &Context, hotp: &[u8], u2f: &[u8]) -> Result<()> {
    let flash = flash_with(ctx, "both", &[hotp, u2f])?;
    let socket = scratch(ctx)?.join("both.hid");
    let mut qemu = boot(&flash, &socket)?;
    // The two apps start in either order.
    let deadline = Instant::now() + TIMEOUT;
    while !(qemu.output().contains("1 button(s)") && qemu.output().contains("u2f: ready")) {
        ensure!(
            Instant::now() < deadline && !qemu.output().contains("error"),
            "both apps did not start:\n{}",
            qemu.output()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Let HOTP arm its first console read.
    std::thread::sleep(Duration::from_millis(500));
    let code = both_answer(ctx, &mut qemu, &socket)?;
    hotp_clients_agree(ctx, &[code])
}

/// With HOTP (empty) and U2F running: U2F registers and authenticates
/// with python-fido2 (HOTP says it is empty on each click), then HOTP is
/// programmed and types the code of counter 0; returns `0:<code>`.
pub fn both_answer(ctx: &Context, qemu: &mut impl Console, socket: &Path) -> Result<String> {
    run_u2f_client(ctx, qemu, socket, "register")?;
    ensure!(
        qemu.output().contains("hotp: slot 0 is empty"),
        "HOTP did not see the clicks made for U2F:\n{}",
        qemu.output()
    );
    // A click's three bytes come at once and the app reads one at a time,
    // so it may have seen part of one: an empty line starts clean.
    type_line(qemu, "")?;
    type_line(qemu, &format!("set 0 {RFC_SECRET}"))?;
    qemu.expect("hotp: slot 0 programmed (6 digits, sha1)", TIMEOUT)?;
    let mut link = connect(socket)?;
    press_for_code(qemu, &mut link, 0)
}
