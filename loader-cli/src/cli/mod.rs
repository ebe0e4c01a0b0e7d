//! Command-line arguments (tockloader's verbs and flags) and the shared
//! set-up: which board, which transport, how to show progress.

mod bootloader;
mod compatibility;
mod erase;
mod flags;
mod flash;
mod flash_access;
mod help;
mod info;
mod install;
mod keys;
mod list;
mod listen;
mod listen_share;
mod options;
mod ports;
mod process;
mod progress_bar;
mod test_install;
mod tockloader_format;
mod uninstall;

use anyhow::Result;
use clap::{Parser, Subcommand};
use loader_cli::LoaderError;

pub use compatibility::TOCKLOADER_VERSION;
pub use help::verb_help;
pub use options::Options;

/// Install, list and remove Tock apps over serial or in a flash file.
#[derive(Parser, Debug)]
#[command(name = "loader", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub options: Options,
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Install apps from TAB or TBF files.
    Install(install::InstallArgs),
    /// Replace installed apps only (tockloader `update`).
    Update(install::UpdateArgs),
    /// Keep the version of an app on test (`install --test`); frees the old one.
    Confirm(test_install::ConfirmArgs),
    /// List the installed apps.
    List(list::ListArgs),
    /// Board settings, bootloader and free flash.
    Info(info::InfoArgs),
    /// The board's trust store: list it, or apply a change signed by its root key.
    Keys(keys::KeysArgs),
    /// Remove apps by name.
    Uninstall(uninstall::UninstallArgs),
    /// Mark apps enabled.
    EnableApp(flags::FlagArgs),
    /// Mark apps disabled.
    DisableApp(flags::FlagArgs),
    /// Mark apps sticky (kept by erase-apps and uninstall without --force).
    StickyApp(flags::FlagArgs),
    /// Clear apps' sticky flag.
    UnstickyApp(flags::FlagArgs),
    /// Remove every app (sticky ones stay unless --force).
    EraseApps,
    /// Write a raw binary (kernel or bootloader) at an address.
    Flash(flash::FlashArgs),
    /// Print flash bytes as a hex dump (tockloader's format; --json: hex).
    Read(flash_access::ReadArgs),
    /// Write LENGTH bytes of VALUE at ADDRESS.
    Write(flash_access::WriteArgs),
    /// Print one flash page (number PAGE of --page-size bytes) as a hex dump.
    DumpFlashPage(flash_access::PageArgs),
    /// Show the device's console (and send what you type).
    Listen(listen::ListenArgs),
    /// The boards the loader knows, with their settings.
    ListKnownBoards,
    /// Processes of a running kernel: list, stop, start, restart.
    Process(process::ProcessArgs),
    /// Reset a running kernel into the board's serial bootloader.
    EnterBootloader,
    /// Leave the serial bootloader: it starts the kernel.
    ExitBootloader,
    /// The bootloader's attributes.
    ListAttributes,
    /// Set a bootloader attribute (its slot, or the first empty one).
    SetAttribute {
        /// Key: 1 to 8 bytes.
        key: String,
        /// Value: 1 to 55 bytes.
        value: String,
    },
    /// Print a shell completion script, e.g. `loader completions bash > ~/.local/share/bash-completion/completions/loader`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// tockloader verbs that map onto another tool here: each says which.
    #[command(flatten)]
    Elsewhere(compatibility::Elsewhere),
}

fn parse_number(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|e| format!("`{text}` is not a number ({e}); write e.g. 0x20040000"))
}

/// Run one verb.
pub fn run(cli: Cli, invoked_as_tockloader: bool) -> Result<()> {
    let mut options = cli.options;
    options.invoked_as_tockloader = invoked_as_tockloader;
    let tockloader_layout = options.tockloader_layout || invoked_as_tockloader;
    match cli.command {
        Command::Install(args) => install::run(&options, args, tockloader_layout),
        Command::Update(args) => install::run_update(&options, args, tockloader_layout),
        Command::Confirm(args) => test_install::run_confirm(&options, args),
        Command::List(args) => list::run(&options, args, invoked_as_tockloader),
        Command::Info(args) => info::run(&options, args),
        Command::Keys(args) => keys::run(&options, args),
        Command::Uninstall(args) => uninstall::run(&options, args),
        Command::EnableApp(args) => flags::run(&options, args, true),
        Command::DisableApp(args) => flags::run(&options, args, false),
        Command::StickyApp(args) => flags::run_sticky(&options, args, true),
        Command::UnstickyApp(args) => flags::run_sticky(&options, args, false),
        Command::EraseApps => erase::run(&options),
        Command::Flash(args) => flash::run(&options, args),
        Command::Read(args) => flash_access::read(&options, args),
        Command::Write(args) => flash_access::write(&options, args),
        Command::DumpFlashPage(args) => flash_access::dump_page(&options, args),
        Command::Listen(args) => listen::run(&options, args),
        Command::ListKnownBoards => compatibility::list_known_boards(&options),
        Command::Process(args) => process::run(&options, args),
        Command::EnterBootloader => bootloader::enter(&options),
        Command::ExitBootloader => bootloader::exit(&options),
        Command::ListAttributes => bootloader::list_attributes(&options),
        Command::SetAttribute { key, value } => bootloader::set_attribute(&options, &key, &value),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "loader", &mut std::io::stdout());
            Ok(())
        }
        Command::Elsewhere(verb) => compatibility::refuse(verb),
    }
}

/// The documented exit code for an error.
pub fn exit_code(error: &anyhow::Error) -> i32 {
    match error.downcast_ref::<LoaderError>() {
        Some(
            LoaderError::Input { .. }
            | LoaderError::WrongArchitecture { .. }
            | LoaderError::LinkedOutsideAppFlash { .. },
        ) => 3,
        Some(LoaderError::NoSpace { .. }) => 4,
        Some(LoaderError::Refused(_) | LoaderError::NothingToDo(_)) => 5,
        // The device refused the image (its credentials, its key, its version).
        Some(LoaderError::Protocol { answer, .. }) if answer.starts_with("CredentialsRejected") => {
            5
        }
        Some(LoaderError::Configuration { .. }) => 2,
        _ => 1,
    }
}
