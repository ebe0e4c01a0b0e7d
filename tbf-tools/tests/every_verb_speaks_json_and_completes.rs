//! Every verb takes `--json` and prints one JSON document, errors included
//! (`{"error": ...}` with the usual exit status), offsets as hex strings;
//! `tbf completions SHELL` prints a completion script; each verb's help
//! lists only the options that verb uses.

mod common;

use common::{corpus_elf, run_tbf, scratch_dir};
use serde_json::Value;
use std::path::Path;

/// Runs `tbf` and parses its stdout as one JSON document.
fn json(dir: &Path, arguments: &[&str]) -> (i32, Value) {
    let output = run_tbf(dir, arguments);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("{arguments:?}: not JSON ({error}): {stdout}"));
    (output.status.code().expect("tbf was killed"), value)
}

#[test]
fn keygen_pack_sign_verify_and_inspect_print_json() {
    let dir = scratch_dir("json-verbs");
    std::fs::copy(corpus_elf("c_rv32_data"), dir.join("app.elf")).unwrap();
    let (code, keys) = json(&dir, &["keygen", "--json", "--out", "key"]);
    assert_eq!(code, 0);
    assert_eq!(
        keys["public_key"].as_str().map(str::len),
        Some(128),
        "{keys}"
    );
    let (code, packed) = json(
        &dir,
        &[
            "pack",
            "--json",
            "--kernel-major",
            "2",
            "--sha256",
            "app.elf",
        ],
    );
    assert_eq!(code, 0, "{packed}");
    assert_eq!(packed["images"][0]["tbf"], "app.tbf");
    assert_eq!(
        packed["warnings"].as_array().map(Vec::len),
        Some(0),
        "{packed}"
    );
    let (code, signed) = json(&dir, &["sign", "--json", "--key", "key.der", "app.tbf"]);
    assert_eq!(code, 0, "{signed}");
    assert!(signed["images"][0]["total_size"].is_u64(), "{signed}");
    let (code, verified) = json(&dir, &["verify", "--json", "--key", "key.pub", "app.tbf"]);
    assert_eq!(
        (code, verified["status"].as_u64()),
        (0, Some(0)),
        "{verified}"
    );
    let offset = verified["images"][0]["credentials"][0]["offset"]
        .as_str()
        .unwrap();
    assert!(offset.starts_with("0x"), "{verified}");
    let (code, inspected) = json(&dir, &["inspect", "--json", "app.tbf"]);
    assert_eq!(code, 0, "{inspected}");
}

#[test]
fn errors_are_json_too_with_the_same_status() {
    let dir = scratch_dir("json-errors");
    std::fs::write(dir.join("text.elf"), "not an ELF").unwrap();
    for arguments in [
        &["verify", "--json", "missing.tbf"][..],
        &["inspect", "--json", "missing.tbf"],
        &["sign", "--json", "--sha256", "missing.tbf"],
        &["pack", "--json", "text.elf"],
        &["keygen", "--json", "--out", "/nonexistent-directory/key"],
    ] {
        let (code, value) = json(&dir, arguments);
        assert_eq!(code, 2, "{arguments:?}: {value}");
        assert!(
            value["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{arguments:?}: {value}"
        );
    }
}

#[test]
fn completions_are_generated_for_every_verb() {
    let dir = scratch_dir("completions");
    for shell in ["bash", "zsh", "fish"] {
        let output = run_tbf(&dir, &["completions", shell]);
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{shell}");
        for word in [
            "verify",
            "inspect",
            "kernel-major",
            "ecdsa-nist-p256-private",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
}

#[test]
fn each_verb_lists_only_its_own_options() {
    let dir = scratch_dir("help");
    let help = |verb: &str| {
        let output = run_tbf(&dir, &[verb, "--help"]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    for (verb, foreign) in [
        ("verify", &["--stack", "--sha256", "--force", "--out"][..]),
        ("keygen", &["--key", "--stack", "--sha256", "--quiet"]),
        ("inspect", &["--stack", "--force", "--quiet"]),
        ("sign", &["--stack", "--force", "--quiet"]),
        ("pack", &["--force", "--quiet", "--key "]),
    ] {
        let text = help(verb);
        assert!(text.contains("--json"), "{verb} --help lacks --json");
        for option in foreign {
            assert!(
                !text.contains(option),
                "{verb} --help lists {option}:\n{text}"
            );
        }
    }
}
