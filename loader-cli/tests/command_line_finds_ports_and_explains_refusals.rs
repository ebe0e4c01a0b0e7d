//! The command line as users drive it: `--serial` takes no value (so
//! `install --serial app.tab` installs the TAB), the port comes from
//! `LOADER_PORT` when `--port` is absent (and with neither, the error says
//! how to name one), tockloader verbs that belong to the packager name its
//! command, an ELF is refused with the pack command, `--json` errors are a
//! JSON document, completions print, `listen --timestamp` stamps lines,
//! `list-known-boards` lists every board, and `error:` is coloured only
//! where colour is allowed.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{build_tab, loader, scratch, Target};

/// The loader with `arguments`, no port in the environment.
fn loader_without_port(arguments: &[&str]) -> Output {
    Command::new(loader())
        .args(arguments)
        .env_remove("LOADER_PORT")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_port_comes_from_loader_port_when_no_port_is_given() {
    let port = common::tcp_bootloader::serve_once("simulated", b"");
    let output = Command::new(loader())
        .args(["list-attributes"])
        .env("LOADER_PORT", &port)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "board = simulated\n"
    );
}

#[test]
fn with_no_port_anywhere_the_error_says_how_to_name_one() {
    // This machine has no USB serial adapter, so there is no port to find.
    let output = loader_without_port(&["list"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    for expected in [
        "no serial port found",
        "--port",
        "LOADER_PORT",
        "--flash-file",
    ] {
        assert!(message.contains(expected), "no `{expected}` in: {message}");
    }
}

#[test]
fn serial_takes_no_value_so_install_serial_installs_the_tab() {
    let dir = scratch("serial-flag");
    const AT: &[(u32, u32)] = &[(0x2004_0080, 0x8001_0000)];
    let tab = build_tab(&dir, "alpha", 300, Target::RiscV(AT));
    let flash = dir.join("flash.bin");
    let output = loader_without_port(&[
        "install",
        "--serial",
        tab.to_str().unwrap(),
        "--flash-file",
        flash.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let listing = loader_without_port(&["list", "--flash-file", flash.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&listing.stdout).contains("alpha"));
}

#[test]
fn tockloader_verbs_of_the_packager_name_its_command() {
    let cases: [(&[&str], &str); 4] = [
        (&["inspect-tab", "app.tab"], "tbf inspect"),
        (
            &["tbf", "tlv", "add", "permissions", "1", "2", "app.tab"],
            "tbf pack",
        ),
        (
            &["tbf", "credential", "add", "sha256", "app.tab"],
            "tbf sign",
        ),
        (&["remove-attribute", "board"], "set-attribute"),
    ];
    for (arguments, alternative) in cases {
        let output = loader_without_port(arguments);
        assert_eq!(output.status.code(), Some(2), "{arguments:?}");
        let message = stderr(&output);
        assert!(message.contains(alternative), "{arguments:?}: {message}");
    }
}

#[test]
fn installing_an_elf_says_it_is_an_elf_and_shows_the_pack_command() {
    let dir = scratch("elf-install");
    let elf = dir.join("blink.elf");
    std::fs::write(&elf, b"\x7fELF\x01\x01\x01\0\0\0\0\0\0\0\0\0").unwrap();
    let flash = dir.join("flash.bin");
    let output = loader_without_port(&[
        "install",
        elf.to_str().unwrap(),
        "--flash-file",
        flash.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(message.contains("ELF"), "{message}");
    assert!(
        message.contains("tbf pack -o blink.tab -n blink")
            && message.contains("blink.elf,rv32imac"),
        "{message}"
    );
    assert!(
        !flash.exists(),
        "nothing may be written for a refused input"
    );
}

#[test]
fn json_errors_are_one_json_document_with_the_exit_code() {
    let dir = scratch("json-errors");
    let missing_directory = dir.join("no-such-directory").join("flash.bin");
    let output = loader_without_port(&[
        "list",
        "--json",
        "--flash-file",
        missing_directory.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["exit_code"], 1);
    assert!(document["error"]
        .as_str()
        .unwrap()
        .contains("no-such-directory"));
    // A bad command line too.
    let output = loader_without_port(&["--json", "no-such-verb"]);
    assert_eq!(output.status.code(), Some(2));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(document["error"].as_str().unwrap().contains("no-such-verb"));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_loader()"),
        ("zsh", "#compdef loader"),
        ("fish", "complete -c loader"),
    ] {
        let output = loader_without_port(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        assert!(
            script.contains("list-known-boards"),
            "{shell}: verbs missing"
        );
    }
}

#[test]
fn listen_timestamp_starts_each_line_with_the_time() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let child = Command::new(loader())
        .args([
            "listen",
            "--timestamp",
            "--port",
            &format!("tcp:127.0.0.1:{port}"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut device, _) = listener.accept().unwrap();
    device.write_all(b"first\nsec").unwrap();
    device.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    device.write_all(b"ond\n").unwrap();
    drop(device);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for (line, content) in lines.iter().zip(["first", "second"]) {
        // `[YYYY-MM-DD HH:MM:SS.ffffff] content`, as tockloader's.
        let (stamp, rest) = line.split_once("] ").unwrap();
        assert_eq!(rest, content);
        assert_eq!(stamp.len(), 27, "{line}");
        assert!(
            stamp.starts_with("[20") && stamp.as_bytes()[11] == b' ',
            "{line}"
        );
    }
}

#[test]
fn list_known_boards_lists_each_board_with_hex_addresses() {
    let output = loader_without_port(&["list-known-boards"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for board in [
        "qemu-rv32-virt",
        "hifive1b",
        "nrf52840dk",
        "raspberry_pi_pico",
    ] {
        assert!(text.contains(board), "{board} missing: {text}");
    }
    let output = loader_without_port(&["list-known-boards", "--json"]);
    let boards: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let pico = boards
        .as_array()
        .unwrap()
        .iter()
        .find(|board| board["name"] == "raspberry_pi_pico")
        .unwrap();
    assert_eq!(pico["flash_address"], "0x10000000");
    assert_eq!(pico["app_address"], "0x10020000");
}

#[test]
fn error_is_coloured_only_where_colour_is_allowed() {
    let missing = Path::new("/nonexistent-directory/flash.bin");
    let arguments = ["list", "--flash-file", missing.to_str().unwrap()];
    // Piped (not a terminal): plain text.
    let plain = loader_without_port(&arguments);
    assert!(stderr(&plain).starts_with("error: "), "{}", stderr(&plain));
    // Forced on (CLICOLOR_FORCE, as a terminal would allow): styled.
    let forced = Command::new(loader())
        .args(arguments)
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(
        stderr(&forced).starts_with("\u{1b}["),
        "{:?}",
        stderr(&forced)
    );
}

#[test]
fn every_verb_answers_one_json_document_with_hex_addresses() {
    let dir = scratch("json-verbs");
    const AT: &[(u32, u32)] = &[(0x2004_0080, 0x8001_0000)];
    let tab = build_tab(&dir, "alpha", 300, Target::RiscV(AT));
    let binary = dir.join("kernel.bin");
    std::fs::write(&binary, [0x13u8; 64]).unwrap();
    let flash = dir.join("flash.bin");
    let file = flash.to_str().unwrap();
    let verbs: [&[&str]; 13] = [
        &["install", tab.to_str().unwrap()],
        &["list"],
        &["info"],
        &["disable-app", "alpha"],
        &["enable-app", "alpha"],
        &["sticky-app", "alpha"],
        &["unsticky-app", "alpha"],
        &["read", "0x20040000", "32"],
        &["dump-flash-page", "0x100200"],
        &["write", "0x21000000", "4", "0"],
        &["flash", "--address", "0x20000000", binary.to_str().unwrap()],
        &["uninstall", "alpha"],
        &["erase-apps"],
    ];
    for verb in verbs {
        let mut arguments = verb.to_vec();
        arguments.extend(["--json", "--flash-file", file]);
        let output = loader_without_port(&arguments);
        assert!(output.status.success(), "{verb:?}: {}", stderr(&output));
        let document: Result<serde_json::Value, _> = serde_json::from_slice(&output.stdout);
        assert!(
            document.is_ok(),
            "{verb:?} printed no JSON document: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    let info = loader_without_port(&["info", "--json", "--flash-file", file]);
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["app_address"], "0x20040000");
    let read = loader_without_port(&["read", "0x20040000", "4", "--json", "--flash-file", file]);
    let read: serde_json::Value = serde_json::from_slice(&read.stdout).unwrap();
    assert_eq!(read["address"], "0x20040000");
}

#[test]
fn a_verbs_help_lists_only_the_options_it_uses_and_all_are_still_accepted() {
    let help = |arguments: &[&str]| {
        let output = loader_without_port(arguments);
        assert!(output.status.success(), "{arguments:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let listen = help(&["listen", "--help"]);
    for used in ["--port", "--timestamp", "--baud-rate"] {
        assert!(
            listen.contains(used),
            "listen --help lacks {used}:\n{listen}"
        );
    }
    for unused in [
        "--flash-file",
        "--app-address",
        "--force",
        "--tockloader-layout",
    ] {
        assert!(
            !listen.contains(unused),
            "listen --help shows {unused}:\n{listen}"
        );
    }
    let boards = help(&["help", "list-known-boards"]);
    assert!(
        boards.contains("--json") && !boards.contains("--port"),
        "{boards}"
    );
    let install = help(&["--port", "tcp:127.0.0.1:1", "install", "--help"]);
    for used in [
        "--app-address",
        "--erase",
        "--sticky",
        "--preserve-order",
        "--flash-file",
    ] {
        assert!(install.contains(used), "install --help lacks {used}");
    }
    // Hidden from help, not refused: tockloader passes flags liberally.
    let accepted = loader_without_port(&["list-known-boards", "--force", "--arch", "rv32imac"]);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
}

#[test]
fn debug_prints_the_settings_chosen() {
    let dir = scratch("debug-flag");
    let flash = dir.join("flash.bin");
    let output = loader_without_port(&[
        "info",
        "--debug",
        "--board",
        "nrf52dk",
        "--flash-file",
        flash.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("debug: board") && message.contains("nrf52dk"),
        "{message}"
    );
}
