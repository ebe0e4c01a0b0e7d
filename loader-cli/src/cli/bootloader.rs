//! `enter-bootloader` and `exit-bootloader`: move a device on a serial
//! port between its running kernel and its serial bootloader;
//! `list-attributes` and `set-attribute`: the bootloader's attributes.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use loader_cli::{LoaderError, SerialBootloader};

use super::Options;

/// How long a reset into the bootloader may take.
const RESET_WAIT: Duration = Duration::from_secs(10);

fn connect(options: &Options, verb: &str) -> Result<(SerialBootloader, String)> {
    if options.flash_file.is_some() {
        bail!(LoaderError::Configuration {
            what: "device".to_string(),
            hint: format!("{verb} needs a serial link (a flash file has no bootloader): pass --port PORT or set LOADER_PORT"),
        });
    }
    options.serial_device()
}

/// Ask the running kernel to reset into the bootloader; wait until it answers.
pub fn enter(options: &Options) -> Result<()> {
    let (mut device, port) = connect(options, "enter-bootloader")?;
    let reset = device.enter_bootloader(RESET_WAIT).with_context(|| {
        format!("asking the kernel on {port} for its bootloader (does it run the loader service?)")
    })?;
    if options.json_output() {
        let summary = serde_json::json!({ "port": port, "in_bootloader": true, "reset": reset });
        println!("{summary}");
        return Ok(());
    }
    if options.quiet {
        return Ok(());
    }
    if reset {
        println!("{port}: the kernel reset into the bootloader.");
    } else {
        println!("{port}: already in the bootloader.");
    }
    Ok(())
}

/// Tell the bootloader to start the kernel.
pub fn exit(options: &Options) -> Result<()> {
    let (mut device, port) = connect(options, "exit-bootloader")?;
    device.exit_bootloader()?;
    if options.json_output() {
        println!(
            "{}",
            serde_json::json!({ "port": port, "in_bootloader": false })
        );
    } else if !options.quiet {
        println!("{port}: the bootloader starts the kernel.");
    }
    Ok(())
}

/// Print the attributes, one `key = value` per line (`--json`: an object).
pub fn list_attributes(options: &Options) -> Result<()> {
    let (mut device, _) = connect(options, "list-attributes")?;
    let attributes = loader_cli::Transport::attributes(&mut device)?;
    if options.json_output() {
        let object: serde_json::Map<String, serde_json::Value> = attributes
            .into_iter()
            .map(|(key, value)| (key, serde_json::Value::String(value)))
            .collect();
        println!("{}", serde_json::Value::Object(object));
        return Ok(());
    }
    for (key, value) in attributes {
        println!("{key} = {value}");
    }
    Ok(())
}

/// Set one attribute.
pub fn set_attribute(options: &Options, key: &str, value: &str) -> Result<()> {
    let (mut device, port) = connect(options, "set-attribute")?;
    let slot = device
        .set_attribute(key, value)
        .with_context(|| format!("setting attribute `{key}` on {port}"))?;
    if options.json_output() {
        let summary = serde_json::json!({ "slot": slot, "key": key, "value": value });
        println!("{summary}");
    } else if !options.quiet {
        println!("{port}: attribute {slot} is now {key} = {value}.");
    }
    Ok(())
}
