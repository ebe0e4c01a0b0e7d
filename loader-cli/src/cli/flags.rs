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
    Ok(())
}
