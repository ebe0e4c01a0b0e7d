//! Per-verb help: every option is accepted everywhere (tockloader takes
//! its flags before or after the verb, and scripts pass them liberally),
//! but a verb's `--help` lists only the options that verb uses; the rest
//! are hidden from it, not refused.

use clap::{Command, CommandFactory};

use super::Cli;

/// Options that choose the device.
const DEVICE: &[&str] = &[
    "flash_file",
    "port",
    "serial",
    "baud_rate",
    "swd",
    "no_bootloader_entry",
];
/// Options that describe the board.
const BOARD: &[&str] = &["board", "arch", "app_address", "flash_address", "page_size"];
/// Options of the output.
const OUTPUT: &[&str] = &["quiet", "debug", "json", "output_format"];
/// Options of a serial link only.
const SERIAL: &[&str] = &[
    "port",
    "serial",
    "baud_rate",
    "debug",
    "quiet",
    "json",
    "output_format",
];

/// The global options a verb uses (all of them when it is not listed).
fn used_by(verb: &str) -> Option<Vec<&'static str>> {
    let groups: &[&[&str]] = match verb {
        "install" | "update" => return None,
        "list" | "info" | "keys" | "flash" | "read" | "write" | "dump-flash-page" => {
            &[DEVICE, BOARD, OUTPUT]
        }
        "uninstall" | "erase-apps" | "enable-app" | "disable-app" | "sticky-app"
        | "unsticky-app" => &[DEVICE, BOARD, OUTPUT, &["force"]],
        "listen" | "enter-bootloader" | "exit-bootloader" | "list-attributes" | "set-attribute"
        | "process" => &[SERIAL],
        "confirm" => &[SERIAL, BOARD],
        "list-known-boards" => &[&["json", "output_format"]],
        _ => &[],
    };
    Some(groups.concat())
}

/// The help of the verb named in `arguments` (`VERB --help`, `help
/// VERB`), with the global options it does not use hidden; `None` when no
/// verb is named (the top-level help).
pub fn verb_help(arguments: impl Iterator<Item = String>) -> Option<String> {
    let mut command = help_command();
    let verbs: Vec<String> = command
        .get_subcommands()
        .map(|verb| verb.get_name().to_string())
        .filter(|name| name != "help")
        .collect();
    let verb = arguments
        .into_iter()
        .find(|argument| verbs.contains(argument))?;
    let subcommand = command.find_subcommand_mut(&verb)?;
    Some(subcommand.render_help().to_string())
}

/// The command line with each verb's unused global options hidden from
/// its help. Only for rendering help: parsing with a command changed after
/// `build` is not supported by clap.
fn help_command() -> Command {
    let mut command = Cli::command();
    command.build();
    let globals: Vec<String> = command
        .get_arguments()
        .filter(|argument| argument.is_global_set())
        .map(|argument| argument.get_id().to_string())
        .collect();
    let verbs: Vec<String> = command
        .get_subcommands()
        .map(|verb| verb.get_name().to_string())
        .collect();
    for verb in verbs {
        let Some(used) = used_by(&verb) else {
            continue;
        };
        command = command.mut_subcommand(&verb, |mut subcommand| {
            for id in globals.iter().filter(|id| !used.contains(&id.as_str())) {
                if subcommand
                    .get_arguments()
                    .any(|a| a.get_id() == id.as_str())
                {
                    subcommand = subcommand.mut_arg(id, |argument| argument.hide(true));
                }
            }
            subcommand
        });
    }
    command
}
