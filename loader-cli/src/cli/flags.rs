//! `enable-app` and `disable-app`.

use anyhow::Result;
use clap::Args;
use loader_cli::Loader;

use super::progress_bar::Bars;
use super::Options;

#[derive(Args, Debug)]
pub struct FlagArgs {
    /// App names.
    #[arg(required = true)]
    pub names: Vec<String>,
}

pub fn run(options: &Options, args: FlagArgs, enabled: bool) -> Result<()> {
    let board = options.board()?;
    let mut transport = options.transport(&board)?;
    let mut progress = Bars::new(options.quiet || options.json_output());
    let mut loader = Loader {
        transport: transport.as_mut(),
        board,
        progress: &mut progress,
    };
    loader.set_flag(&args.names, tbf::FLAG_ENABLED, enabled)?;
    let key = if enabled { "enabled" } else { "disabled" };
    print_json_summary(options, key, &args.names);
    Ok(())
}

/// With --json, what was changed (the verb's only output).
fn print_json_summary(options: &Options, key: &str, names: &[String]) {
    if options.json_output() {
        println!("{}", serde_json::json!({ key: names }));
    }
}

/// `sticky-app` and `unsticky-app`: the header's sticky flag (erase-apps
/// and uninstall keep sticky apps unless --force).
pub fn run_sticky(options: &Options, args: FlagArgs, sticky: bool) -> Result<()> {
    let board = options.board()?;
    let mut transport = options.transport(&board)?;
    let mut progress = Bars::new(options.quiet || options.json_output());
    let mut loader = Loader {
        transport: transport.as_mut(),
        board,
        progress: &mut progress,
    };
    loader.set_flag(&args.names, tbf::FLAG_STICKY, sticky)?;
    let key = if sticky { "sticky" } else { "unsticky" };
    print_json_summary(options, key, &args.names);
    Ok(())
}
