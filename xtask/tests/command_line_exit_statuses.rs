//! The `cargo xtask` binary's command line: statuses documented in
//! CONTRIBUTING.md, checked without installing anything (a bad command line
//! is refused before the set-up runs).

use std::process::Command;

fn xtask(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(arguments)
        .output()
        .expect("the xtask binary runs")
}

#[test]
fn an_unknown_area_exits_with_the_usage_status_and_names_the_areas() {
    let output = xtask(&["test", "no-such-area"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no-such-area") && stderr.contains("lint"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing ran: {:?}", output.stdout);
}

#[test]
fn an_unknown_board_or_subcommand_exits_with_the_usage_status() {
    assert_eq!(
        xtask(&["qemu", "--board", "no-such-board"]).status.code(),
        Some(2)
    );
    assert_eq!(xtask(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn listing_the_areas_succeeds_and_shows_the_built_in_ones() {
    let output = xtask(&["test", "--list"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for area in ["lint", "host", "harness"] {
        assert!(
            stdout.lines().any(|line| line.starts_with(area)),
            "{area} missing:\n{stdout}"
        );
    }
}
