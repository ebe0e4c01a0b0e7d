//! `libtock-c-abi-header write|check|print`: writes, checks or prints
//! libtock-c's `tock_abi.h` as rendered from `kernel-abi`.
#![forbid(unsafe_code)]

use libtock_c_abi_header::{render, HEADER_PATH};
use std::path::PathBuf;
use std::process::ExitCode;

fn header_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(HEADER_PATH)
}

fn main() -> ExitCode {
    let action = std::env::args().nth(1).unwrap_or_else(|| "check".into());
    let path = header_path();
    match action.as_str() {
        "print" => {
            print!("{}", render());
            ExitCode::SUCCESS
        }
        "write" => match std::fs::write(&path, render()) {
            Ok(()) => {
                println!("wrote {}", path.display());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: writing {}: {error}", path.display());
                ExitCode::FAILURE
            }
        },
        "check" => match std::fs::read_to_string(&path) {
            Ok(text) if text == render() => {
                println!("{} matches kernel-abi", path.display());
                ExitCode::SUCCESS
            }
            Ok(_) => {
                eprintln!(
                    "error: {} differs from kernel-abi; run \
                     `cargo run -p libtock-c-abi-header -- write`",
                    path.display()
                );
                ExitCode::FAILURE
            }
            Err(error) => {
                eprintln!("error: reading {}: {error}", path.display());
                ExitCode::FAILURE
            }
        },
        other => {
            eprintln!("error: unknown action `{other}`; use write, check or print");
            ExitCode::from(2)
        }
    }
}
