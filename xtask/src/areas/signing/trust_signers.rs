//! Root keys kept outside (issue 19): the board's root key signs, through
//! an outside command (`tbf keys sign-change --signer`, openssl standing
//! in for a cloud KMS), a change that hands the root to a key made in a
//! SoftHSM2 token; the token's key then signs (`--pkcs11`) a change that
//! certifies a signing key. A change still signed by the old root is
//! refused, and after a reboot the token's key is the root. A missing
//! softhsm2, pkcs11-tool or openssl fails the test with what to install.

use super::fixture::Fixture;
use super::trust_board::{
    change, fingerprint, key_file, key_status, root_change, sequence, step, trust_kernel,
    TrustDevice, TrustKey,
};
use crate::cmd;
use anyhow::{ensure, Context as _, Result};
use std::path::Path;
use std::process::Command;

const SOFTHSM2_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN: &str = "trust-root";
const KEY_LABEL: &str = "root";
/// A test token's PIN, given to `tbf` through `TBF_PKCS11_PIN`.
const PIN: &str = "4321";
const REFUSED: i32 = 5;

/// A fresh SoftHSM2 token holding a P-256 key pair; returns its
/// configuration file and the exported public key (SPKI DER).
fn token_with_root(fixture: &Fixture) -> Result<(String, String)> {
    ensure!(
        Path::new(SOFTHSM2_MODULE).is_file(),
        "{SOFTHSM2_MODULE} is missing: run `cargo xtask setup` (it installs softhsm2)"
    );
    let tokens = fixture.path("trust-softhsm2-tokens");
    let _ = std::fs::remove_dir_all(&tokens);
    std::fs::create_dir_all(&tokens).context("creating the SoftHSM2 token directory")?;
    let config = format!("directories.tokendir = {}\n", tokens.display());
    let config = fixture.file("trust-softhsm2.conf", config.as_bytes())?;
    let public = fixture.path("trust-hsm-root.pub.der");
    let tool = |program: &str, arguments: &[&str]| -> Result<()> {
        let mut command = Command::new(program);
        command.env("SOFTHSM2_CONF", &config).args(arguments);
        cmd::output(&mut command)
            .with_context(|| {
                format!("running {program} (run `cargo xtask setup` if it is missing)")
            })
            .map(drop)
    };
    tool(
        "softhsm2-util",
        &[
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--pin",
            PIN,
            "--so-pin",
            "87654321",
        ],
    )?;
    let token = ["--module", SOFTHSM2_MODULE, "--token-label", TOKEN];
    let keypair = [
        "--login",
        "--pin",
        PIN,
        "--keypairgen",
        "--key-type",
        "EC:prime256v1",
        "--label",
        KEY_LABEL,
        "--id",
        "01",
    ];
    tool("pkcs11-tool", &[&token[..], &keypair[..]].concat())?;
    let public_text = public.to_str().context("the scratch path is not UTF-8")?;
    let export = [
        "--read-object",
        "--type",
        "pubkey",
        "--label",
        KEY_LABEL,
        "-o",
        public_text,
    ];
    tool("pkcs11-tool", &[&token[..], &export[..]].concat())?;
    Ok((config, public_text.to_string()))
}

/// An outside signer: openssl signing the digest it reads with `key`.
fn openssl_signer(fixture: &Fixture, key: &str) -> Result<String> {
    let script = "#!/bin/bash\nset -eu\nread -r digest\n\
        printf \"$(sed 's/../\\\\x&/g' <<<\"$digest\")\" | openssl pkeyutl -sign -inkey \"$1\"\n";
    let path = fixture.file("trust-kms-sign.sh", script.as_bytes())?;
    Ok(format!("bash {path} {key}"))
}

pub fn a_root_handed_to_an_hsm_by_an_outside_signer_signs_the_next_change_in_the_hsm(
    fixture: &mut Fixture,
) -> Result<()> {
    let (config, hsm_public) = token_with_root(fixture)?;
    let hsm = fingerprint(fixture, &hsm_public)?;
    let kernel = trust_kernel(fixture, None)?;
    let flash = fixture.flash("trust-outside-signers", &kernel, &[])?;
    let root_public = key_file(fixture, TrustKey::Root, "pub")?;
    let signer = openssl_signer(fixture, &key_file(fixture, TrustKey::Root, "pem")?)?;
    let to_hsm = change(
        fixture,
        "replace-root-by-kms.bin",
        &["--replace-root", &hsm_public],
        1,
        &["--signer", &signer, "--key", &root_public],
    )?;
    let second_public = key_file(fixture, TrustKey::Second, "pub")?;
    let second = fingerprint(fixture, &second_public)?;
    let in_token = {
        let output = fixture.path("add-by-hsm.bin");
        let mut sign = fixture.packager();
        sign.args([
            "keys",
            "sign-change",
            "--add-key",
            &second_public,
            "--sequence",
            "2",
        ])
        .args([
            "--pkcs11",
            SOFTHSM2_MODULE,
            "--token",
            TOKEN,
            "--key",
            KEY_LABEL,
            "-o",
        ])
        .arg(&output)
        .env("SOFTHSM2_CONF", &config)
        .env("TBF_PKCS11_PIN", PIN);
        cmd::output(&mut sign).context("tbf keys sign-change --pkcs11")?;
        output
            .to_str()
            .context("the scratch path is not UTF-8")?
            .to_string()
    };
    let by_old_root = root_change(
        fixture,
        "add-by-old-root.bin",
        &["--permit-rollback", "x", "--to-version", "1"],
        3,
    )?;

    let mut device = TrustDevice::boot(fixture, &flash)?;
    step(
        "the outside signer's replace-root change is applied",
        || {
            let (code, said) = device.loader(&["keys", "apply", &to_hsm])?;
            ensure!(code == 0, "exit {code}: {said}");
            ensure!(
                device.trust_state()?["root"] == hsm.as_str(),
                "the root is not the token's key"
            );
            Ok(())
        },
    )?;
    step("the token's add-key change is applied", || {
        let (code, said) = device.loader(&["keys", "add", &in_token])?;
        ensure!(code == 0, "exit {code}: {said}");
        Ok(())
    })?;
    step("a change signed by the replaced root is refused", || {
        let (code, said) = device.loader(&["keys", "permit", &by_old_root])?;
        ensure!(
            code == REFUSED && said.contains("bad signature"),
            "exit {code}: {said}"
        );
        Ok(())
    })?;
    device.cut_power();
    let device = TrustDevice::boot(fixture, &flash)?;
    step("after a reboot the token's key is the root", || {
        let state = device.trust_state()?;
        ensure!(
            state["root"] == hsm.as_str() && sequence(&state)? == 2,
            "{state}"
        );
        ensure!(key_status(&state, &second) == Some("active"), "{state}");
        Ok(())
    })
}
