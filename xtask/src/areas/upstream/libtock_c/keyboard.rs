//! Upstream keyboard_hid on qemu-rv32-virt: a button press makes it type
//! "Hi from Tock!" through the USB keyboard HID driver (0x90005). The board
//! carries HID reports over its HID link, a virtio console whose host end
//! is a Unix socket of 65-byte frames, byte 0 the interface
//! (docs/boards/qemu-rv32-virt.md); this reads the keyboard frames there
//! and decodes the keys, as a host would.

use super::script::{self, Boot, Step};
use crate::areas::kernel;
use crate::context::Context;
use crate::qemu::QemuBuilder;
use anyhow::{ensure, Context as _, Result};
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// What the app types (its `message`).
const MESSAGE: &str = "Hi from Tock!";
/// Interface byte of keyboard frames on the HID link.
const KEYBOARD: u8 = 0x02;
/// How long the whole message may take to arrive.
const TYPING_TIMEOUT: Duration = Duration::from_secs(60);

/// The console side: the link is up, the app waits, the button is clicked.
const CONSOLE: Boot = Boot {
    name: "keyboard_hid",
    apps: &["keyboard_hid"],
    lanes: &[(
        "keyboard_hid",
        &[
            Step::Text(&["[kernel] HID link ready"]),
            Step::Text(&["[TEST] USB Keyboard HID\n"]),
            Step::Type(b"\x1bB0"),
        ],
    )],
    failure_markers: script::FAILURE_MARKERS,
    any_exit_status: false,
};

/// Boots keyboard_hid alone with the HID link, clicks the button and
/// checks the keys that arrive on the link.
pub fn run(ctx: &Context, kernel: &Path, tab: &Path) -> Result<()> {
    let scratch = ctx.scratch_dir("upstream-libtock-c")?;
    let flash = scratch.join("keyboard_hid.pflash");
    if flash.exists() {
        std::fs::remove_file(&flash).with_context(|| format!("removing {}", flash.display()))?;
    }
    let socket = scratch.join("keyboard.sock");
    let board = kernel::board_with_tabs(ctx, kernel, &flash, &[tab.to_path_buf()])?;
    let mut qemu = with_hid_link(board, &socket)?.spawn()?;
    let mut link = crate::areas::security_key::connect_hid_link(&socket)?;
    script::run(&mut qemu, &CONSOLE)?;
    match typed_text(&mut link) {
        Ok(text) if text == MESSAGE => Ok(()),
        Ok(text) => Err(qemu.failure(&format!("the keyboard typed {text:?}, not {MESSAGE:?}"))),
        Err(error) => Err(qemu.failure(&format!("{error:#}"))),
    }
}

/// `qemu` with the HID link's host end on `socket` (QEMU listens; the
/// guest starts at once, and sends nothing before the button click).
fn with_hid_link(qemu: QemuBuilder, socket: &Path) -> Result<QemuBuilder> {
    if socket.exists() {
        std::fs::remove_file(socket).with_context(|| format!("removing {}", socket.display()))?;
    }
    let mut chardev = std::ffi::OsString::from("socket,id=hid,server=on,wait=off,path=");
    chardev.push(socket);
    Ok(qemu
        .args(["-device", "virtio-serial-device", "-chardev"])
        .args([chardev])
        .args(["-device", "virtconsole,chardev=hid"]))
}

/// Reads keyboard frames until as many keys as the message has were
/// pressed; returns them as text.
fn typed_text(link: &mut UnixStream) -> Result<String> {
    let deadline = Instant::now() + TYPING_TIMEOUT;
    let mut text = String::new();
    while text.chars().count() < MESSAGE.chars().count() {
        let left = deadline.saturating_duration_since(Instant::now());
        ensure!(
            !left.is_zero(),
            "only {text:?} arrived within {TYPING_TIMEOUT:?}"
        );
        link.set_read_timeout(Some(left))?;
        let mut frame = [0u8; 65];
        link.read_exact(&mut frame)
            .with_context(|| format!("reading a HID frame (typed so far: {text:?})"))?;
        // Bytes 1..9 are the boot report: modifiers, reserved, six keys.
        let (modifiers, key) = (frame[1], frame[3]);
        if frame[0] == KEYBOARD && key != 0 {
            text.push(character(modifiers, key));
        }
    }
    Ok(text)
}

/// The character a US keyboard types for usage `key` (`?` for others).
fn character(modifiers: u8, key: u8) -> char {
    // Left or right shift.
    let shift = modifiers & 0x22 != 0;
    match key {
        0x04..=0x1d => {
            let letter = char::from(b'a' + (key - 0x04));
            if shift {
                letter.to_ascii_uppercase()
            } else {
                letter
            }
        }
        0x1e if shift => '!',
        0x1e..=0x26 => char::from(b'1' + (key - 0x1e)),
        0x27 => '0',
        0x2c => ' ',
        _ => '?',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usages_decode_as_a_us_keyboard_types_them() {
        assert_eq!(character(0x02, 0x0b), 'H');
        assert_eq!(character(0, 0x0c), 'i');
        assert_eq!(character(0, 0x2c), ' ');
        assert_eq!(character(0x02, 0x1e), '!');
        assert_eq!(character(0, 0x1e), '1');
        assert_eq!(character(0, 0x50), '?');
    }
}
