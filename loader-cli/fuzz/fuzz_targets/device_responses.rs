//! The loader's side of a serial session with a hostile or broken device:
//! whatever bytes the device answers with (the fuzz input, in order), the
//! loader connects, reads attributes and version, asks whether the kernel
//! is live, and walks the app chain over the link. Every step may fail
//! with an error; none may panic or loop for ever.
#![no_main]

use std::io::{Cursor, Read, Write};

use libfuzzer_sys::fuzz_target;
use loader_cli::transport::Transport;
use loader_cli::{read_chain, SerialBootloader, SerialLink};

/// The device: answers from the fuzz input, swallows what the loader sends.
struct Device(Cursor<Vec<u8>>);

impl Read for Device {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buffer)
    }
}

impl Write for Device {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let link = SerialLink::from_link(
        "fuzzed device",
        Box::new(Device(Cursor::new(data.to_vec()))),
    );
    let Ok(mut device) = SerialBootloader::connect(link) else {
        return;
    };
    let _ = device.attributes();
    let _ = device.bootloader_version();
    let _ = device.is_live();
    let _ = read_chain(&mut device, 0x4_0000, 0x10_0000);
    let _ = device.take_console();
});
