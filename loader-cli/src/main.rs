//! `loader`: the command line over `loader_cli`. Invoked as `tockloader`
//! (through a symlink) it places apps exactly as tockloader does.
//!
//! Exit codes: 0 done; 1 the device or flash file failed; 2 bad command
//! line; 3 bad input file (TAB, TBF, architecture); 4 the apps do not fit;
//! 5 refused (would invalidate credentials) or nothing to do. With
//! `--json`, a failure is `{"error": ..., "exit_code": ...}` on stdout.

#![forbid(unsafe_code)]

mod cli;

use clap::Parser;

/// The program's own name (`loader`, or `tockloader` through a symlink).
fn invoked_as() -> String {
    std::env::args_os()
        .next()
        .and_then(|arg| {
            std::path::Path::new(&arg)
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_default()
}

/// `tockloader --version` (anywhere before `--`, as argparse takes it):
/// scripts compare the version they read on stdout, so it is tockloader's;
/// stderr says whose it really is.
fn print_tockloader_version_if_asked() -> bool {
    let asked = std::env::args()
        .skip(1)
        .take_while(|arg| arg != "--")
        .any(|arg| arg == "--version");
    if asked {
        println!("{}", cli::TOCKLOADER_VERSION);
        eprintln!(
            "(this is loader {}, a drop-in for tockloader {})",
            env!("CARGO_PKG_VERSION"),
            cli::TOCKLOADER_VERSION
        );
    }
    asked
}

/// Whether the command line asks for JSON (read before it is parsed, for
/// errors in parsing it).
fn json_asked() -> bool {
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let format_json =
            argument == "--output-format" && arguments.next().as_deref() == Some("json");
        if argument == "--json" || argument == "--output-format=json" || format_json {
            return true;
        }
    }
    false
}

/// Print a failure: `{"error": ..., "exit_code": ...}` on stdout with
/// --json (scripts read one document either way), else one line on stderr
/// whose `error:` is red where the terminal shows colour.
fn report(error: &anyhow::Error, json: bool, code: i32) {
    if json {
        let document = serde_json::json!({ "error": format!("{error:#}"), "exit_code": code });
        println!("{document}");
        return;
    }
    let style = anstyle::Style::new()
        .bold()
        .fg_color(Some(anstyle::AnsiColor::Red.into()));
    anstream::eprintln!("{style}error:{style:#} {error:#}");
}

fn main() {
    let tockloader = invoked_as().starts_with("tockloader");
    if tockloader && print_tockloader_version_if_asked() {
        return;
    }
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(error) if error.kind() == clap::error::ErrorKind::DisplayHelp => {
            // A verb's help lists only the options that verb uses.
            match cli::verb_help(std::env::args().skip(1)) {
                Some(help) => print!("{help}"),
                None => error.exit(),
            }
            return;
        }
        Err(error) if error.use_stderr() && json_asked() => {
            // A bad command line, for a script that reads JSON.
            let reason = error.render().to_string();
            let first_line = reason.lines().next().unwrap_or_default();
            let document = serde_json::json!({ "error": first_line, "exit_code": 2 });
            println!("{document}");
            std::process::exit(2);
        }
        Err(error) => error.exit(),
    };
    let json = args.options.json_output();
    if let Err(error) = cli::run(args, tockloader) {
        let code = cli::exit_code(&error);
        report(&error, json, code);
        std::process::exit(code);
    }
}
