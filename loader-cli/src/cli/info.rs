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
    let test = super::test_install::test_status_if_live(transport.as_mut());
    // The credential policy's changing part: the board's trust store.
    let trust = match transport.trust_state()? {
        Some(bytes) => Some(tbf::trust::TrustState::decode(&bytes).map_err(|error| {
            anyhow::anyhow!("the device's trust state does not decode ({error}); update the loader")
        })?),
        None => None,
    };
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
            "trust": trust.as_ref().map(super::keys::state_json),
            "test_install": test.map(|test| serde_json::json!({
                "confirmed_by": test.policy.to_string(),
                "by_app": test.policy.by_app,
                "by_loader": test.policy.by_loader,
                "after_seconds": test.policy.after_seconds,
                "running": test.running.map(|running| serde_json::json!({
                    "new": format!("{:#x}", running.new),
                    "standby": format!("{:#x}", running.old),
                    "seconds": running.elapsed_seconds,
                })),
            })),
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
    if let Some(test) = &test {
        println!("test installs: confirmed by {}", test.policy);
        if let Some(running) = test.running {
            println!(
                "on test:       {:#x} ({} s; standby {:#x})",
                running.new, running.elapsed_seconds, running.old
            );
        }
    }
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
    match &trust {
        Some(state) => {
            println!("trust store:");
            for line in super::keys::policy_lines(state) {
                println!("  {line}");
            }
        }
        None if transport.is_live() => {
            println!("trust store:   none (keys are fixed in the kernel; BOARD_ROOT_KEY adds one)")
        }
        None => {}
    }
    Ok(())
}
