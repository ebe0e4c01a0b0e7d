//! `process`: the processes of a running kernel (our loader service),
//! listed with their state, and stopped, started or restarted by name.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use loader_cli::{LoaderError, SerialBootloader};
use loader_protocol::{app_records, AppState, ProcessAction, ProcessState, Request};

use super::Options;

#[derive(Args, Debug)]
pub struct ProcessArgs {
    #[command(subcommand)]
    pub action: ProcessCommand,
}

#[derive(Subcommand, Debug)]
pub enum ProcessCommand {
    /// List the app images with their state (running, stopped, exited,
    /// faulted, disabled, refused), as `list` shows them.
    List,
    /// Stop a process (it resumes where it was with `start`).
    Stop { name: String },
    /// Resume a stopped process.
    Start { name: String },
    /// Restart a process from its entry point (also a terminated one).
    Restart { name: String },
}

/// One app image as the kernel reports it, with its state.
struct Process {
    name: String,
    address: u32,
    size: u32,
    /// The kernel's process state (`NotLoaded` when none runs from it).
    process: ProcessState,
    /// The shared model's state, as `list` shows it.
    state: AppState,
}

fn connect(options: &Options) -> Result<SerialBootloader> {
    if options.flash_file.is_some() {
        bail!(LoaderError::Configuration {
            what: "device".to_string(),
            hint: "process control needs a running kernel: pass --port PORT or set LOADER_PORT"
                .to_string(),
        });
    }
    Ok(options.serial_device()?.0)
}

fn processes(device: &mut SerialBootloader) -> Result<Vec<Process>> {
    let body = device.extension_ok(&Request::ListApps).context(
        "listing processes (is a kernel with the loader service running, not a bootloader?)",
    )?;
    Ok(app_records(&body)
        .map(|record| Process {
            name: record.name.to_string(),
            address: record.address,
            size: record.total_size,
            process: record.state,
            state: AppState::of(record.enabled, record.state),
        })
        .collect())
}

pub fn run(options: &Options, args: ProcessArgs) -> Result<()> {
    let mut device = connect(options)?;
    let list = processes(&mut device)?;
    let (name, action) = match args.action {
        ProcessCommand::List => return print(options, &list),
        ProcessCommand::Stop { name } => (name, ProcessAction::Stop),
        ProcessCommand::Start { name } => (name, ProcessAction::Resume),
        ProcessCommand::Restart { name } => (name, ProcessAction::Restart),
    };
    // The library's check and request: the one the model-based sequences
    // drive against the simulated kernel.
    let mut silent = loader_cli::progress::Silent;
    let mut loader = loader_cli::Loader {
        transport: &mut device,
        board: options.board()?,
        progress: &mut silent,
    };
    loader.control_process(&name, action)?;
    if !options.quiet {
        eprintln!("{name}: {action:?} done.");
    }
    Ok(())
}

fn print(options: &Options, list: &[Process]) -> Result<()> {
    if options.json_output() {
        let values: Vec<serde_json::Value> = list
            .iter()
            .map(|p| {
                serde_json::json!({
                    // Addresses as users read them; the size stays a number.
                    "name": p.name, "address": format!("{:#x}", p.address), "size": p.size,
                    "state": format!("{:?}", p.process), "app_state": p.state.name(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(values));
        return Ok(());
    }
    println!("{:<20} {:>10} {:>8} state", "name", "address", "size");
    for p in list {
        println!(
            "{:<20} {:#010x} {:>8} {}",
            p.name,
            p.address,
            p.size,
            p.state.name()
        );
    }
    Ok(())
}
