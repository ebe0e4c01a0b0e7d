//! One module per subcommand of `tbf`.
//!
//! `--json` (every verb) prints one JSON document on stdout instead of text;
//! a failure is then `{"error": "..."}` on stdout, with the same exit
//! status. Offsets and addresses in JSON are `0x` hex strings.

pub mod inspect;
pub mod keygen;
pub mod keys;
pub mod pack;
pub mod sign;
pub mod verify;

use std::process::ExitCode;

use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};

/// The Tock packager: ELF to TBF/TAB, keys, signatures, verification.
#[derive(Parser, Debug)]
#[command(name = "tbf", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Package ELF files into TBF images and a TAB (elf2tab's flags).
    Pack(pack::PackArgs),
    /// Make an ECDSA P-256 key pair for signing apps.
    Keygen(keygen::KeygenArgs),
    /// Add or replace credentials in an existing TBF or TAB.
    Sign(sign::SignArgs),
    /// Signed changes to a device's trust store: add, revoke, replace root, permit rollback.
    Keys(keys::KeysArgs),
    /// Check every credential; the exit status is the verdict.
    Verify(verify::VerifyArgs),
    /// Show every field of a TBF or of each TBF in a TAB.
    Inspect(inspect::InspectArgs),
    /// Print a shell completion script, e.g. `tbf completions bash > ~/.local/share/bash-completion/completions/tbf`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
}

/// `elf2tab`'s command line: the pack flags at top level.
#[derive(Parser, Debug)]
#[command(
    name = "elf2tab",
    version = concat!("0.13.0 (tbf-tools ", env!("CARGO_PKG_VERSION"), ")"),
    about = "Convert Tock userland apps from .elf files to Tock Application Bundles (TABs or .tab files)."
)]
pub struct Elf2TabCli {
    #[command(flatten)]
    pub pack: pack::PackArgs,
}

/// Exit status of a command that could not run (usage, unreadable input).
pub const EXIT_ERROR: u8 = 2;

/// Prints `value` as the command's JSON document.
pub fn print_json(value: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Runs `tbf` with `args` (program name first). When the program is called
/// `elf2tab`, the pack flags are accepted at top level, as elf2tab does.
pub fn run(args: Vec<std::ffi::OsString>) -> Result<ExitCode> {
    let program = args.first().and_then(|arg0| {
        std::path::Path::new(arg0)
            .file_stem()
            .map(|s| s.to_os_string())
    });
    if program.as_deref() == Some(std::ffi::OsStr::new("elf2tab")) {
        let cli = Elf2TabCli::parse_from(args);
        pack::run(&cli.pack)?;
        return Ok(ExitCode::SUCCESS);
    }
    let cli = Cli::parse_from(args);
    // Each verb has its own `--json` (so its help lists only its options).
    let json = match &cli.command {
        Command::Pack(args) => args.json,
        Command::Keygen(args) => args.json,
        Command::Keys(args) => args.json(),
        Command::Sign(args) => args.json,
        Command::Verify(args) => args.json,
        Command::Inspect(args) => args.json,
        Command::Completions { .. } => false,
    };
    let result = match cli.command {
        Command::Pack(args) => pack::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Keygen(args) => keygen::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Keys(args) => keys::run(&args),
        Command::Sign(args) => sign::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Verify(args) => verify::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "tbf", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Err(error) if json => {
            print_json(&serde_json::json!({ "error": format!("{error:#}") }))?;
            Ok(ExitCode::from(EXIT_ERROR))
        }
        other => other,
    }
}
