//! `listen`: the console, sharing the link with loader traffic (console
//! bytes pass through; a console 0xFC arrives doubled and is shown once).

use std::io::{Read, Write};

use anyhow::{Context, Result};
use loader_cli::{LoaderError, SerialLink};
use loader_protocol::{ResponseDecoder, ResponseEvent};

use super::Options;

pub fn run(options: &Options) -> Result<()> {
    let Some(port) = &options.port else {
        anyhow::bail!(LoaderError::Configuration {
            what: "port".to_string(),
            hint: "listen needs --port (a tty, a pty, or tcp:HOST:PORT)".to_string(),
        });
    };
    let mut link = SerialLink::open(port, options.baud_rate)?.into_inner();
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
