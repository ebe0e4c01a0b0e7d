//! `tbf keys sign-change` signs a trust-store change with the root key from
//! a file, an outside command (openssl standing in for a KMS) or a SoftHSM2
//! token, and `tbf keys show` says what the change does and verifies it
//! with that root only: another key, or one changed byte, fails with exit
//! status 3; bytes that are no change fail with 1. A signer that answers
//! with another key's signature writes nothing. A missing openssl,
//! softhsm2 or pkcs11-tool fails the test with what to install.

mod common;

use std::path::Path;
use std::process::Command;

use common::{keygen, scratch_dir};
use serde_json::Value;

const SOFTHSM2_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const PIN: &str = "4321";

/// Runs `tbf` in `dir` with `environment`: exit status, stdout, stderr.
fn tbf(dir: &Path, args: &[&str], environment: &[(&str, &str)]) -> (i32, String, String) {
    let output = Command::new(common::tbf_binary())
        .current_dir(dir)
        .args(args)
        .env_remove("TBF_PKCS11_PIN")
        .envs(environment.iter().copied())
        .output()
        .expect("cannot run tbf");
    (
        output.status.code().expect("tbf was killed"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `tbf keys show --json [--root ROOT] FILE`: exit status and document.
fn show(dir: &Path, file: &str, root: Option<&str>) -> (i32, Value) {
    let mut args = vec!["keys", "show", "--json", file];
    if let Some(root) = root {
        args.extend(["--root", root]);
    }
    let (status, stdout, stderr) = tbf(dir, &args, &[]);
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {stdout}{stderr}"));
    (status, value)
}

#[test]
fn every_kind_of_change_signed_by_a_root_file_verifies_with_that_root_only() {
    let dir = scratch_dir("trust-change-file");
    keygen(&dir, "root");
    keygen(&dir, "other");
    keygen(&dir, "signing");
    let kinds: [(&[&str], &str); 4] = [
        (&["--add-key", "signing.pub"], "add-key"),
        (&["--revoke-key", "signing.pub.pem"], "revoke-key"),
        (&["--replace-root", "other.pub"], "replace-root"),
        (
            &["--permit-rollback", "hello", "--to-version", "3"],
            "permit-rollback",
        ),
    ];
    for (sequence, (flags, kind)) in kinds.iter().enumerate() {
        let sequence = (sequence + 1).to_string();
        let mut args = vec!["keys", "sign-change", "--sequence", &sequence];
        args.extend(*flags);
        args.extend(["--key", "root.der", "-o", "change.bin"]);
        let (status, stdout, stderr) = tbf(&dir, &args, &[]);
        assert_eq!(status, 0, "{args:?}: {stdout}{stderr}");
        let (status, value) = show(&dir, "change.bin", Some("root.pub"));
        assert_eq!(status, 0, "{value}");
        assert_eq!(value["kind"], *kind);
        assert_eq!(value["sequence"].as_u64(), Some(sequence.parse().unwrap()));
        assert_eq!(value["verified"], true, "{value}");
        let (status, value) = show(&dir, "change.bin", Some("other.pub"));
        assert_eq!((status, &value["verified"]), (3, &Value::Bool(false)));
    }
    let (_, permit) = show(&dir, "change.bin", None);
    assert_eq!(
        (&permit["app"], &permit["version"]),
        (&"hello".into(), &3.into())
    );

    let mut bytes = std::fs::read(dir.join("change.bin")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(dir.join("altered.bin"), &bytes).unwrap();
    assert_eq!(show(&dir, "altered.bin", Some("root.pub")).0, 3);
    assert_eq!(show(&dir, "root.pub", Some("root.pub")).0, 1);
}

#[test]
fn a_change_is_scoped_to_a_board_when_asked_and_bad_flags_say_what_to_do() {
    let dir = scratch_dir("trust-change-flags");
    keygen(&dir, "root");
    let scoped = [
        "keys",
        "sign-change",
        "--permit-rollback",
        "hello",
        "--to-version",
        "1",
        "--sequence",
        "7",
        "--device",
        "qemu-rv32-virt",
        "--key",
        "root.pem",
        "-o",
        "scoped.bin",
    ];
    assert_eq!(tbf(&dir, &scoped, &[]).0, 0);
    let (_, value) = show(&dir, "scoped.bin", Some("root.pub"));
    assert_eq!(value["scope"], "qemu-rv32-virt", "{value}");

    let stale = [
        "keys",
        "sign-change",
        "--permit-rollback",
        "a",
        "--to-version",
        "1",
        "--sequence",
        "0",
        "--key",
        "root.der",
        "-o",
        "zero.bin",
    ];
    let (status, _, stderr) = tbf(&dir, &stale, &[]);
    assert!(
        status == 2 && stderr.contains("loader keys list"),
        "{stderr}"
    );
    let no_key = [
        "keys",
        "sign-change",
        "--add-key",
        "root.pub",
        "--sequence",
        "1",
        "-o",
        "n.bin",
    ];
    let (status, _, stderr) = tbf(&dir, &no_key, &[]);
    assert!(status == 2 && stderr.contains("--pkcs11"), "{stderr}");
    assert!(!dir.join("zero.bin").exists() && !dir.join("n.bin").exists());
}

/// openssl signing the digest it reads on stdin with `key` (a KMS stand-in).
fn openssl_signer(dir: &Path, key: &str) -> String {
    assert!(
        Command::new("openssl").arg("version").output().is_ok(),
        "`openssl` is missing: run `cargo xtask setup` (Debian package openssl)"
    );
    let script = dir.join("kms-sign.sh");
    std::fs::write(
        &script,
        "#!/bin/bash\nset -eu\nread -r digest\n\
         printf \"$(sed 's/../\\\\x&/g' <<<\"$digest\")\" | openssl pkeyutl -sign -inkey \"$1\"\n",
    )
    .unwrap();
    format!("bash {} {key}", script.display())
}

#[test]
fn an_outside_signer_signs_a_change_and_a_signature_by_another_key_writes_nothing() {
    let dir = scratch_dir("trust-change-signer");
    keygen(&dir, "root");
    keygen(&dir, "signing");
    let signer = openssl_signer(&dir, "root.pem");
    let args = [
        "keys",
        "sign-change",
        "--add-key",
        "signing.pub",
        "--sequence",
        "1",
        "--signer",
        &signer,
        "--key",
        "root.pub",
        "-o",
        "kms.bin",
    ];
    let (status, stdout, stderr) = tbf(&dir, &args, &[]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert_eq!(show(&dir, "kms.bin", Some("root.pub")).0, 0);

    let wrong = [
        "keys",
        "sign-change",
        "--add-key",
        "signing.pub",
        "--sequence",
        "1",
        "--signer",
        &signer,
        "--key",
        "signing.pub",
        "-o",
        "wrong.bin",
    ];
    let (status, _, stderr) = tbf(&dir, &wrong, &[]);
    assert!(
        status == 2 && stderr.contains("does not verify"),
        "{stderr}"
    );
    assert!(!dir.join("wrong.bin").exists());
}

#[test]
fn a_root_key_in_a_softhsm2_token_signs_a_change() {
    let dir = scratch_dir("trust-change-pkcs11");
    assert!(
        Path::new(SOFTHSM2_MODULE).is_file(),
        "{SOFTHSM2_MODULE} is missing: run `cargo xtask setup` (Debian package softhsm2)"
    );
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    let config = dir.join("softhsm2.conf");
    let text = format!("directories.tokendir = {}\n", dir.join("tokens").display());
    std::fs::write(&config, text).unwrap();
    let config = config.display().to_string();
    let tool = |program: &str, args: &[&str]| {
        let output = Command::new(program)
            .current_dir(&dir)
            .env("SOFTHSM2_CONF", &config)
            .args(args)
            .output()
            .unwrap_or_else(|_| panic!("`{program}` is missing: run `cargo xtask setup`"));
        assert!(output.status.success(), "{program} {args:?}: {output:?}");
    };
    tool(
        "softhsm2-util",
        &[
            "--init-token",
            "--free",
            "--label",
            "release",
            "--pin",
            PIN,
            "--so-pin",
            "87654321",
        ],
    );
    let token = ["--module", SOFTHSM2_MODULE, "--token-label", "release"];
    tool(
        "pkcs11-tool",
        &[
            &token[..],
            &[
                "--login",
                "--pin",
                PIN,
                "--keypairgen",
                "--key-type",
                "EC:prime256v1",
                "--label",
                "root",
                "--id",
                "01",
            ],
        ]
        .concat(),
    );
    tool(
        "pkcs11-tool",
        &[
            &token[..],
            &[
                "--read-object",
                "--type",
                "pubkey",
                "--label",
                "root",
                "-o",
                "root.pub.der",
            ],
        ]
        .concat(),
    );
    keygen(&dir, "signing");
    let args = [
        "keys",
        "sign-change",
        "--revoke-key",
        "signing.pub",
        "--sequence",
        "4",
        "--pkcs11",
        SOFTHSM2_MODULE,
        "--token",
        "release",
        "--key",
        "root",
        "-o",
        "hsm.bin",
    ];
    let environment = [("SOFTHSM2_CONF", config.as_str()), ("TBF_PKCS11_PIN", PIN)];
    let (status, stdout, stderr) = tbf(&dir, &args, &environment);
    assert_eq!(status, 0, "{stdout}{stderr}");
    let (status, value) = show(&dir, "hsm.bin", Some("root.pub.der"));
    assert_eq!(
        (status, &value["kind"]),
        (0, &"revoke-key".into()),
        "{value}"
    );
}
