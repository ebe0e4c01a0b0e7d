//! `flash`: write a raw binary (kernel, bootloader) and verify it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use loader_cli::LoaderError;

use super::Options;

#[derive(Args, Debug)]
pub struct FlashArgs {
    /// Where the binary goes (default: the start of flash).
    #[arg(long, value_parser = super::parse_number)]
    pub address: Option<u32>,
    /// The binary.
    pub binary: PathBuf,
}

pub fn run(options: &Options, args: FlashArgs) -> Result<()> {
    let board = options.board()?;
    let address = args.address.unwrap_or(board.flash_address);
    let binary = std::fs::read(&args.binary)
        .with_context(|| format!("reading {}", args.binary.display()))?;
    let mut transport = options.transport(&board)?;
    transport.write(address, &binary)?;
    let back = transport.read(address, binary.len())?;
    if back != binary {
        anyhow::bail!(LoaderError::VerifyFailed {
            device: transport.describe(),
            address,
            detail: "read-back differs from the binary".to_string(),
        });
    }
    transport.finish()?;
    if options.json_output() {
        let summary = serde_json::json!({
            "written": format!("{address:#x}"),
            "length": binary.len(),
            "device": transport.describe(),
        });
        println!("{summary}");
    } else if !options.quiet {
        eprintln!(
            "Wrote {} bytes at {address:#x} on {}.",
            binary.len(),
            transport.describe()
        );
    }
    Ok(())
}
