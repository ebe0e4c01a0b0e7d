//! `ctap2_update`: the CTAP2 app's credentials survive an update through
//! the loader (issue 18). The app keeps them in the kernel's isolated
//! non-volatile storage (driver 0x50004), one region per write id; a
//! signed app's write id comes from its identity (signing key and package
//! name), so a new version of the same app finds its region again and an
//! app with another name gets its own, empty one.
//!
//! One device (the `live` step's: a kernel with an embedded `tbf keygen`
//! key, empty app flash, loader-cli over the console's TCP link), one
//! python-fido2 client (`xtask/python/ctap2_update_client.py`), in order:
//! 1. version 1 installed live: a non-resident and a resident credential,
//!    a PIN, assertions, the credProtect checks, one wrong PIN;
//! 2. version 2 installed over it, without a reboot: `loader list` shows
//!    version 2, and the PIN (same retries), both credentials, credProtect
//!    3 and rising counters are all still there;
//! 3. version 2 removed and the same binary installed as `ctap2-other`:
//!    no PIN, NO_CREDENTIALS for every credential;
//! 4. `ctap2-other` removed, version 3 installed: everything is there
//!    again (removing an app keeps its region);
//! 5. QEMU killed and booted again from the flash file: still there, and
//!    the flash holds version 3.

use super::ctap2::{self, run_client};
use super::live::{self, LiveDevice};
use super::qemu::{boot, python_command, python_dir, scratch, Console};
use crate::areas::libtock_rs::{build_packager, package_arguments, LibtockApp, RISCV};
use crate::cmd;
use crate::context::Context;
use anyhow::{ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The app's package name, and the other identity's.
const NAME: &str = "ctap2";
const OTHER_NAME: &str = "ctap2-other";
const SUCCESS: &str = "ctap2-update: ok";

/// The signed packages the test installs.
struct Packages {
    /// Versions 1, 2 and 3 of `ctap2`.
    versions: [PathBuf; 3],
    /// The same binary as `ctap2-other`.
    other: PathBuf,
}

/// The whole scenario (see the module documentation); an error names the
/// behaviour that failed.
pub fn credentials_survive_an_update(ctx: &Context) -> Result<()> {
    let loader = crate::tools::loader(ctx)?;
    let packager = build_packager(ctx)?;
    let key = live::board_key(ctx, &packager)?;
    let packages = signed_packages(ctx, &packager, &key.with_extension("der"))?;
    // Builds the bootloader the flash image needs beside the kernel.
    crate::areas::kernel::image::build_kernel(ctx)?;
    let kernel = live::signed_kernel(ctx, &key.with_extension("pub"))?;
    let state = scratch(ctx)?.join("ctap2-update.state.json");
    if state.exists() {
        std::fs::remove_file(&state)?;
    }
    let flash = {
        let device = LiveDevice::boot(ctx, &kernel, loader.clone())?;
        let client = Client {
            ctx,
            hid: device.hid.clone(),
            state: state.clone(),
        };
        install(&device, &packages.versions[0], NAME, 1)?;
        client
            .run_live(&device, "before-update")
            .context("the_first_version_registers_credentials_and_a_pin")?;
        install(&device, &packages.versions[1], NAME, 2)?;
        client
            .run_live(&device, "after-update")
            .context("credentials_pin_and_counters_survive_a_live_update")?;
        another_identity_sees_none_of_them(&device, &client, &packages)
            .context("another_identity_sees_no_pin_and_no_credentials")?;
        uninstall(&device, OTHER_NAME)?;
        install(&device, &packages.versions[2], NAME, 3)?;
        client
            .run_live(&device, "after-update")
            .context("credentials_survive_removal_and_reinstall")?;
        scratch(ctx)?.join("live.pflash")
    };
    credentials_survive_a_reboot(ctx, &loader, &flash, &state)
        .context("credentials_survive_a_reboot_after_the_update")
}

/// Builds the app and packages it under each name and version, signed.
fn signed_packages(ctx: &Context, packager: &Path, key: &Path) -> Result<Packages> {
    // Compiles the app (its own package is not used: it has no version).
    ctap2::build(ctx)?;
    let stack = ctap2::app_stack(ctx)?;
    let signed = |name: &str, version: u32| -> Result<PathBuf> {
        let tbf = package(ctx, packager, name, stack, version)?;
        let file = format!("ctap2-update-{name}-v{version}.tbf");
        live::write_tbf(ctx, packager, &file, &tbf, Some(key))
    };
    Ok(Packages {
        versions: [signed(NAME, 1)?, signed(NAME, 2)?, signed(NAME, 3)?],
        other: signed(OTHER_NAME, 1)?,
    })
}

/// The built `ctap2` binary packaged as `name`, TBF version `version`.
fn package(
    ctx: &Context,
    packager: &Path,
    name: &str,
    stack: u32,
    version: u32,
) -> Result<Vec<u8>> {
    let directory = scratch(ctx)?.join(format!("ctap2-update-{name}-v{version}"));
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("creating {}", directory.display()))?;
    let tab = directory.join(format!("{name}.tab"));
    let app = LibtockApp {
        binary: "ctap2",
        package: name,
        stack,
        heap: ctap2::HEAP,
    };
    let mut pack = Command::new(packager);
    pack.arg("pack")
        .args(["--app-version", &version.to_string()]);
    package_arguments(ctx, &app, RISCV, &tab, &mut pack);
    cmd::output(&mut pack).with_context(|| format!("packaging {name} version {version}"))?;
    let mut tar = Command::new("tar");
    tar.arg("-xf").arg(&tab).arg("-C").arg(&directory);
    cmd::output(&mut tar).with_context(|| format!("unpacking {}", tab.display()))?;
    let tbf = directory.join("riscv32imac.tbf");
    std::fs::read(&tbf).with_context(|| format!("{} holds no riscv32imac.tbf", tab.display()))
}

/// The python-fido2 client of this test, on the device's HID link.
struct Client<'a> {
    ctx: &'a Context,
    hid: PathBuf,
    state: PathBuf,
}

impl Client<'_> {
    /// Runs `mode` on a QEMU whose console is `console` (the button).
    fn run(&self, console: &mut impl Console, mode: &str) -> Result<()> {
        let mut client = python_command()?;
        client
            .current_dir(python_dir(self.ctx))
            .arg("ctap2_update_client.py")
            .arg(mode)
            .arg(&self.hid)
            .arg(&self.state);
        run_client(console, client, SUCCESS)
    }

    /// Runs `mode` with the live device's TCP link as the console.
    fn run_live(&self, device: &LiveDevice, mode: &str) -> Result<()> {
        let mut console = device.console()?;
        self.run(&mut console, mode)
    }
}

/// `loader install TBF` (a replacement when `name` is installed); then
/// `name` must run and `loader list` show it once, at `version`.
fn install(device: &LiveDevice, tbf: &Path, name: &str, version: u64) -> Result<()> {
    let path = tbf.to_str().context("the scratch path is not UTF-8")?;
    let (ok, text) = device.loader(&["install", path])?;
    ensure!(ok, "`loader install {path}` failed: {text}");
    device.wait_running(&[name])?;
    let (ok, text) = device.loader(&["list", "--json"])?;
    ensure!(ok, "`loader list --json` failed: {text}");
    installed_once(&text, name, version)
}

/// `loader uninstall NAME` on the running device.
fn uninstall(device: &LiveDevice, name: &str) -> Result<()> {
    let (ok, text) = device.loader(&["uninstall", name])?;
    ensure!(ok, "`loader uninstall {name}` failed: {text}");
    Ok(())
}

/// `list` (`loader list --json`) holds exactly one `name`, at `version`.
fn installed_once(list: &str, name: &str, version: u64) -> Result<()> {
    let apps: serde_json::Value = serde_json::from_str(list.trim())
        .with_context(|| format!("parsing `loader list --json`: {list}"))?;
    let found: Vec<&serde_json::Value> = apps
        .as_array()
        .context("`loader list --json` is not an array")?
        .iter()
        .filter(|app| app["name"] == name)
        .collect();
    ensure!(
        found.len() == 1 && found[0]["version"].as_u64() == Some(version),
        "expected one {name} at version {version}; `loader list --json` says: {list}"
    );
    println!("ctap2-update: `loader list` shows {name} version {version}");
    Ok(())
}

/// The same binary under another name, installed where `ctap2` was (the
/// binary is linked for one address): its storage region is its own.
fn another_identity_sees_none_of_them(
    device: &LiveDevice,
    client: &Client,
    packages: &Packages,
) -> Result<()> {
    uninstall(device, NAME)?;
    install(device, &packages.other, OTHER_NAME, 1)?;
    client.run_live(device, "other-identity")
}

/// QEMU booted again from the flash file the live device left: the app
/// finds everything again, and the flash holds version 3.
fn credentials_survive_a_reboot(
    ctx: &Context,
    loader: &Path,
    flash: &Path,
    state: &Path,
) -> Result<()> {
    let hid = scratch(ctx)?.join("ctap2-update.hid");
    {
        let mut qemu = boot(flash, &hid)?;
        let client = Client {
            ctx,
            hid: hid.clone(),
            state: state.to_path_buf(),
        };
        client.run(&mut qemu, "after-update")?;
    }
    let mut list = Command::new(loader);
    list.args([
        "list",
        "--json",
        "--board",
        "qemu-rv32-virt",
        "--flash-file",
    ])
    .arg(flash);
    let text = cmd::output(&mut list).context("listing the apps in the flash file")?;
    installed_once(&text, NAME, 3)
}

#[cfg(test)]
mod tests {
    use super::installed_once;

    #[test]
    fn a_listed_app_must_appear_once_at_its_version() {
        let list = r#"[{"name":"ctap2","version":2},{"name":"hotp","version":0}]"#;
        assert!(installed_once(list, "ctap2", 2).is_ok());
        assert!(installed_once(list, "ctap2", 1).is_err());
        assert!(installed_once(list, "u2f", 2).is_err());
        let twice = r#"[{"name":"ctap2","version":2},{"name":"ctap2","version":2}]"#;
        assert!(installed_once(twice, "ctap2", 2).is_err());
    }
}
