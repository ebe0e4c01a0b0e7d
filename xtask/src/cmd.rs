//! Running external programs with errors that say which command failed,
//! how, and with what output.

use anyhow::{bail, Context as _, Result};
use std::process::{Command, Stdio};

/// The command as a shell-like line, for messages.
pub fn describe(command: &Command) -> String {
    let program = std::path::Path::new(command.get_program());
    // `$CARGO` is a long toolchain path; `cargo` says the same to a reader.
    let mut line = if program.file_name().is_some_and(|name| name == "cargo") {
        "cargo".to_owned()
    } else {
        program.to_string_lossy().into_owned()
    };
    for argument in command.get_args() {
        line.push(' ');
        line.push_str(&argument.to_string_lossy());
    }
    line
}

/// Runs `command` with inherited stdio, printing it first; fails unless it
/// exits with status 0.
pub fn run(command: &mut Command) -> Result<()> {
    let line = describe(command);
    println!("$ {line}");
    let status = command
        .status()
        .with_context(|| format!("could not start `{line}`: is the program installed?"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// Runs `command` quietly and returns its stdout; on failure the error holds
/// stdout and stderr.
pub fn output(command: &mut Command) -> Result<String> {
    let line = describe(command);
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{line}`: is the program installed?"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "`{line}` failed ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}

/// Whether `command` can be started and exits with status 0 (output discarded).
pub fn succeeds(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
