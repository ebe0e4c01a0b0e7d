//! `listen`: the console, sharing the link with loader traffic (console
//! bytes pass through; a console 0xFC arrives doubled and is shown once).
//! What you type goes to the device, with 0xFC doubled the same way.

use std::io::{Read, Write};

use anyhow::{Context, Result};
use loader_cli::{LoaderError, SerialLink};
use loader_protocol::{encode_console_byte, ResponseDecoder, ResponseEvent};

use super::Options;

pub fn run(options: &Options) -> Result<()> {
    let Some(port) = &options.port else {
        anyhow::bail!(LoaderError::Configuration {
            what: "port".to_string(),
            hint: "listen needs --port (a tty, a pty, or tcp:HOST:PORT)".to_string(),
        });
    };
    let (mut link, writer) = SerialLink::open(port, options.baud_rate)?.split();
    if let Some(writer) = writer {
        std::thread::spawn(move || forward_stdin(writer));
    }
    let mut decoder = ResponseDecoder::<4096>::new();
    let mut stdout = std::io::stdout();
    let mut buffer = [0u8; 256];
    loop {
        let count = match link.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(count) => count,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {port}")),
        };
        for byte in &buffer[..count] {
            if let ResponseEvent::Console(byte) = decoder.push(*byte) {
                stdout.write_all(&[byte])?;
            }
        }
        stdout.flush()?;
    }
}

/// Copy stdin to the device until stdin ends or the link fails.
fn forward_stdin(mut writer: Box<dyn Write + Send>) {
    let mut stdin = std::io::stdin();
    let mut buffer = [0u8; 256];
    let mut encoded = [0u8; 2];
    while let Ok(count) = stdin.read(&mut buffer) {
        if count == 0 {
            return;
        }
        for byte in &buffer[..count] {
            let Ok(length) = encode_console_byte(*byte, &mut encoded) else {
                return;
            };
            if writer.write_all(&encoded[..length]).is_err() {
                return;
            }
        }
        if writer.flush().is_err() {
            return;
        }
    }
}
