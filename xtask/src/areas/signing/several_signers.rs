//! Keys kept outside the packager, on a board that needs two signers: a
//! P-256 key pair made in a SoftHSM2 token (PKCS#11, OpenSC's pkcs11-tool),
//! whose exported public key is built into a board beside the board key,
//! with `BOARD_SIGNERS_REQUIRED=2`. An app signed by the board key alone is
//! refused; the same app signed by the board key and then through
//! `tbf sign --pkcs11` by the token runs. A missing softhsm2 or
//! pkcs11-tool fails the test with what to install.

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context as _, Result};

use super::fixture::{Fixture, Key, Policy, HSM_PUBLIC_KEY};
use crate::cmd;

/// SoftHSM2's PKCS#11 module as Debian installs it.
const SOFTHSM2_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN: &str = "signing";
const KEY_LABEL: &str = "hsm-key";
/// A test token's PIN, given to `tbf` through `TBF_PKCS11_PIN`.
const PIN: &str = "4321";
/// Room in the footer for two signatures (72 bytes each), so the second
/// does not grow the image and invalidate the first.
const TWO_SIGNATURES: &[&str] = &["--minimum-footer-size", "144"];

/// SoftHSM2's configuration in the fixture's scratch directory, with a
/// fresh token holding the key pair; writes the public key to
/// `HSM_PUBLIC_KEY`.
fn make_token(fixture: &Fixture) -> Result<String> {
    ensure!(
        Path::new(SOFTHSM2_MODULE).is_file(),
        "{SOFTHSM2_MODULE} is missing: run `cargo xtask setup` (it installs softhsm2)"
    );
    let tokens = fixture.path("softhsm2-tokens");
    let _ = std::fs::remove_dir_all(&tokens);
    std::fs::create_dir_all(&tokens).context("creating the SoftHSM2 token directory")?;
    let config = format!(
        "directories.tokendir = {}\nobjectstore.backend = file\n",
        tokens.display()
    );
    let config = fixture.file("softhsm2.conf", config.as_bytes())?;
    let tool = |program: &str| {
        let mut command = Command::new(program);
        command.env("SOFTHSM2_CONF", &config);
        command
    };
    let missing = |package: &str| {
        format!("making the SoftHSM2 token (run `cargo xtask setup` if {package} is missing)")
    };
    cmd::output(
        tool("softhsm2-util")
            .args(["--init-token", "--free", "--label", TOKEN])
            .args(["--pin", PIN, "--so-pin", "87654321"]),
    )
    .with_context(|| missing("softhsm2"))?;
    let token = ["--module", SOFTHSM2_MODULE, "--token-label", TOKEN];
    cmd::output(
        tool("pkcs11-tool")
            .args(token)
            .args(["--login", "--pin", PIN, "--keypairgen"])
            .args([
                "--key-type",
                "EC:prime256v1",
                "--label",
                KEY_LABEL,
                "--id",
                "01",
            ]),
    )
    .with_context(|| missing("opensc (pkcs11-tool)"))?;
    cmd::output(
        tool("pkcs11-tool")
            .args(token)
            .args(["--read-object", "--type", "pubkey", "--label", KEY_LABEL])
            .arg("-o")
            .arg(fixture.path(HSM_PUBLIC_KEY)),
    )
    .with_context(|| missing("opensc (pkcs11-tool)"))?;
    Ok(config)
}

/// `image` with a signature by the token's key added (`tbf sign --pkcs11`).
fn signed_in_token(fixture: &Fixture, config: &str, image: &[u8]) -> Result<Vec<u8>> {
    let path = fixture.file("to-sign-in-token.tbf", image)?;
    let mut sign = fixture.packager();
    sign.args(["sign", "--pkcs11", SOFTHSM2_MODULE, "--token", TOKEN])
        .args(["--key", KEY_LABEL, &path])
        .env("SOFTHSM2_CONF", config)
        .env("TBF_PKCS11_PIN", PIN);
    let said = cmd::output(&mut sign)?;
    ensure!(
        said.contains("reserved footer space"),
        "the token's signature did not fit the reserved room (the first would be stale): {said}"
    );
    std::fs::read(&path).with_context(|| format!("reading {path}"))
}

/// Package `app` with room for two signatures, signed by the board key.
fn signed_by_board(fixture: &Fixture, app: &str, version: u32) -> Result<Vec<u8>> {
    let image = fixture.package_with(app, app, version, TWO_SIGNATURES)?;
    fixture.signed(&image, Key::Board)
}

/// A board needing two signers refuses an app signed by one key and runs
/// it once the HSM's key has signed too.
pub fn two_signers_with_one_key_in_an_hsm(fixture: &mut Fixture) -> Result<()> {
    let config = make_token(fixture)?;
    let kernel = fixture.kernel(Policy::TwoSigners)?;
    let finisher = signed_by_board(fixture, "finisher", 0)?;
    let finisher = signed_in_token(fixture, &config, &finisher)?;
    let once = signed_by_board(fixture, super::scenarios::APP, 1)?;
    let exit = fixture.boot(
        "two-signers-one",
        &kernel,
        &[once.clone(), finisher.clone()],
    )?;
    super::scenarios::expect_refused(
        &exit,
        super::scenarios::APP_STARTED,
        "hello_a at 0x20040000 refused: signed by 1 of the board's keys, but the board needs 2 \
         distinct keys",
    )
    .context("signed by the board key alone")?;
    ensure!(
        exit.output.contains("(2 key(s), 2 must sign)"),
        "the console does not state the two-signer policy:\n{}",
        exit.output
    );
    let twice = signed_in_token(fixture, &config, &once)?;
    let exit = fixture.boot("two-signers-both", &kernel, &[twice, finisher])?;
    super::scenarios::expect_ran(&exit, super::scenarios::APP_RAN)
        .context("signed by the board key and the HSM's key")
}
