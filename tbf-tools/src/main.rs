//! `tbf`: the packager's command line. Errors print as one line on stderr
//! and exit with status 2 (`tbf verify` documents its other statuses).
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    match tbf_tools::commands::run(std::env::args_os().collect()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
