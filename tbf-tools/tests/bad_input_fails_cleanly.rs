//! Bad input gives one clear line on stderr, a non-zero exit status, and
//! leaves no output file behind (not even a partial one).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{corpus_elf, keygen, run_tbf, scratch_dir};

/// Files in `dir` whose extension is `tbf` or `tab`.
fn outputs(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("tbf" | "tab")))
        .collect();
    found.sort();
    found
}

/// Asserts a clean failure: non-zero, one stderr line mentioning `expected`.
fn assert_clean_failure(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "should fail; stderr: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "want exactly one line on stderr, got:\n{stderr}"
    );
    assert!(
        stderr.to_lowercase().contains(&expected.to_lowercase()),
        "stderr should mention `{expected}`: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
}

/// A directory holding `elf.elf` with `bytes`.
fn dir_with_elf(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = scratch_dir(name);
    std::fs::write(dir.join("elf.elf"), bytes).unwrap();
    dir
}

fn pack_fails(name: &str, bytes: &[u8], expected: &str) {
    let dir = dir_with_elf(name, bytes);
    let output = run_tbf(&dir, &["pack", "elf.elf"]);
    assert_clean_failure(&output, expected);
    assert!(outputs(&dir).is_empty(), "{name}: left {:?}", outputs(&dir));
}

fn good_elf() -> Vec<u8> {
    std::fs::read(corpus_elf("c_rv32_data")).unwrap()
}

#[test]
fn a_file_that_is_not_an_elf_is_rejected() {
    pack_fails(
        "not-elf",
        b"this is a text file, not an ELF at all\n",
        "not a valid ELF",
    );
}

#[test]
fn a_truncated_elf_is_rejected() {
    let elf = good_elf();
    for cut in [10, 52, 200, elf.len() / 2, elf.len() - 1] {
        pack_fails(&format!("truncated-{cut}"), &elf[..cut], "elf");
    }
}

#[test]
fn an_unsupported_architecture_is_rejected() {
    let mut elf = good_elf();
    // e_machine (offset 18): 62 is x86-64.
    elf[18..20].copy_from_slice(&62u16.to_le_bytes());
    pack_fails("x86-64", &elf, "unsupported architecture");
}

#[test]
fn an_elf_without_loadable_segments_is_rejected() {
    let mut elf = good_elf();
    // e_phnum (offset 44 in a 32-bit ELF header): no program headers.
    elf[44..46].copy_from_slice(&0u16.to_le_bytes());
    pack_fails("no-segments", &elf, "no loadable segment");
}

#[test]
fn keys_in_the_wrong_format_are_rejected() {
    let dir = dir_with_elf("wrong-key", &good_elf());
    let key = keygen(&dir, "signer");
    let public = key.with_extension("pub");
    let rsa = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/keys/rsa4096_test_only.der");
    std::fs::write(dir.join("garbage.der"), b"not a key").unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "pack",
                "elf.elf",
                "--ecdsa-nist-p256-private",
                public.to_str().unwrap(),
            ],
            "ECDSA P-256 private key",
        ),
        (
            &[
                "pack",
                "elf.elf",
                "--ecdsa-nist-p256-private",
                rsa.to_str().unwrap(),
            ],
            "ECDSA P-256 private key",
        ),
        (
            &["pack", "elf.elf", "--rsa4096-private", "garbage.der"],
            "RSA private key",
        ),
        (
            &[
                "pack",
                "elf.elf",
                "--ecdsa-nist-p256-private",
                "missing.der",
            ],
            "cannot read key",
        ),
    ];
    for (args, expected) in cases {
        assert_clean_failure(&run_tbf(&dir, args), expected);
        assert!(
            outputs(&dir).is_empty(),
            "{args:?} left {:?}",
            outputs(&dir)
        );
    }
    assert!(run_tbf(&dir, &["pack", "--deterministic", "elf.elf"])
        .status
        .success());
    let private = key.with_extension("der");
    let before = std::fs::read(dir.join("elf.tbf")).unwrap();
    assert_clean_failure(
        &run_tbf(
            &dir,
            &["verify", "--key", private.to_str().unwrap(), "elf.tbf"],
        ),
        "public key",
    );
    assert_clean_failure(
        &run_tbf(
            &dir,
            &["sign", "--key", public.to_str().unwrap(), "elf.tbf"],
        ),
        "private key",
    );
    assert_eq!(
        std::fs::read(dir.join("elf.tbf")).unwrap(),
        before,
        "a failed sign changed the image"
    );
}

#[test]
fn a_tab_with_a_wrong_member_is_rejected() {
    let dir = scratch_dir("wrong-member");
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in [
        ("metadata.toml", &b"tab-version = 1\n"[..]),
        ("notes.txt", &b"hello"[..]),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, data).unwrap();
    }
    std::fs::write(dir.join("bad.tab"), builder.into_inner().unwrap()).unwrap();
    let key = keygen(&dir, "signer");
    let before = std::fs::read(dir.join("bad.tab")).unwrap();
    let private = key.with_extension("der").display().to_string();
    let commands: [&[&str]; 3] = [
        &["verify", "bad.tab"],
        &["inspect", "bad.tab"],
        &["sign", "--key", &private, "bad.tab"],
    ];
    for args in commands {
        let output = run_tbf(&dir, args);
        assert_clean_failure(&output, "notes.txt");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    assert_eq!(std::fs::read(dir.join("bad.tab")).unwrap(), before);
}

#[test]
fn an_unwritable_output_path_leaves_nothing_behind() {
    let dir = dir_with_elf("unwritable", &good_elf());
    let output = run_tbf(
        &dir,
        &["pack", "elf.elf", "-o", "no-such-directory/app.tab"],
    );
    assert_clean_failure(&output, "no-such-directory/app.tab");
    assert!(outputs(&dir).is_empty(), "left {:?}", outputs(&dir));
}

#[test]
fn a_failing_input_among_several_writes_no_output() {
    let dir = dir_with_elf("one-bad-input", &good_elf());
    std::fs::write(dir.join("bad.elf"), b"garbage").unwrap();
    let output = run_tbf(&dir, &["pack", "elf.elf", "bad.elf"]);
    assert_clean_failure(&output, "bad.elf");
    assert!(outputs(&dir).is_empty(), "left {:?}", outputs(&dir));
}

#[test]
fn absurd_sizes_are_errors_not_crashes() {
    let dir = dir_with_elf("absurd-sizes", &good_elf());
    for flag in [
        "--minimum-footer-size",
        "--protected-region-size",
        "--stack",
        "--app-heap",
    ] {
        let output = run_tbf(&dir, &["pack", "elf.elf", flag, "4294967295"]);
        assert_clean_failure(&output, "too large");
        assert!(outputs(&dir).is_empty(), "{flag} left {:?}", outputs(&dir));
    }
}
