//! `tbf sign` with keys that never reach the packager: a key pair in a
//! SoftHSM2 token (PKCS#11, made and exported with OpenSC's pkcs11-tool),
//! and an outside command (openssl, standing in for a cloud KMS). Each
//! signed image verifies with the exported public key, and a tampered one
//! does not. A missing softhsm2, pkcs11-tool or openssl fails the test with
//! what to install.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{corpus_elf, keygen, run_tbf, scratch_dir};

const EXIT_VERIFIED: i32 = 0;
const EXIT_UNVERIFIED: i32 = 3;
const EXIT_ERROR: i32 = 2;
const SOFTHSM2_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const PIN: &str = "4321";

fn require(tool: &str, package: &str) {
    let found = Command::new(tool).arg("--version").output().is_ok()
        || Command::new(tool).arg("version").output().is_ok();
    assert!(
        found,
        "`{tool}` is missing: run `cargo xtask setup` (it installs the Debian package {package})"
    );
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("cannot start the command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A packed app with room for two signatures in its footer.
fn pack(dir: &Path) -> PathBuf {
    std::fs::copy(corpus_elf("c_rv32_data"), dir.join("app.elf")).unwrap();
    let args = [
        "pack",
        "--deterministic",
        "--minimum-footer-size",
        "144",
        "app.elf",
    ];
    let output = run_tbf(dir, &args);
    assert!(
        output.status.success(),
        "pack: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join("app.tbf")
}

fn tbf_status(dir: &Path, args: &[&str], environment: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(common::tbf_binary())
        .current_dir(dir)
        .args(args)
        .env_remove("TBF_PKCS11_PIN")
        .envs(environment.iter().copied())
        .output()
        .expect("cannot run tbf");
    let status = output.status.code().expect("tbf was killed");
    (status, String::from_utf8_lossy(&output.stderr).into_owned())
}

fn verify(dir: &Path, key: &Path, image: &Path) -> i32 {
    let args = [
        "verify",
        "--quiet",
        "--key",
        key.to_str().unwrap(),
        image.to_str().unwrap(),
    ];
    tbf_status(dir, &args, &[]).0
}

/// A copy of `image` with one byte of its code changed.
fn tampered(image: &Path) -> PathBuf {
    let mut bytes = std::fs::read(image).unwrap();
    let header_size = usize::from(tbf::parse(&bytes).unwrap().header_size());
    bytes[header_size + 8] ^= 0x01;
    let path = image.with_extension("tampered.tbf");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A SoftHSM2 token labelled `signing` in `dir` (its own config, so no
/// system token is touched) holding P-256 key pair `app-key`; returns the
/// environment naming the config and the exported public key (SPKI DER).
fn softhsm2_token(dir: &Path) -> ((String, String), PathBuf) {
    require("softhsm2-util", "softhsm2");
    require("pkcs11-tool", "opensc");
    assert!(
        Path::new(SOFTHSM2_MODULE).is_file(),
        "{SOFTHSM2_MODULE} is missing: run `cargo xtask setup` (Debian package softhsm2)"
    );
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let config = dir.join("softhsm2.conf");
    let text = format!(
        "directories.tokendir = {}\nobjectstore.backend = file\n",
        tokens.display()
    );
    std::fs::write(&config, text).unwrap();
    let environment = ("SOFTHSM2_CONF".to_string(), config.display().to_string());
    let tool = |program: &str| {
        let mut command = Command::new(program);
        command.env(&environment.0, &environment.1).current_dir(dir);
        command
    };
    run(tool("softhsm2-util")
        .args(["--init-token", "--free", "--label", "signing"])
        .args(["--pin", PIN, "--so-pin", "87654321"]));
    let token = ["--module", SOFTHSM2_MODULE, "--token-label", "signing"];
    run(tool("pkcs11-tool")
        .args(token)
        .args(["--login", "--pin", PIN, "--keypairgen"])
        .args([
            "--key-type",
            "EC:prime256v1",
            "--label",
            "app-key",
            "--id",
            "01",
        ]));
    run(tool("pkcs11-tool").args(token).args([
        "--read-object",
        "--type",
        "pubkey",
        "--label",
        "app-key",
        "-o",
        "app-key.pub.der",
    ]));
    (environment, dir.join("app-key.pub.der"))
}

#[test]
fn a_key_in_a_softhsm2_token_signs_and_its_exported_public_key_verifies() {
    let dir = scratch_dir("sign-pkcs11");
    let ((variable, config), public) = softhsm2_token(&dir);
    let image = pack(&dir);
    let sign = [
        "sign",
        "--pkcs11",
        SOFTHSM2_MODULE,
        "--token",
        "signing",
        "--key",
        "app-key",
        image.to_str().unwrap(),
    ];
    let environment = [
        (variable.as_str(), config.as_str()),
        ("TBF_PKCS11_PIN", PIN),
    ];
    let (status, stderr) = tbf_status(&dir, &sign, &environment);
    assert_eq!(status, 0, "tbf sign --pkcs11: {stderr}");
    assert_eq!(verify(&dir, &public, &image), EXIT_VERIFIED);
    assert_eq!(verify(&dir, &public, &tampered(&image)), EXIT_UNVERIFIED);
    let other = keygen(&dir, "other");
    assert_eq!(
        verify(&dir, &other.with_extension("pub"), &image),
        EXIT_UNVERIFIED
    );
}

#[test]
fn a_token_pin_comes_from_a_file_or_the_environment_never_the_command_line() {
    let dir = scratch_dir("sign-pkcs11-pin");
    let ((variable, config), public) = softhsm2_token(&dir);
    let image = pack(&dir);
    let sign = [
        "sign",
        "--pkcs11",
        SOFTHSM2_MODULE,
        "--token",
        "signing",
        "--key",
        "app-key",
        image.to_str().unwrap(),
    ];
    let before = std::fs::read(&image).unwrap();
    let (status, stderr) = tbf_status(&dir, &sign, &[(variable.as_str(), config.as_str())]);
    assert_eq!(status, EXIT_ERROR);
    assert!(
        stderr.contains("TBF_PKCS11_PIN") && stderr.contains("--pin-file"),
        "{stderr}"
    );
    let wrong = [
        (variable.as_str(), config.as_str()),
        ("TBF_PKCS11_PIN", "0000"),
    ];
    let (status, stderr) = tbf_status(&dir, &sign, &wrong);
    assert_eq!(status, EXIT_ERROR);
    assert!(stderr.contains("wrong PIN"), "{stderr}");
    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "a refused signing writes nothing"
    );
    std::fs::write(dir.join("pin"), format!("{PIN}\n")).unwrap();
    let mut with_file = sign.to_vec();
    with_file.splice(1..1, ["--pin-file", "pin"]);
    let (status, stderr) = tbf_status(&dir, &with_file, &[(variable.as_str(), config.as_str())]);
    assert_eq!(status, 0, "tbf sign --pin-file: {stderr}");
    assert_eq!(verify(&dir, &public, &image), EXIT_VERIFIED);
}

/// The signer script of docs/signing.md: hex digest on stdin, DER out.
fn openssl_signer(dir: &Path) -> (PathBuf, PathBuf) {
    require("openssl", "openssl");
    let key = dir.join("kms.pem");
    run(Command::new("openssl")
        .args([
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
        ])
        .arg(&key));
    let public = dir.join("kms.pub.pem");
    run(Command::new("openssl")
        .args(["ec", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public));
    let script = dir.join("kms-sign.sh");
    let text = "#!/bin/bash\nset -eu\nread -r digest\n\
                printf \"$(sed 's/../\\\\x&/g' <<<\"$digest\")\" | openssl pkeyutl -sign -inkey \"$1\"\n";
    std::fs::write(&script, text).unwrap();
    run(Command::new("chmod").arg("+x").arg(&script));
    (script, public)
}

#[test]
fn an_outside_signer_command_signs_and_the_signature_verifies() {
    let dir = scratch_dir("sign-command");
    let (script, public) = openssl_signer(&dir);
    let image = pack(&dir);
    let command = format!("{} {}", script.display(), dir.join("kms.pem").display());
    let sign = [
        "sign",
        "--signer",
        &command,
        "--key",
        public.to_str().unwrap(),
        image.to_str().unwrap(),
    ];
    let (status, stderr) = tbf_status(&dir, &sign, &[]);
    assert_eq!(status, 0, "tbf sign --signer: {stderr}");
    assert_eq!(verify(&dir, &public, &image), EXIT_VERIFIED);
    assert_eq!(verify(&dir, &public, &tampered(&image)), EXIT_UNVERIFIED);
}

#[test]
fn an_outside_signature_that_does_not_verify_is_refused_and_nothing_is_written() {
    let dir = scratch_dir("sign-command-refused");
    let (script, _) = openssl_signer(&dir);
    let other = keygen(&dir, "other").with_extension("pub");
    let image = pack(&dir);
    let before = std::fs::read(&image).unwrap();
    let command = format!("{} {}", script.display(), dir.join("kms.pem").display());
    let sign = [
        "sign",
        "--signer",
        &command,
        "--key",
        other.to_str().unwrap(),
        image.to_str().unwrap(),
    ];
    let (status, stderr) = tbf_status(&dir, &sign, &[]);
    assert_eq!(status, EXIT_ERROR);
    assert!(
        stderr.contains("does not verify with the given public key"),
        "{stderr}"
    );
    for broken in ["echo not-der", "exit 7"] {
        let sign = [
            "sign",
            "--signer",
            broken,
            "--key",
            other.to_str().unwrap(),
            image.to_str().unwrap(),
        ];
        let (status, stderr) = tbf_status(&dir, &sign, &[]);
        assert_eq!(status, EXIT_ERROR, "{broken}");
        assert!(
            stderr.contains("external signer failed"),
            "{broken}: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read(&image).unwrap(),
        before,
        "a refused signing writes nothing"
    );
}

#[test]
fn a_second_signer_keeps_the_first_signature_and_both_verify() {
    let dir = scratch_dir("sign-two-keys");
    let (first, second) = (keygen(&dir, "first"), keygen(&dir, "second"));
    let image = pack(&dir);
    let size = std::fs::metadata(&image).unwrap().len();
    for key in [&first, &second, &first] {
        let private = key.with_extension("der");
        let sign = [
            "sign",
            "--key",
            private.to_str().unwrap(),
            image.to_str().unwrap(),
        ];
        let (status, stderr) = tbf_status(&dir, &sign, &[]);
        assert_eq!(status, 0, "{stderr}");
    }
    assert_eq!(
        std::fs::metadata(&image).unwrap().len(),
        size,
        "two signatures fit in 144 bytes"
    );
    let bytes = std::fs::read(&image).unwrap();
    let signatures = tbf::parse(&bytes)
        .unwrap()
        .footers()
        .filter(|footer| matches!(footer, Ok(tbf::Footer::Credentials(c)) if c.format == tbf::CredentialsFormat::EcdsaNistP256))
        .count();
    assert_eq!(
        signatures, 2,
        "signing again with the first key replaced its own signature"
    );
    assert_eq!(
        verify(&dir, &first.with_extension("pub"), &image),
        EXIT_VERIFIED
    );
    assert_eq!(
        verify(&dir, &second.with_extension("pub"), &image),
        EXIT_VERIFIED
    );
    let second_private = second.with_extension("der");
    let replace = [
        "sign",
        "--replace-signatures",
        "--key",
        second_private.to_str().unwrap(),
        image.to_str().unwrap(),
    ];
    assert_eq!(tbf_status(&dir, &replace, &[]).0, 0);
    assert_eq!(
        verify(&dir, &first.with_extension("pub"), &image),
        EXIT_UNVERIFIED
    );
}
