//! `info`.

use anyhow::Result;
use clap::Args;
use loader_cli::read_chain;

use super::Options;

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// List the boards the loader knows.
    #[arg(long)]
    pub boards: bool,
}

pub fn run(options: &Options, args: InfoArgs) -> Result<()> {
    if args.boards {
        return super::compatibility::list_known_boards(options);
    }
    let board = options.board()?;
    let mut transport = options.transport(&board)?;
    let attributes = transport.attributes()?;
    let version = transport.bootloader_version()?;
    let chain = read_chain(transport.as_mut(), board.app_address, board.app_flash_end())?;
    let free = board.app_flash_end() - u64::from(chain.end);
    if options.json_output() {
        let value = serde_json::json!({
            "device": transport.describe(),
            "board": board.name,
            "arch": board.arch,
            "flash_address": format!("{:#x}", board.flash_address),
            "flash_size": board.flash_size,
            "app_address": format!("{:#x}", board.app_address),
            "page_size": board.page_size,
            "bootloader_version": version,
            "attributes": attributes.iter().map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect::<Vec<_>>(),
            "apps": chain.apps().count(),
            "chain_end": format!("{:#x}", chain.end),
            "free_bytes": free,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("device:        {}", transport.describe());
    println!("board:         {}", board.name);
    println!(
        "arch:          {}",
        board.arch.as_deref().unwrap_or("(unknown)")
    );
    println!(
        "flash:         {:#x} + {:#x}",
        board.flash_address, board.flash_size
    );
    println!("apps start:    {:#x}", board.app_address);
    println!("page size:     {}", board.page_size);
    if let Some(version) = version {
        println!("bootloader:    {version}");
    }
    for (key, value) in &attributes {
        println!("attribute:     {key} = {value}");
    }
    println!("apps:          {}", chain.apps().count());
    println!(
        "chain ends at: {:#x} ({free} bytes free after it)",
        chain.end
    );
    Ok(())
}
