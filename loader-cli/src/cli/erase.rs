//! `erase-apps`.

use anyhow::Result;
use loader_cli::Loader;

use super::progress_bar::Bars;
use super::Options;

pub fn run(options: &Options) -> Result<()> {
    let board = options.board()?;
    let mut transport = options.transport(&board)?;
    let mut progress = Bars::new(options.quiet || options.json_output());
    let mut loader = Loader {
        transport: transport.as_mut(),
        board,
        progress: &mut progress,
    };
    loader.erase_apps(options.force)?;
    if options.json_output() {
        let summary = serde_json::json!({
            "erased": true,
            "device": loader.transport.describe(),
            "app_address": format!("{:#x}", loader.board.app_address),
        });
        println!("{summary}");
    }
    Ok(())
}
