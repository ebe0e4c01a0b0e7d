//! `tbf inspect` exits non-zero on a file that is not a valid TBF or TAB
//! (an ELF, a TBF with a bad checksum) and says what the file is; a valid
//! image exits 0. Offsets and addresses in `--json` are hex strings.

mod common;

use common::{corpus_elf, run_tbf, scratch_dir};
use std::path::Path;

/// Packs the RISC-V corpus app in `dir`; returns the TBF's file name.
fn packed(dir: &Path) -> &'static str {
    std::fs::copy(corpus_elf("c_rv32_data"), dir.join("app.elf")).unwrap();
    let output = run_tbf(dir, &["pack", "--kernel-major", "2", "app.elf"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    "app.tbf"
}

#[test]
fn an_elf_is_not_called_a_tbf_and_fails() {
    let dir = scratch_dir("inspect-elf");
    std::fs::copy(corpus_elf("c_rv32_data"), dir.join("app.elf")).unwrap();
    let output = run_tbf(&dir, &["inspect", "app.elf"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("kind: elf (not a TBF"), "{stdout}");
    assert!(!stdout.contains("kind: tbf"), "{stdout}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a well-formed TBF"));
}

#[test]
fn a_bad_checksum_fails_in_text_and_json() {
    let dir = scratch_dir("inspect-checksum");
    let tbf = packed(&dir);
    let mut bytes = std::fs::read(dir.join(tbf)).unwrap();
    // The checksum is the base header's word at offset 12.
    bytes[12] ^= 0xff;
    std::fs::write(dir.join("bad.tbf"), &bytes).unwrap();
    for arguments in [
        &["inspect", "bad.tbf"][..],
        &["inspect", "--json", "bad.tbf"],
    ] {
        let output = run_tbf(&dir, arguments);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{arguments:?}: {stdout}");
        assert!(stdout.contains("checksum"), "{arguments:?}: {stdout}");
    }
}

#[test]
fn a_valid_image_passes_with_hex_offsets_in_json() {
    let dir = scratch_dir("inspect-valid");
    let tbf = packed(&dir);
    let output = run_tbf(&dir, &["inspect", "--json", tbf]);
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["kind"], "tbf");
    let header = &document["images"][0]["header"];
    let offset = header["tlvs"][0]["offset"]
        .as_str()
        .expect("offset is a string");
    assert!(offset.starts_with("0x"), "{offset}");
    let end = header["binary_end_offset"].as_str().expect("a string");
    assert!(end.starts_with("0x"), "{end}");
}
