//! tockloader's command line where it differs from ours: its version
//! string, `list-known-boards`, and the verbs that belong to another tool
//! here (each refused with the command that does the job).

use anyhow::Result;
use clap::Subcommand;
use loader_cli::{Board, LoaderError};

use super::Options;

/// The tockloader release whose command line and flash files we follow;
/// `tockloader --version` prints it, since scripts compare it.
pub const TOCKLOADER_VERSION: &str = "1.19.0";

/// tockloader verbs whose job another tool of ours does.
#[derive(Subcommand, Debug)]
pub enum Elsewhere {
    /// Refused: use `tbf inspect FILE` (the packager).
    InspectTab {
        /// tockloader's arguments (ignored).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        arguments: Vec<String>,
    },
    /// Refused: TLVs and credentials are the packager's (`tbf pack`, `tbf sign`).
    Tbf {
        /// tockloader's arguments (ignored).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        arguments: Vec<String>,
    },
    /// Refused: attributes are only ever added (see `set-attribute`).
    RemoveAttribute {
        /// The key.
        key: String,
    },
}

/// The refusal of a verb that another tool does, naming that tool.
pub fn refuse(verb: Elsewhere) -> Result<()> {
    let (what, hint) = match verb {
        Elsewhere::InspectTab { .. } => (
            "verb inspect-tab",
            "TABs and TBFs are inspected by the packager: `tbf inspect FILE.tab` (every header and footer field; --json)".to_string(),
        ),
        Elsewhere::Tbf { arguments } => {
            let hint = if arguments.first().map(String::as_str) == Some("credential") {
                "credentials are added or replaced by the packager: `tbf sign --key KEY FILE.tab` (and checked by `tbf verify`)"
            } else {
                "header TLVs are written by the packager: repack with `tbf pack` and its flags (elf2tab's), then `tbf inspect` to check"
            };
            (
                "verb tbf",
                format!("{hint}; editing an installed or packed header here would invalidate its credentials"),
            )
        }
        Elsewhere::RemoveAttribute { key } => (
            "verb remove-attribute",
            format!(
                "the bootloader's attribute table shares an erase block with the bootloader and the kernel, so it only programs empty slots; `{key}` cannot be cleared over the link. Set a new value under another key with `set-attribute`, or rewrite the bootloader image with `flash`"
            ),
        ),
    };
    anyhow::bail!(LoaderError::Configuration {
        what: what.to_string(),
        hint,
    })
}

/// `list-known-boards`: each board with its architecture and addresses
/// (`--json`: one object per board, addresses as hex strings).
pub fn list_known_boards(options: &Options) -> Result<()> {
    let boards: Vec<Board> = Board::KNOWN
        .iter()
        .filter_map(|name| Board::known(name))
        .collect();
    if options.json_output() {
        let list: Vec<serde_json::Value> = boards
            .iter()
            .map(|board| {
                serde_json::json!({
                    "name": board.name,
                    "arch": board.arch,
                    "flash_address": format!("{:#x}", board.flash_address),
                    "flash_size": board.flash_size,
                    "app_address": format!("{:#x}", board.app_address),
                    "page_size": board.page_size,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    println!("Known boards:");
    for board in &boards {
        println!(
            "  - {:<20} {:<10} flash {:#x}, apps from {:#x}",
            board.name,
            board.arch.as_deref().unwrap_or("-"),
            board.flash_address,
            board.app_address
        );
    }
    Ok(())
}
