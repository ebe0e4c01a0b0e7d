//! `read`, `write` and `dump-flash-page`: raw flash access, as tockloader
//! offers it (hex dumps in its format, so scripts that parse them work).

use anyhow::Result;
use clap::Args;
use loader_cli::LoaderError;

use super::tockloader_format::hex_dump;
use super::Options;

#[derive(Args, Debug)]
pub struct ReadArgs {
    /// First address (0x... or decimal).
    #[arg(value_parser = super::parse_number)]
    pub address: u32,
    /// Number of bytes.
    #[arg(value_parser = super::parse_number)]
    pub length: u32,
}

#[derive(Args, Debug)]
pub struct WriteArgs {
    /// First address (0x... or decimal).
    #[arg(value_parser = super::parse_number)]
    pub address: u32,
    /// Number of bytes.
    #[arg(value_parser = super::parse_number)]
    pub length: u32,
    /// The byte written to each (0..=255).
    #[arg(value_parser = super::parse_number)]
    pub value: u32,
}

#[derive(Args, Debug)]
pub struct PageArgs {
    /// Page number: the page starts at PAGE x page size.
    #[arg(value_parser = super::parse_number)]
    pub page: u32,
}

fn print_bytes(options: &Options, address: u32, bytes: &[u8]) -> Result<()> {
    if options.json_output() {
        let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        let value = serde_json::json!({
            "address": format!("{address:#x}"),
            "length": bytes.len(),
            "bytes": hex,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        // tockloader prints the dump and a blank line.
        println!("{}", hex_dump(address, bytes));
    }
    Ok(())
}

pub fn read(options: &Options, args: ReadArgs) -> Result<()> {
    let board = options.board()?;
    let mut transport = options.transport(&board)?;
    let bytes = transport.read(args.address, args.length as usize)?;
    print_bytes(options, args.address, &bytes)
}

pub fn dump_page(options: &Options, args: PageArgs) -> Result<()> {
    let board = options.board()?;
    let address =
        args.page
            .checked_mul(board.page_size)
            .ok_or_else(|| LoaderError::Configuration {
                what: "page".to_string(),
                hint: format!(
                    "page {} of {} bytes lies past the 32-bit address space",
                    args.page, board.page_size
                ),
            })?;
    let mut transport = options.transport(&board)?;
    let bytes = transport.read(address, board.page_size as usize)?;
    if !options.json_output() {
        println!("Page number: {} ({:#08x})", args.page, address);
    }
    print_bytes(options, address, &bytes)
}

pub fn write(options: &Options, args: WriteArgs) -> Result<()> {
    let value = u8::try_from(args.value).map_err(|_| LoaderError::Configuration {
        what: "value".to_string(),
        hint: format!(
            "{:#x} is not a byte; pass 0..=255 (0x00..=0xff)",
            args.value
        ),
    })?;
    let board = options.board()?;
    let mut transport = options.transport(&board)?;
    transport.write(args.address, &vec![value; args.length as usize])?;
    transport.finish()?;
    if options.json_output() {
        let summary = serde_json::json!({
            "written": format!("{:#x}", args.address),
            "length": args.length,
            "value": format!("{value:#04x}"),
        });
        println!("{summary}");
    } else if !options.quiet {
        eprintln!(
            "Wrote {} bytes of {value:#04x} at {:#x} on {}.",
            args.length,
            args.address,
            transport.describe()
        );
    }
    Ok(())
}
