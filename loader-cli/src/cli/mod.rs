//! Command-line arguments (tockloader's verbs and flags) and the shared
//! set-up: which board, which transport, how to show progress.

mod bootloader;
mod erase;
mod flags;
mod flash;
mod info;
mod install;
mod list;
mod listen;
mod process;
mod progress_bar;
mod uninstall;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use loader_cli::{Board, FlashFile, LoaderError, SerialBootloader, SerialLink, Transport};

/// Install, list and remove Tock apps over serial or in a flash file.
#[derive(Parser, Debug)]
#[command(name = "loader", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub options: Options,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every verb takes (before or after the verb, as tockloader).
#[derive(Args, Debug, Clone)]
pub struct Options {
    /// Operate on a flash image file instead of a device.
    #[arg(long, global = true, value_name = "FILE")]
    pub flash_file: Option<PathBuf>,
    /// Serial port (a tty, a pty, or tcp:HOST:PORT for QEMU).
    #[arg(long, short = 'p', alias = "serial", global = true)]
    pub port: Option<String>,
    /// Board name (see `loader info --boards`).
    #[arg(long, global = true)]
    pub board: Option<String>,
    /// Architecture of the images to install (e.g. rv32imac, cortex-m4).
    #[arg(long, global = true)]
    pub arch: Option<String>,
    /// Address where apps start.
    #[arg(long, short = 'a', global = true, value_parser = parse_number)]
    pub app_address: Option<u32>,
    /// Address of the first byte of flash (file offset 0 of a flash file).
    #[arg(long, global = true, value_parser = parse_number)]
    pub flash_address: Option<u32>,
    /// Flash page size in bytes (informational; the serial protocol always
    /// writes 512-byte pages).
    #[arg(long, global = true, value_parser = parse_number)]
    pub page_size: Option<u32>,
    /// Do it even for sticky apps or apps built for other boards.
    #[arg(long, global = true)]
    pub force: bool,
    /// Accepted for tockloader's command line: the loader never resets a
    /// board into its bootloader by itself, the device must already be
    /// listening (bootloader, or our kernel's loader service).
    #[arg(long, global = true)]
    pub no_bootloader_entry: bool,
    /// Place apps exactly as tockloader does (the default when invoked as
    /// `tockloader`); otherwise new images are appended after the chain.
    #[arg(long, global = true)]
    pub tockloader_layout: bool,
    /// Baud rate of a serial port.
    #[arg(long, global = true, default_value_t = 115_200)]
    pub baud_rate: u32,
    /// No progress bars or notes.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    /// tockloader's spelling of --json (`--output-format json`).
    #[arg(long, global = true, value_name = "FORMAT")]
    pub output_format: Option<String>,
    /// Use a debug probe over SWD (probe-rs) attached to this chip (e.g.
    /// nRF52840_xxAA); needs a loader built with `--features swd`.
    #[arg(long, global = true, value_name = "CHIP")]
    pub swd: Option<String>,
    /// Rejected: J-Link is not supported.
    #[arg(long, global = true, hide = true)]
    pub jlink: bool,
    /// Rejected: OpenOCD is not supported.
    #[arg(long, global = true, hide = true)]
    pub openocd: bool,
}

/// The verbs.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Install apps from TAB or TBF files.
    Install(install::InstallArgs),
    /// Replace installed apps only (tockloader `update`).
    Update(install::UpdateArgs),
    /// List the installed apps.
    List(list::ListArgs),
    /// Board settings, bootloader and free flash.
    Info(info::InfoArgs),
    /// Remove apps by name.
    Uninstall(uninstall::UninstallArgs),
    /// Mark apps enabled.
    EnableApp(flags::FlagArgs),
    /// Mark apps disabled.
    DisableApp(flags::FlagArgs),
    /// Remove every app (sticky ones stay unless --force).
    EraseApps,
    /// Write a raw binary (kernel or bootloader) at an address.
    Flash(flash::FlashArgs),
    /// Show the device's console (and send what you type).
    Listen,
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
}

fn parse_number(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|e| format!("`{text}` is not a number ({e}); write e.g. 0x20040000"))
}

impl Options {
    pub fn json_output(&self) -> bool {
        self.json || self.output_format.as_deref() == Some("json")
    }

    /// The board: known table, then command-line overrides.
    pub fn board(&self) -> Result<Board> {
        let name = self
            .board
            .as_deref()
            .unwrap_or(loader_cli::board::QEMU_RV32_VIRT);
        let mut board = Board::known(name).unwrap_or_else(|| Board::generic(name));
        if let Some(arch) = &self.arch {
            board = board.with_arch(arch);
        }
        if let Some(address) = self.flash_address {
            board.flash_address = address;
        }
        if let Some(address) = self.app_address {
            board.app_address = address;
        }
        if let Some(size) = self.page_size {
            board.page_size = size;
        }
        // An existing flash file is the flash: its length is the flash size.
        if let Some(length) = self
            .flash_file
            .as_ref()
            .and_then(|path| std::fs::metadata(path).ok())
            .map(|metadata| metadata.len())
        {
            board.flash_size = u32::try_from(length).unwrap_or(u32::MAX);
        }
        if board.app_address < board.flash_address {
            anyhow::bail!(LoaderError::Configuration {
                what: "app address".to_string(),
                hint: format!(
                    "--app-address {:#x} lies before flash at {:#x}; pass --flash-address or fix --app-address",
                    board.app_address, board.flash_address
                ),
            });
        }
        Ok(board)
    }

    /// Open the transport the options name.
    pub fn transport(&self, board: &Board) -> Result<Box<dyn Transport>> {
        if self.jlink || self.openocd {
            anyhow::bail!(LoaderError::Configuration {
                what: "transport".to_string(),
                hint: "--jlink and --openocd are not supported; use --port (serial bootloader) or --flash-file".to_string(),
            });
        }
        if let Some(chip) = &self.swd {
            return swd_transport(chip);
        }
        match (&self.flash_file, &self.port) {
            (Some(path), None) => Ok(Box::new(FlashFile::open(
                path,
                board.flash_address,
                board.flash_size,
            )?)),
            (None, Some(port)) => {
                let link = SerialLink::open(port, self.baud_rate)?;
                let bootloader = SerialBootloader::connect(link)
                    .with_context(|| format!("talking to the bootloader on {port}"))?;
                Ok(Box::new(bootloader))
            }
            (Some(_), Some(_)) => anyhow::bail!(LoaderError::Configuration {
                what: "transport".to_string(),
                hint: "give either --flash-file or --port, not both".to_string(),
            }),
            (None, None) => anyhow::bail!(LoaderError::Configuration {
                what: "device".to_string(),
                hint: "pass --port PORT (e.g. /dev/ttyUSB0 or tcp:127.0.0.1:4444) or --flash-file FILE".to_string(),
            }),
        }
    }
}

#[cfg(feature = "swd")]
fn swd_transport(chip: &str) -> Result<Box<dyn Transport>> {
    Ok(Box::new(loader_cli::transport::swd::Swd::attach(chip)?))
}

#[cfg(not(feature = "swd"))]
fn swd_transport(_chip: &str) -> Result<Box<dyn Transport>> {
    anyhow::bail!(LoaderError::Configuration {
        what: "transport".to_string(),
        hint: "this loader was built without SWD support; rebuild it with `cargo build -p loader-cli --features swd`".to_string(),
    })
}

/// Run one verb.
pub fn run(cli: Cli, invoked_as_tockloader: bool) -> Result<()> {
    let options = cli.options;
    let tockloader_layout = options.tockloader_layout || invoked_as_tockloader;
    match cli.command {
        Command::Install(args) => install::run(&options, args, tockloader_layout),
        Command::Update(args) => install::run_update(&options, args, tockloader_layout),
        Command::List(args) => list::run(&options, args, invoked_as_tockloader),
        Command::Info(args) => info::run(&options, args),
        Command::Uninstall(args) => uninstall::run(&options, args),
        Command::EnableApp(args) => flags::run(&options, args, true),
        Command::DisableApp(args) => flags::run(&options, args, false),
        Command::EraseApps => erase::run(&options),
        Command::Flash(args) => flash::run(&options, args),
        Command::Listen => listen::run(&options),
        Command::Process(args) => process::run(&options, args),
        Command::EnterBootloader => bootloader::enter(&options),
        Command::ExitBootloader => bootloader::exit(&options),
        Command::ListAttributes => bootloader::list_attributes(&options),
        Command::SetAttribute { key, value } => bootloader::set_attribute(&options, &key, &value),
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
        Some(LoaderError::Configuration { .. }) => 2,
        _ => 1,
    }
}
