//! `listen`: the console, sharing the link with loader traffic (console
//! bytes pass through; a console 0xFC arrives doubled and is shown once).
//! What you type goes to the device, with 0xFC doubled the same way.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, Result};
use clap::Args;
use loader_cli::SerialLink;
use loader_protocol::{encode_console_byte, ResponseDecoder, ResponseEvent};

use super::listen_share::{Client, SharedWriter};
use super::Options;

#[derive(Args, Debug)]
pub struct ListenArgs {
    /// Start each console line with the time it arrived, as tockloader's
    /// `--timestamp` (`[2026-12-06 15:58:00.123456] `, in UTC).
    #[arg(long)]
    pub timestamp: bool,
}

/// Console output, with each line stamped when asked.
struct Console {
    timestamps: bool,
    at_line_start: bool,
}

/// Now, as Python's `str(datetime.now())` prints it (UTC here).
fn timestamp() -> String {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (days, time_of_day) = (seconds / 86_400, seconds % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let shifted = days as i64 + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:06}",
        time_of_day / 3600,
        time_of_day / 60 % 60,
        time_of_day % 60,
        since_epoch.subsec_micros()
    )
}

impl Console {
    fn write(&mut self, out: &mut impl Write, byte: u8) -> std::io::Result<()> {
        if self.timestamps {
            if self.at_line_start {
                write!(out, "[{}] ", timestamp())?;
            }
            self.at_line_start = byte == b'\n';
        }
        out.write_all(&[byte])
    }
}

pub fn run(options: &Options, args: ListenArgs) -> Result<()> {
    let port = options.port()?;
    let port = &port;
    let mut console = Console {
        timestamps: args.timestamp,
        at_line_start: true,
    };
    if super::listen_share::is_served(port) {
        anyhow::bail!(loader_cli::LoaderError::Link {
            device: port.clone(),
            reason: "another `loader listen` already holds this port; use that one (other verbs share it)".to_string(),
        });
    }
    let (mut link, writer) = SerialLink::open(port, options.baud_rate)?.split();
    let client = Client::default();
    // Kept until `listen` ends: then the socket goes away.
    let mut _served = None;
    if let Some(writer) = writer {
        let writer: SharedWriter = Arc::new(Mutex::new(writer));
        _served = Some(super::listen_share::serve(
            port,
            writer.clone(),
            client.clone(),
        )?);
        std::thread::spawn(move || forward_stdin(&writer));
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
        client.forward(&buffer[..count]);
        for byte in &buffer[..count] {
            if let ResponseEvent::Console(byte) = decoder.push(*byte) {
                console.write(&mut stdout, byte)?;
            }
        }
        stdout.flush()?;
    }
}

/// Copy stdin to the device until stdin ends or the link fails.
fn forward_stdin(writer: &SharedWriter) {
    let mut stdin = std::io::stdin();
    let mut buffer = [0u8; 256];
    let mut encoded = [0u8; 2];
    while let Ok(count) = stdin.read(&mut buffer) {
        if count == 0 {
            return;
        }
        // Held for the whole chunk; a verb connected through the shared
        // socket holds it for its session, so typing waits for it.
        let mut device = writer.lock().unwrap_or_else(PoisonError::into_inner);
        for byte in &buffer[..count] {
            let Ok(length) = encode_console_byte(*byte, &mut encoded) else {
                return;
            };
            if device.write_all(&encoded[..length]).is_err() {
                return;
            }
        }
        if device.flush().is_err() {
            return;
        }
    }
}
