//! `cargo xtask`: the one driver of builds, runs, tests and benchmarks.
//!
//! `cargo xtask run` runs the main job; `cargo xtask test [FILTER]` every
//! test area; `cargo xtask bench [FILTER]` every benchmark; `cargo xtask
//! setup` installs what is missing (and every other command calls it
//! first); `cargo xtask qemu --board B` boots a board.
//!
//! The command line only: everything it runs lives in the `xtask` library.
#![forbid(unsafe_code)]

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use xtask::areas::kernel::serve::SerialLine;
use xtask::context::Context;
use xtask::{areas, exit, new_app, runner, setup, Board, BoardRun};

/// The main job of `cargo xtask run`, step by step: each area's part of
/// the story, from app source to apps running on the emulated board.
const MAIN_JOB: &[(&str, areas::TestsFn)] = &[
    (
        "build, package, sign and verify an app",
        areas::packager::demo,
    ),
    (
        "boot qemu-rv32-virt with example apps",
        areas::kernel::run_demo,
    ),
    (
        "install, list, replace and remove apps on the running board (no reboot)",
        areas::loader::run_demo,
    ),
    (
        "your own app: made by new-app, signed with its key, installed live",
        areas::new_app::run_demo,
    ),
];

fn run_main_job(context: &Context) -> Result<()> {
    for (index, (what, step)) in MAIN_JOB.iter().enumerate() {
        println!(
            "\n==== run step {} of {}: {what}",
            index + 1,
            MAIN_JOB.len()
        );
        step(context).with_context(|| format!("run step {}: {what}", index + 1))?;
    }
    Ok(())
}

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Build, run, test and benchmark the project"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install missing tools (rustup targets, Debian packages, upstream tools); idempotent.
    Setup,
    /// Run the main job: the whole story, from app source to a running device.
    Run,
    /// Run every test area, or those FILTER selects (`lint,host`, `packager:elf2tab`).
    Test {
        /// Comma-separated areas, each optionally `AREA:SUBFILTER`.
        filter: Option<String>,
        /// List the areas and exit.
        #[arg(long)]
        list: bool,
    },
    /// Run the benchmarks, print each figure and write target/bench.json.
    Bench {
        /// Comma-separated areas, as for `test`.
        filter: Option<String>,
    },
    /// Build a board's kernel, write apps into its flash file and boot it in QEMU.
    Qemu {
        /// The board to boot.
        #[arg(long, value_enum)]
        board: Board,
        /// The board's flash file (created erased if it does not exist).
        #[arg(long)]
        flash: Option<PathBuf>,
        /// App bundles to write into the flash before booting.
        #[arg(long = "tab", value_name = "APP.tab")]
        tabs: Vec<PathBuf>,
        /// The serial line: stdio (this terminal, the default), tcp:PORT
        /// (or tcp for a free port) or pty, for the loader (qemu-rv32-virt).
        #[arg(long, value_name = "LINE", default_value = "stdio")]
        serial: SerialLine,
        /// Serve the HID link (FIDO and keyboard reports, 65-byte frames) on
        /// this Unix socket, for FIDO clients (qemu-rv32-virt).
        #[arg(long, value_name = "SOCKET")]
        hid_link: Option<PathBuf>,
    },
    /// Make the CTAP2 app's batch attestation key and certificate (apps/rust/ctap2/attestation).
    Ctap2Attestation {
        /// Replace an existing identity.
        #[arg(long)]
        force: bool,
    },
    /// Make a new app project outside the tree, with build, packaging and signing set up.
    NewApp {
        /// The app's name (a-z, 0-9, _; at most 16 characters).
        name: String,
        /// Its language.
        #[arg(long = "lang", value_enum)]
        language: new_app::Language,
        /// The directory to make it in (default: the directory holding this checkout).
        #[arg(long = "dir", value_name = "PATH")]
        directory: Option<PathBuf>,
    },
}

fn execute(command: Command) -> Result<u8> {
    let context = Context::from_environment()?;
    if let Command::Test { list: true, .. } = command {
        runner::list();
        return Ok(exit::SUCCESS);
    }
    if let Command::Test { filter, .. } | Command::Bench { filter } = &command {
        // A mistyped area fails at once, before any installation.
        runner::select(filter.as_deref())?;
    }
    setup::ensure_all()?;
    let passed = match command {
        Command::Setup => true,
        Command::Run => run_main_job(&context).map(|()| true)?,
        Command::Ctap2Attestation { force } => {
            xtask::ctap2_attestation::generate(&context, force).map(|()| true)?
        }
        Command::Test { filter, .. } => runner::test(&context, filter.as_deref())?,
        Command::Bench { filter } => runner::bench(&context, filter.as_deref())?,
        Command::NewApp {
            name,
            language,
            directory,
        } => {
            // `cargo xtask` runs inside the checkout; apps live beside it.
            let directory = match directory {
                Some(directory) => directory,
                None => context
                    .workspace
                    .parent()
                    .context("the checkout has no parent directory: pass --dir")?
                    .to_path_buf(),
            };
            let request = new_app::NewApp {
                name,
                language,
                directory: std::path::absolute(&directory)
                    .with_context(|| format!("resolving {}", directory.display()))?,
            };
            let app = new_app::create(&context, &request)?;
            println!("{}", new_app::next_steps(&app));
            true
        }
        Command::Qemu {
            board,
            flash,
            tabs,
            serial,
            hid_link,
        } => {
            if board != Board::QemuRv32Virt && hid_link.is_some() {
                return Err(anyhow::anyhow!(
                    "--hid-link: only qemu-rv32-virt has the HID link; {} has none",
                    board.name()
                )
                .context(exit::UsageError));
            }
            if board != Board::QemuRv32Virt && serial != SerialLine::Terminal {
                return Err(anyhow::anyhow!(
                    "--serial {serial:?}: only qemu-rv32-virt serves the loader on its serial \
                     line; {} keeps its console on this terminal",
                    board.name()
                )
                .context(exit::UsageError));
            }
            let run = BoardRun {
                board,
                flash,
                tabs,
                serial,
                hid_link,
            };
            let code = match run.board {
                Board::QemuRv32Virt => areas::kernel::qemu_command(&context, &run)?,
                Board::Mps2An386 => areas::cortex_m::qemu_command(&context, &run)?,
            };
            // The guest's exit code passes through; codes beyond a byte mean failure.
            return Ok(u8::try_from(code).unwrap_or(exit::FAILURE));
        }
    };
    Ok(if passed { exit::SUCCESS } else { exit::FAILURE })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit::status_for(&error))
        }
    }
}
