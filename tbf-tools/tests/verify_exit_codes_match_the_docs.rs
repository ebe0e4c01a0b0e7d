//! `tbf verify`'s exit statuses are those docs/packager.md and
//! docs/signing.md give: 0 verified with the key, 3 when a signature does
//! not verify with `--key` (another key's, or altered: the two cannot be
//! told apart), 1 when a digest or the header shows alteration, 2 when the
//! command cannot run.

mod common;

use common::{corpus_elf, keygen, run_tbf, scratch_dir};
use std::path::Path;

fn status(dir: &Path, arguments: &[&str]) -> (i32, String) {
    let output = run_tbf(dir, arguments);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().expect("verify was killed"), text)
}

/// The corpus app packed and signed with `key`, plus `extra` flags.
fn signed(dir: &Path, key: &Path, extra: &[&str]) {
    std::fs::copy(corpus_elf("c_rv32_data"), dir.join("app.elf")).unwrap();
    let der = key.with_extension("der");
    let mut arguments = vec!["pack", "--kernel-major", "2", "--ecdsa-nist-p256-private"];
    arguments.push(der.to_str().unwrap());
    arguments.extend_from_slice(extra);
    arguments.push("app.elf");
    let (code, text) = status(dir, &arguments);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn the_wrong_key_is_status_3_as_documented() {
    let dir = scratch_dir("verify-wrong-key");
    let signer = keygen(&dir, "signer");
    let other = keygen(&dir, "other");
    signed(&dir, &signer, &[]);
    let right = signer.with_extension("pub");
    let (code, text) = status(
        &dir,
        &["verify", "--key", right.to_str().unwrap(), "app.tbf"],
    );
    assert_eq!(code, 0, "{text}");
    let wrong = other.with_extension("pub");
    let (code, text) = status(
        &dir,
        &["verify", "--key", wrong.to_str().unwrap(), "app.tbf"],
    );
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("does not verify with --key"), "{text}");
}

#[test]
fn alteration_is_status_1_when_a_digest_shows_it() {
    let dir = scratch_dir("verify-altered");
    let signer = keygen(&dir, "signer");
    signed(&dir, &signer, &["--sha256"]);
    let mut bytes = std::fs::read(dir.join("app.tbf")).unwrap();
    let end = tbf::parse(&bytes).unwrap().binary_end_offset() as usize;
    bytes[end - 1] ^= 1;
    std::fs::write(dir.join("altered.tbf"), &bytes).unwrap();
    let key = signer.with_extension("pub");
    let (code, text) = status(
        &dir,
        &["verify", "--key", key.to_str().unwrap(), "altered.tbf"],
    );
    assert_eq!(code, 1, "{text}");
}

#[test]
fn a_command_that_cannot_run_is_status_2() {
    let dir = scratch_dir("verify-cannot-run");
    let (code, text) = status(&dir, &["verify", "missing.tbf"]);
    assert_eq!(code, 2, "{text}");
}
