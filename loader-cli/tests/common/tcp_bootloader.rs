//! The simulated bootloader served on a local TCP port, for tests that
//! drive the `loader` binary over `tcp:HOST:PORT` as users reach QEMU.
//! Like QEMU's TCP serial, it takes one connection and no other.

use std::io::{Read, Write};
use std::net::TcpListener;

use loader_protocol::attribute::ATTRIBUTES_FLASH_OFFSET;
use loader_protocol::{encode_attribute, BootloaderLayout};

use super::simulated_bootloader::{MemoryFlash, SimulatedLink};

/// Serve a bootloader whose `board` attribute is `board` to one client,
/// after sending it `console` (bytes a running kernel prints); returns
/// `tcp:127.0.0.1:PORT`. The listening socket closes once the client is
/// connected, so a second client is refused.
pub fn serve_once(board: &str, console: &'static [u8]) -> String {
    const BASE: u32 = 0x2000_0000;
    const SIZE: u32 = 0x8_0000;
    let mut flash = vec![0xFF; SIZE as usize];
    let at = ATTRIBUTES_FLASH_OFFSET as usize;
    flash[at..at + 64].copy_from_slice(&encode_attribute("board", board).unwrap());
    let layout = BootloaderLayout {
        flash_start: BASE,
        flash_end: BASE + SIZE,
        kernel_start: BASE + 0x8000,
        app_start: BASE + 0x4_0000,
        app_end: BASE + SIZE,
    };
    let mut device = SimulatedLink::new(
        MemoryFlash {
            base: BASE,
            bytes: flash,
        },
        layout,
        r#"{"version":"0.1.0"}"#,
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        drop(listener);
        if socket.write_all(console).is_err() {
            return;
        }
        let mut buffer = [0u8; 4096];
        while let Ok(count) = socket.read(&mut buffer) {
            if count == 0 {
                return;
            }
            device.write_all(&buffer[..count]).unwrap();
            let mut answer = [0u8; 8192];
            while let Ok(length) = device.read(&mut answer) {
                if socket.write_all(&answer[..length]).is_err() {
                    return;
                }
            }
        }
    });
    format!("tcp:127.0.0.1:{port}")
}
