//! A SEC1 EC private key, as `openssl ecparam -genkey` writes it (an `EC
//! PARAMETERS` block, then `EC PRIVATE KEY`), signs with `tbf pack` and
//! `tbf sign`, and its public half from `openssl ec -pubout` verifies.

mod common;

use common::{corpus_elf, run_tbf, scratch_dir};
use std::process::Command;

fn openssl(dir: &std::path::Path, arguments: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(arguments)
        .output()
        .expect("openssl is missing: apt-get install openssl (cargo xtask setup)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn an_openssl_ecparam_key_signs_and_verifies() {
    let dir = scratch_dir("sec1-key");
    openssl(
        &dir,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-out",
            "key.pem",
        ],
    );
    openssl(
        &dir,
        &["ec", "-in", "key.pem", "-pubout", "-out", "key.pub.pem"],
    );
    openssl(
        &dir,
        &["ec", "-in", "key.pem", "-outform", "DER", "-out", "key.der"],
    );
    std::fs::copy(corpus_elf("c_rv32_data"), dir.join("app.elf")).unwrap();
    for private in ["key.pem", "key.der"] {
        let output = run_tbf(
            &dir,
            &[
                "pack",
                "--kernel-major",
                "2",
                "--ecdsa-nist-p256-private",
                private,
                "app.elf",
            ],
        );
        assert!(
            output.status.success(),
            "{private}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let verify = run_tbf(&dir, &["verify", "--key", "key.pub.pem", "app.tbf"]);
        assert_eq!(
            verify.status.code(),
            Some(0),
            "{private}: {}",
            String::from_utf8_lossy(&verify.stdout)
        );
    }
    let output = run_tbf(
        &dir,
        &["pack", "--kernel-major", "2", "--sha256", "app.elf"],
    );
    assert!(output.status.success());
    let sign = run_tbf(&dir, &["sign", "--key", "key.pem", "app.tbf"]);
    assert!(
        sign.status.success(),
        "{}",
        String::from_utf8_lossy(&sign.stderr)
    );
    let verify = run_tbf(&dir, &["verify", "--key", "key.pub.pem", "app.tbf"]);
    assert_eq!(verify.status.code(), Some(0));
}
