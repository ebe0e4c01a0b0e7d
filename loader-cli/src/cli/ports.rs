//! Finding the serial port when none is named: the one serial port the
//! system has, as tockloader picks it (several are an error that lists
//! them, since guessing could write to the wrong board).

use anyhow::Result;
use loader_cli::LoaderError;

/// The only USB or platform serial port, or an error saying what to pass.
pub fn the_only_port() -> Result<String> {
    let ports = serialport::available_ports().unwrap_or_default();
    let mut names: Vec<String> = ports
        .into_iter()
        .filter(|port| {
            // Motherboard UARTs that exist on every PC (ttyS0..31) are
            // never a board; USB adapters and CDC-ACM boards are.
            !matches!(port.port_type, serialport::SerialPortType::Unknown)
                || !port.port_name.starts_with("/dev/ttyS")
        })
        .map(|port| port.port_name)
        .collect();
    names.sort();
    names.dedup();
    match names.as_slice() {
        [only] => Ok(only.clone()),
        [] => anyhow::bail!(LoaderError::Configuration {
            what: "device".to_string(),
            hint: format!(
                "no --port, no ${} and no serial port found; pass --port PORT (e.g. /dev/ttyUSB0 or tcp:127.0.0.1:4444), set {}=PORT, or pass --flash-file FILE",
                super::options::PORT_VARIABLE,
                super::options::PORT_VARIABLE
            ),
        }),
        several => anyhow::bail!(LoaderError::Configuration {
            what: "device".to_string(),
            hint: format!(
                "{} serial ports found ({}); pick one with --port PORT or set {}",
                several.len(),
                several.join(", "),
                super::options::PORT_VARIABLE
            ),
        }),
    }
}
