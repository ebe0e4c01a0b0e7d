//! `loader`: the command line over `loader_cli`. Invoked as `tockloader`
//! (through a symlink) it places apps exactly as tockloader does.
//!
//! Exit codes: 0 done; 1 the device or flash file failed; 2 bad command
//! line; 3 bad input file (TAB, TBF, architecture); 4 the apps do not fit;
//! 5 refused (would invalidate credentials) or nothing to do.

#![forbid(unsafe_code)]

mod cli;

use clap::Parser;

fn main() {
    let invoked_as = std::env::args_os()
        .next()
        .and_then(|arg| {
            std::path::Path::new(&arg)
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let args = cli::Cli::parse();
    let tockloader = invoked_as.starts_with("tockloader");
    if let Err(error) = cli::run(args, tockloader) {
        eprintln!("error: {error:#}");
        std::process::exit(cli::exit_code(&error));
    }
}
