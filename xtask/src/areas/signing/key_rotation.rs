//! Issue 19 on the live board and after reboots: a signing key certified
//! by a root-signed change signs apps that run (rotation); a revoked key's
//! apps are refused, live and at boot, with the reason in `loader list`; a
//! change with a stale sequence number or signed by a key that is not the
//! root is refused and changes nothing.

use super::fixture::{Fixture, Key};
use super::trust_board::{
    board_key_file, fingerprint, key_file, key_status, root_change, sequence, step, trust_kernel,
    TrustDevice, TrustKey, SETTLE,
};
use anyhow::{ensure, Result};

/// The loader's exit code for a trust change the device refused.
const REFUSED: i32 = 5;
/// The loader's exit code for a bad input file (a change of another kind).
const BAD_INPUT: i32 = 3;

/// `app` (a test app, fixed to its own slot) packaged as version
/// `version` and signed with the fixture's board key or a trust key.
pub(super) fn app_signed_by(
    fixture: &Fixture,
    app: &str,
    version: u32,
    key: Option<TrustKey>,
) -> Result<String> {
    let image = fixture.package(app, app, version)?;
    let signed = match key {
        None => fixture.signed(&image, Key::Board)?,
        Some(key) => {
            let private = key_file(fixture, key, "der")?;
            fixture.sign(&image, &["--key", &private])?
        }
    };
    let name = format!(
        "{app}-v{version}-{}.tbf",
        key.map_or("board".into(), |k| format!("{k:?}"))
    );
    fixture.file(&name, &signed)
}

/// Rotation: an app signed by key B is refused until the root certifies
/// B, then installs and runs, and still runs after a reboot; replaying the
/// change, or a change signed by a signing key instead of the root, is
/// refused with the device's reason and leaves the sequence number.
pub fn a_key_certified_by_the_root_signs_apps_that_run_after_a_reboot(
    fixture: &mut Fixture,
) -> Result<()> {
    let kernel = trust_kernel(fixture, None)?;
    let flash = fixture.flash("trust-rotation", &kernel, &[])?;
    let second_public = key_file(fixture, TrustKey::Second, "pub")?;
    let second = fingerprint(fixture, &second_public)?;
    let root = fingerprint(fixture, &key_file(fixture, TrustKey::Root, "pub")?)?;
    let by_second = app_signed_by(fixture, "hello_b", 1, Some(TrustKey::Second))?;
    let add = root_change(fixture, "add-second.bin", &["--add-key", &second_public], 1)?;

    let mut device = TrustDevice::boot(fixture, &flash)?;
    step(
        "the bootstrapped state names the root and the board key",
        || {
            let state = device.trust_state()?;
            ensure!(state["root"] == root.as_str(), "root: {state}");
            ensure!(
                sequence(&state)? == 0 && key_status(&state, &second).is_none(),
                "{state}"
            );
            ensure!(state["keys"].as_array().map(Vec::len) == Some(1), "{state}");
            Ok(())
        },
    )?;
    step("an app signed by an uncertified key is refused", || {
        let (code, said) = device.loader(&["install", &by_second])?;
        ensure!(code != 0, "exit {code}: {said}");
        Ok(())
    })?;
    step("the root's add-key change is applied", || {
        let (code, said) = device.loader(&["keys", "add", &add])?;
        ensure!(code == 0 && said.contains("applied"), "exit {code}: {said}");
        let state = device.trust_state()?;
        ensure!(
            key_status(&state, &second) == Some("active") && sequence(&state)? == 1,
            "{state}"
        );
        Ok(())
    })?;
    step(
        "an app signed by the certified key installs and runs",
        || {
            let (code, said) = device.loader(&["install", &by_second])?;
            ensure!(code == 0, "exit {code}: {said}");
            std::thread::sleep(SETTLE);
            let running = device.processes()?;
            ensure!(running.iter().any(|name| name == "hello_b"), "{running:?}");
            Ok(())
        },
    )?;
    refusals_change_nothing(fixture, &device, &add)?;
    device.cut_power();

    let device = TrustDevice::boot(fixture, &flash)?;
    std::thread::sleep(SETTLE);
    step("after a reboot the certified key's app runs again", || {
        let running = device.processes()?;
        ensure!(running.iter().any(|name| name == "hello_b"), "{running:?}");
        let state = device.trust_state()?;
        ensure!(
            key_status(&state, &second) == Some("active") && sequence(&state)? == 1,
            "{state}"
        );
        Ok(())
    })
}

/// A replayed change, one signed by a signing key, and one sent with the
/// wrong verb are refused; the sequence number stays.
fn refusals_change_nothing(fixture: &Fixture, device: &TrustDevice, applied: &str) -> Result<()> {
    step("a replayed change is refused as stale", || {
        let (code, said) = device.loader(&["keys", "add", applied])?;
        ensure!(
            code == REFUSED && said.contains("stale sequence"),
            "exit {code}: {said}"
        );
        Ok(())
    })?;
    let board = board_key_file(fixture, "pub")?;
    let not_root = super::trust_board::change(
        fixture,
        "revoke-signed-by-board.bin",
        &["--revoke-key", &board],
        2,
        &["--key", &board_key_file(fixture, "der")?],
    )?;
    step(
        "a change signed by a signing key, not the root, is refused",
        || {
            let (code, said) = device.loader(&["keys", "revoke", &not_root])?;
            ensure!(
                code == REFUSED && said.contains("bad signature"),
                "exit {code}: {said}"
            );
            Ok(())
        },
    )?;
    step("a change sent with another kind's verb is not sent", || {
        let (code, said) = device.loader(&["keys", "permit", applied])?;
        ensure!(
            code == BAD_INPUT && said.contains("loader keys add"),
            "exit {code}: {said}"
        );
        let state = device.trust_state()?;
        ensure!(
            sequence(&state)? == 1,
            "the refusals changed the sequence: {state}"
        );
        Ok(())
    })
}

/// Revocation: once the root revokes the board key, the app it signed is
/// refused at once, another it signed is refused when installed live, and
/// both at the next boot, and `loader list` says it was signed only by a
/// revoked key; an app signed by the other key keeps running.
pub fn a_revoked_keys_apps_are_refused_live_and_at_boot_with_the_reason_listed(
    fixture: &mut Fixture,
) -> Result<()> {
    let kernel = trust_kernel(fixture, None)?;
    let by_board = fixture.signed(&fixture.package("hello_a", "hello_a", 1)?, Key::Board)?;
    let flash = fixture.flash("trust-revocation", &kernel, &[by_board])?;
    let second_public = key_file(fixture, TrustKey::Second, "pub")?;
    let board_public = board_key_file(fixture, "pub")?;
    let board = fingerprint(fixture, &board_public)?;
    let add = root_change(
        fixture,
        "revocation-add.bin",
        &["--add-key", &second_public],
        1,
    )?;
    let revoke = root_change(
        fixture,
        "revocation-revoke.bin",
        &["--revoke-key", &board_public],
        2,
    )?;
    let by_second = app_signed_by(fixture, "spinner", 1, Some(TrustKey::Second))?;
    let board_signed = app_signed_by(fixture, "hello_b", 1, None)?;

    let mut device = TrustDevice::boot(fixture, &flash)?;
    std::thread::sleep(SETTLE);
    step(
        "key B is added, its app installed, and the board key revoked",
        || {
            let steps: [&[&str]; 3] = [
                &["keys", "add", &add],
                &["install", &by_second],
                &["keys", "revoke", &revoke],
            ];
            for arguments in steps {
                let (code, said) = device.loader(arguments)?;
                ensure!(
                    code == 0,
                    "`loader {}`: exit {code}: {said}",
                    arguments.join(" ")
                );
            }
            let state = device.trust_state()?;
            ensure!(key_status(&state, &board) == Some("revoked"), "{state}");
            Ok(())
        },
    )?;
    step(
        "the revoked key's apps are refused live, installed or already there",
        || {
            let listed = device.listed("hello_a")?;
            let refusal = listed.as_ref().and_then(|app| app["refusal"].as_str());
            ensure!(
                refusal == Some("signed only by a revoked key"),
                "{listed:?}"
            );
            let (code, said) = device.loader(&["install", &board_signed])?;
            ensure!(code != 0 && said.contains("revoked"), "exit {code}: {said}");
            Ok(())
        },
    )?;
    device.cut_power();

    let device = TrustDevice::boot(fixture, &flash)?;
    std::thread::sleep(SETTLE);
    step(
        "after a reboot the revoked key's app is refused, with the reason listed",
        || {
            let listed = device.listed("hello_a")?;
            let refusal = listed.as_ref().and_then(|app| app["refusal"].as_str());
            ensure!(
                refusal == Some("signed only by a revoked key"),
                "{listed:?}"
            );
            let detail = listed
                .as_ref()
                .and_then(|app| app["refusal_detail"].as_str());
            ensure!(
                detail.is_some_and(|detail| detail.contains(&board)),
                "{listed:?}"
            );
            let (_, text) = device.loader(&["list"])?;
            let line = text.lines().find(|line| line.starts_with("hello_a"));
            ensure!(
                line.is_some_and(|line| line.contains("revoked")),
                "`loader list`: {text}"
            );
            let running = device.processes()?;
            ensure!(running.iter().any(|name| name == "spinner"), "{running:?}");
            ensure!(!running.iter().any(|name| name == "hello_a"), "{running:?}");
            Ok(())
        },
    )
}
