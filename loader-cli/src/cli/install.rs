//! `install` and `update`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use loader_cli::{load_app, Loader, Placement, Replace};

use super::progress_bar::Bars;
use super::Options;

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// TAB or TBF files.
    #[arg(required = true)]
    pub tabs: Vec<PathBuf>,
    /// Install beside an installed app of the same name instead of
    /// replacing it.
    #[arg(long)]
    pub no_replace: bool,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// TAB or TBF files.
    #[arg(required = true)]
    pub tabs: Vec<PathBuf>,
}

fn install(options: &Options, tabs: &[PathBuf], replace: Replace, tockloader: bool) -> Result<()> {
    let board = options.board()?;
    let arch = board.require_arch()?.to_string();
    let apps = tabs
        .iter()
        .map(|path| load_app(path, &arch, &board.name, options.force))
        .collect::<Result<Vec<_>, _>>()?;
    let mut transport = options.transport(&board)?;
    let mut progress = Bars::new(options.quiet || options.json_output());
    let mut loader = Loader {
        transport: transport.as_mut(),
        board,
        progress: &mut progress,
    };
    let placement = if tockloader {
        Placement::Tockloader
    } else {
        Placement::Append
    };
    loader.install(&apps, replace, placement)?;
    if options.json_output() {
        // For scripts and the `loader.serial_*` figures: what was sent.
        let summary = serde_json::json!({
            "installed": apps.iter().map(|app| app.name.as_str()).collect::<Vec<_>>(),
            "device": loader.transport.describe(),
            "app_bytes": apps.iter().map(|app| app.candidates[0].total_size).sum::<u32>(),
            "wire_bytes": loader.transport.wire_bytes(),
        });
        println!("{summary}");
    } else if !options.quiet {
        print_console(loader.transport.take_console());
        let names: Vec<&str> = apps.iter().map(|app| app.name.as_str()).collect();
        eprintln!(
            "Installed {} on {}.",
            names.join(", "),
            loader.transport.describe()
        );
    }
    Ok(())
}

/// Show what the device's console printed during the operation (a
/// running kernel's apps starting), indented under a title.
pub fn print_console(console: Vec<u8>) {
    if console.is_empty() {
        return;
    }
    eprintln!("Device console meanwhile:");
    for line in String::from_utf8_lossy(&console).lines() {
        eprintln!("  | {}", line.trim_end_matches('\r'));
    }
}

pub fn run(options: &Options, args: InstallArgs, tockloader: bool) -> Result<()> {
    let replace = if args.no_replace {
        Replace::No
    } else {
        Replace::Yes
    };
    install(options, &args.tabs, replace, tockloader)
}

pub fn run_update(options: &Options, args: UpdateArgs, tockloader: bool) -> Result<()> {
    install(options, &args.tabs, Replace::Only, tockloader)
}
