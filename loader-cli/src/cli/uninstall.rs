//! `uninstall`.

use anyhow::Result;
use clap::Args;
use loader_cli::Loader;

use super::progress_bar::Bars;
use super::Options;

#[derive(Args, Debug)]
pub struct UninstallArgs {
    /// App names.
    #[arg(required = true)]
    pub names: Vec<String>,
}

pub fn run(options: &Options, args: UninstallArgs) -> Result<()> {
    let board = options.board()?;
    let mut transport = options.transport(&board)?;
    let mut progress = Bars::new(options.quiet || options.json_output());
    let mut loader = Loader {
        transport: transport.as_mut(),
        board,
        progress: &mut progress,
    };
    let removed = loader.uninstall(&args.names, options.force)?;
    if options.json_output() {
        let summary = serde_json::json!({
            "uninstalled": removed,
            "device": loader.transport.describe(),
        });
        println!("{summary}");
    } else if !options.quiet {
        super::install::print_console(loader.transport.take_console());
        eprintln!("Uninstalled {}.", removed.join(", "));
    }
    Ok(())
}
