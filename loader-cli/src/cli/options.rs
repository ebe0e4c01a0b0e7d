//! Options every verb takes (before or after the verb, as tockloader
//! takes them), and what they resolve to: the board, the serial port
//! (command line, then `LOADER_PORT`, then the one serial port present),
//! and the transport.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use loader_cli::transport::flash_file::Growth;
use loader_cli::{Board, FlashFile, LoaderError, SerialBootloader, SerialLink, Transport};

/// The environment variable that names the serial port when `--port` is
/// not given (tockloader has none of its own).
pub const PORT_VARIABLE: &str = "LOADER_PORT";

/// Options every verb takes.
#[derive(Args, Debug, Clone)]
pub struct Options {
    /// Operate on a flash image file instead of a device.
    #[arg(long, global = true, value_name = "FILE")]
    pub flash_file: Option<PathBuf>,
    /// Serial port (a tty, a pty, or tcp:HOST:PORT for QEMU); default: $LOADER_PORT, else the
    /// one serial port present.
    #[arg(
        long,
        short = 'p',
        visible_alias = "device",
        short_alias = 'd',
        global = true
    )]
    pub port: Option<String>,
    /// tockloader's "use the serial bootloader" switch: serial is already
    /// the default, so it changes nothing (the port is --port's).
    #[arg(long, global = true)]
    pub serial: bool,
    /// Board name (see `loader list-known-boards`).
    #[arg(long, global = true)]
    pub board: Option<String>,
    /// Architecture of the images to install (e.g. rv32imac, cortex-m4).
    #[arg(long, global = true)]
    pub arch: Option<String>,
    /// Address where apps start.
    #[arg(long, short = 'a', global = true, value_parser = super::parse_number)]
    pub app_address: Option<u32>,
    /// Address of the first byte of flash (file offset 0 of a flash file).
    #[arg(long, global = true, value_parser = super::parse_number)]
    pub flash_address: Option<u32>,
    /// Flash page size in bytes (informational; the serial protocol always
    /// writes 512-byte pages).
    #[arg(long, global = true, value_parser = super::parse_number)]
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
    /// Print the settings the loader chose (board, addresses, device) on
    /// stderr before it acts.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Machine-readable output, errors included.
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
    /// Set by `run`: the binary was invoked as `tockloader`.
    #[arg(skip)]
    pub invoked_as_tockloader: bool,
}

/// tockloader's `max_size` for a flash file of this board: how far it lets
/// a file grow (1 GiB unless the board says less).
fn tockloader_flash_file_limit(board: &str) -> u32 {
    match board {
        "qemu_rv32_virt" | "raspberry_pi_pico" => 0x20_0000,
        _ => 0x4000_0000,
    }
}

impl Options {
    pub fn json_output(&self) -> bool {
        self.json || self.output_format.as_deref() == Some("json")
    }

    /// The board's name: --board, else ours (qemu-rv32-virt). Invoked as
    /// tockloader on a flash file, or given the board's layout on the
    /// command line (--arch, --flash-address, --app-address) without a
    /// name, tockloader's nameless defaults (flash at 0, apps at 0x30000)
    /// under those settings: a board described by hand has none of our
    /// board's rules (its app RAM, its reserved flash).
    fn board_name(&self) -> &str {
        let described =
            self.arch.is_some() || self.flash_address.is_some() || self.app_address.is_some();
        match &self.board {
            Some(name) => name,
            None if self.invoked_as_tockloader && self.flash_file.is_some() => "generic",
            None if described => "generic",
            None => loader_cli::board::QEMU_RV32_VIRT,
        }
    }

    /// The board: known table, then command-line overrides.
    pub fn board(&self) -> Result<Board> {
        let name = self.board_name();
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
        if let Some(path) = &self.flash_file {
            board.flash_size = self.flash_file_size(&board, path);
        }
        if board.app_address < board.flash_address {
            anyhow::bail!(LoaderError::Configuration {
                what: "app address".to_string(),
                hint: format!(
                    "--app-address {:#x} lies before flash at {:#x} (board `{}`); pass --flash-address 0 (or the board's), or fix --app-address",
                    board.app_address, board.flash_address, board.name
                ),
            });
        }
        if self.debug {
            eprintln!("debug: board {board:?}");
        }
        Ok(board)
    }

    /// How far a flash file may reach. As tockloader: its per-board
    /// limit, so the same installs succeed and fail. Ours: a file that
    /// reaches into app flash is the whole flash (a pflash image: its
    /// length is the flash size); one that ends before app flash is a
    /// kernel image alone, which writes grow up to the board's flash size.
    fn flash_file_size(&self, board: &Board, path: &std::path::Path) -> u32 {
        if self.invoked_as_tockloader {
            return tockloader_flash_file_limit(&board.name);
        }
        let Ok(metadata) = std::fs::metadata(path) else {
            return board.flash_size;
        };
        let length = u32::try_from(metadata.len()).unwrap_or(u32::MAX);
        let app_offset = board.app_address.saturating_sub(board.flash_address);
        if length <= app_offset {
            board.flash_size.max(length)
        } else {
            length
        }
    }

    /// The serial port: --port, else $LOADER_PORT, else the one serial
    /// port the system has.
    pub fn port(&self) -> Result<String> {
        if let Some(port) = &self.port {
            return Ok(port.clone());
        }
        if let Some(port) = std::env::var_os(PORT_VARIABLE).filter(|value| !value.is_empty()) {
            return Ok(port.to_string_lossy().into_owned());
        }
        let port = super::ports::the_only_port()?;
        if !self.quiet && !self.json_output() {
            eprintln!("Using {port}, the only serial port (pass --port to choose another).");
        }
        Ok(port)
    }

    /// Open the transport the options name.
    pub fn transport(&self, board: &Board) -> Result<Box<dyn Transport>> {
        if self.jlink || self.openocd {
            anyhow::bail!(LoaderError::Configuration {
                what: "transport".to_string(),
                hint: "--jlink and --openocd are not supported; use --port (serial bootloader), --swd CHIP (a probe, through probe-rs) or --flash-file".to_string(),
            });
        }
        if let Some(chip) = &self.swd {
            return swd_transport(chip);
        }
        if let Some(path) = &self.flash_file {
            if self.port.is_some() {
                anyhow::bail!(LoaderError::Configuration {
                    what: "transport".to_string(),
                    hint: "give either --flash-file or --port, not both".to_string(),
                });
            }
            let growth = if self.invoked_as_tockloader {
                Growth::Tockloader
            } else {
                Growth::Erased
            };
            let file = FlashFile::open_with(path, board.flash_address, board.flash_size, growth)?;
            return Ok(Box::new(file));
        }
        Ok(Box::new(self.serial_device()?.0))
    }

    /// The device on the serial port (bootloader or running kernel), and
    /// the port's name.
    pub fn serial_device(&self) -> Result<(SerialBootloader, String)> {
        let port = self.port()?;
        if self.debug {
            eprintln!("debug: serial port {port} at {} baud", self.baud_rate);
        }
        let link = SerialLink::open(&port, self.baud_rate)?;
        let device = SerialBootloader::connect(link)
            .with_context(|| format!("talking to the device on {port}"))?;
        Ok((device, port))
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
