//! The security-key area (issue #8 apps; owner: the apps' author): HOTP in
//! Rust and C, U2F in Rust, checked by independent clients.
//!
//! Steps (a sub-filter picks one):
//! - `host`: `cargo test` of the apps' logic (RFC 4226 appendix D, base32,
//!   slot records, CTAPHID framing, U2F raw messages with signatures
//!   verified, key-handle wrapping, the HOTP app against the fake kernel,
//!   the CTAP2 app's own tests),
//!   and the C app's logic compiled for the host and run;
//! - `build`: both Rust apps built for qemu-rv32-virt and packaged by our
//!   `tbf pack`; the C app built with `make WERROR=1` for every target;
//! - `clients`: the Python clients (pyotp, python-fido2, from the venv the
//!   set-up makes) import, and pyotp agrees with RFC 4226 appendix D;
//!   pyotp and `oathtool --totp` agree with RFC 6238 appendix B;
//! - `qemu`: each app booted on qemu-rv32-virt with the HID link
//!   ([`qemu`]): HOTP programmed over the console, codes typed on the
//!   keyboard interface checked by pyotp and oathtool, the counter still ahead after a
//!   reboot; U2F driven by python-fido2 over a CTAPHID transport on the
//!   socket, registration and authentication signatures verified, the
//!   counter still ahead after a reboot; then both apps on one device
//!   (`both`: U2F in the second slot), each with its own store entries and
//!   the one button (`hotp`, `u2f` or `both` runs one scenario);
//! - `totp` (also part of `qemu`, [`totp`]): each HOTP app gives TOTP codes
//!   at the time of QEMU's RTC, started with `-rtc base=...` just before a
//!   step boundary: codes from both sides of it, and an 8-digit SHA-256
//!   one, equal `oathtool --totp`'s and pyotp's at the device's time;
//! - `live` (also part of `qemu`, [`live`]): a kernel with an embedded
//!   `tbf keygen` key boots with empty app flash; loader-cli installs the
//!   signed HOTP and U2F over the console link and both answer their
//!   clients without a reboot; a signed libtock-c probe installed beside
//!   them finds none of their KV entries; an unsigned U2F update is
//!   refused by the device with its reason.
//! - `build` also builds the CTAP2 app and the C clients and leaves a fresh
//!   device image, `ctap2-fresh.pflash`, for people to boot (docs/apps.md);
//! - `ctap2` ([`ctap2`]): the CTAP 2.1 app booted with the HID link and
//!   driven by python-fido2 as a browser drives a security key;
//! - `libfido2` and `ssh` ([`fido_clients`]): the same app checked by
//!   libfido2 and by ssh-keygen (an `ecdsa-sk` key on the device) through
//!   `clients/libfido2-hid-link` (`fido2` runs these three);
//! - `ctap2_update` ([`ctap2_update`], also part of `fido2`): the CTAP2 app
//!   installed signed through loader-cli, then replaced by a newer version
//!   without a reboot: its credentials, PIN and counters survive (and a
//!   reboot), and an app of another identity sees none of them; credProtect
//!   levels 2 and 3 checked with python-fido2.
//!
//! Every step runs even when an earlier one failed; the area fails if any
//! did, listing each failure.

mod ctap2;
mod ctap2_update;
mod fido_clients;
mod figures;
mod live;
mod oathtool;
mod qemu;
mod totp;

use super::libtock_rs::{build_packager, package_arguments, LibtockApp, RISCV};
use super::{targets, Area, DeviceCrate};
use crate::cmd;
use crate::context::Context;
use anyhow::{bail, ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Connects to the emulated HID link's socket (QEMU makes it as it starts);
/// the upstream area reads keyboard reports through it too.
pub(crate) use qemu::connect as connect_hid_link;
/// Adds the HID link to a QEMU command line (`cargo xtask qemu --hid-link`).
pub(crate) use qemu::with_hid_link;

/// The security-key area in the registry.
pub const AREA: Area = Area {
    name: "security-key",
    about: "HOTP and TOTP (Rust, C) and U2F (Rust) and CTAP2 (Rust) apps: logic vs RFC vectors, built, run in QEMU against pyotp, oathtool, python-fido2, libfido2, ssh-keygen",
    tests,
    bench: Some(figures::measure),
    device_crates: &[
        DeviceCrate {
            package: "hotp",
            targets: &[targets::RISCV32IMAC],
        },
        DeviceCrate {
            package: "u2f",
            targets: &[targets::RISCV32IMAC],
        },
        DeviceCrate {
            package: "ctap2",
            targets: &[targets::RISCV32IMAC],
        },
    ],
};

/// One Rust app: its binary, TBF package name, stack (as in its
/// `stack_size!`) and heap.
struct RustApp {
    binary: &'static str,
    stack: u32,
    heap: u32,
}

const HOTP: RustApp = RustApp {
    binary: "hotp",
    stack: 0x1000,
    heap: 1024,
};
const U2F: RustApp = RustApp {
    binary: "u2f",
    stack: 0x4000,
    heap: 1024,
};

/// Every test of the area.
pub fn tests(ctx: &Context) -> Result<()> {
    let filter = ctx.filter.as_deref();
    let runs = |step: &str| filter.is_none_or(|f| f == step);
    let mut failures = Vec::new();
    let mut record = |what: &str, result: Result<()>| {
        if let Err(error) = result {
            println!("FAILED: {what}: {error:#}");
            failures.push(what.to_string());
        }
    };
    if runs("host") {
        record("apps' logic (cargo test)", host_tests(ctx));
        record("C HOTP logic on the host", c_logic_test(ctx));
    }
    let qemu_totp = runs("qemu") || runs("totp");
    if runs("build") && !(runs("qemu") || runs("hotp") || qemu_totp) {
        record("C HOTP app built", build_c_app(ctx).map(|_| ()));
    }
    if runs("clients") {
        record("Python clients", qemu::check_clients(ctx));
        record("oathtool and pyotp TOTP", totp::check_clients(ctx));
    }
    let (qemu_hotp, qemu_u2f) = (runs("qemu") || runs("hotp"), runs("qemu") || runs("u2f"));
    let qemu_both = runs("qemu") || runs("both");
    let qemu_live = runs("qemu") || runs("live");
    if runs("build") || qemu_hotp || qemu_totp || qemu_u2f || qemu_both || qemu_live {
        match build_rust_apps(ctx) {
            Ok(tbfs) => {
                if qemu_hotp || qemu_totp {
                    hotp_apps_in_qemu(ctx, &tbfs[0], (qemu_hotp, qemu_totp), &mut record);
                }
                if qemu_u2f {
                    record("U2F in QEMU with python-fido2", qemu::u2f(ctx, &tbfs[1]));
                }
                if qemu_both || qemu_live {
                    // Slot 3: the unsigned update the live test offers.
                    let slots: &[u32] = if qemu_live { &[1, 3] } else { &[1] };
                    match build_u2f_in_slots(ctx, slots) {
                        Ok(u2f) => {
                            if qemu_both {
                                record(
                                    "HOTP and U2F together in QEMU",
                                    qemu::both(ctx, &tbfs[0], &u2f[0]),
                                );
                            }
                            if qemu_live {
                                record(
                                    "HOTP and U2F installed signed through loader-cli, live",
                                    live_tests(ctx, &tbfs[0], &u2f[0], &u2f[1]),
                                );
                            }
                        }
                        Err(error) => record("U2F built for other slots", Err(error)),
                    }
                }
            }
            Err(error) => record("Rust apps built and packaged", Err(error)),
        }
    }
    let fido2 = ["build", "ctap2", "libfido2", "ssh", "fido2"];
    if fido2.iter().any(|step| runs(step)) {
        ctap2::with_clients(ctx, &runs, &mut record);
    }
    if runs("ctap2_update") || runs("fido2") {
        record(
            "CTAP2 credentials survive an update through the loader",
            ctap2_update::credentials_survive_an_update(ctx),
        );
    }
    if failures.is_empty() {
        Ok(())
    } else {
        bail!(
            "security-key: {} failed: {}",
            failures.len(),
            failures.join("; ")
        )
    }
}

/// The HOTP scenario (`hotp`) and the TOTP one (`totp`) for the Rust app
/// (`rust_tbf`) and the C app (built here), as `(hotp, totp)` asks.
fn hotp_apps_in_qemu(
    ctx: &Context,
    rust_tbf: &[u8],
    (hotp, totp): (bool, bool),
    record: &mut impl FnMut(&str, Result<()>),
) {
    let c_tbf = match build_c_app(ctx).and_then(|tab| c_slot_zero_tbf(ctx, &tab)) {
        Ok(tbf) => Some(tbf),
        Err(error) => {
            record("C HOTP app built", Err(error));
            None
        }
    };
    let apps = [
        ("Rust", "hotp", Some(rust_tbf)),
        ("C", "c-hotp", c_tbf.as_deref()),
    ];
    for (language, name, tbf) in apps {
        let Some(tbf) = tbf else { continue };
        if hotp {
            let what = format!("HOTP ({language}) in QEMU with pyotp and oathtool");
            record(&what, qemu::hotp(ctx, name, tbf));
        }
        if totp {
            let what = format!("TOTP ({language}) in QEMU with oathtool and pyotp");
            record(&what, totp::totp(ctx, name, tbf));
        }
    }
}

/// Builds the loader, a key, the signed kernel and the signed apps, then
/// runs [`live::installed_live`].
fn live_tests(ctx: &Context, hotp: &[u8], u2f: &[u8], u2f_update: &[u8]) -> Result<()> {
    let loader = crate::tools::loader(ctx)?;
    let packager = build_packager(ctx)?;
    let key = live::board_key(ctx, &packager)?;
    let private = key.with_extension("der");
    let apps = live::SignedApps {
        signed: [
            live::write_tbf(ctx, &packager, "live-hotp.tbf", hotp, Some(&private))?,
            live::write_tbf(ctx, &packager, "live-u2f.tbf", u2f, Some(&private))?,
        ],
        unsigned_u2f: live::write_tbf(ctx, &packager, "live-u2f-unsigned.tbf", u2f_update, None)?,
        probe: {
            let probe = live::build_probe(ctx, &packager)?;
            live::write_tbf(ctx, &packager, "live-kv-probe.tbf", &probe, Some(&private))?
        },
    };
    let kernel = live::signed_kernel(ctx, &key.with_extension("pub"))?;
    live::installed_live(ctx, &apps, &kernel, loader)
}

fn host_tests(ctx: &Context) -> Result<()> {
    let mut cargo = ctx.cargo("test")?;
    cargo.args(["--no-fail-fast", "-p", "hotp", "-p", "u2f", "-p", "ctap2"]);
    cmd::run(&mut cargo)
}

fn apps_dir(ctx: &Context) -> PathBuf {
    ctx.workspace.join("apps")
}

/// `apps/c/hotp/hotp_logic.c` (and libtock's date arithmetic) with its
/// test, built by the host compiler.
fn c_logic_test(ctx: &Context) -> Result<()> {
    let source = apps_dir(ctx).join("c").join("hotp");
    let binary = ctx.scratch_dir("security-key")?.join("hotp_logic_test");
    let mut cc = Command::new("cc");
    cc.args([
        "-std=c11",
        "-D_POSIX_C_SOURCE=200809L",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-o",
    ])
    .arg(&binary)
    .arg("-I")
    .arg(ctx.workspace.join("libtock-c"))
    .arg(source.join("test").join("logic_test.c"))
    .arg(source.join("hotp_logic.c"))
    // The date arithmetic TOTP uses, with no system calls.
    .arg(ctx.workspace.join("libtock-c/libtock/rtc_date.c"));
    cmd::output(&mut cc)
        .context("compiling the C HOTP logic test (is a host C compiler installed?)")?;
    let output =
        cmd::output(&mut Command::new(&binary)).context("running the C HOTP logic test")?;
    ensure!(
        output.contains("hotp logic: ok"),
        "the C HOTP logic test did not pass:\n{output}"
    );
    Ok(())
}

/// `make WERROR=1` in `apps/c/hotp`, output under the target directory;
/// returns the TAB.
fn build_c_app(ctx: &Context) -> Result<PathBuf> {
    let build = ctx.scratch_dir("security-key")?.join("c-hotp");
    let mut make = Command::new("make");
    make.arg("-C")
        .arg(apps_dir(ctx).join("c").join("hotp"))
        .arg("WERROR=1")
        .arg(format!("BUILD_DIR={}", build.display()))
        // libtock-c's libraries too, or they land in the clone's libtock-c/build.
        .arg(format!(
            "LIBTOCK_BUILD_DIR={}",
            build.join("libtock-c").display()
        ));
    cmd::output(&mut make)
        .context("make in apps/c/hotp (run `cargo xtask setup` if a cross compiler is missing)")?;
    let tab = build.join("hotp.tab");
    ensure!(tab.is_file(), "make did not produce {}", tab.display());
    Ok(tab)
}

/// The C app's TBF for the first qemu-rv32-virt slot (libtock-c's
/// Configuration.mk: flash 0x20040080, RAM 0x80010000).
fn c_slot_zero_tbf(ctx: &Context, tab: &Path) -> Result<Vec<u8>> {
    let directory = ctx.scratch_dir("security-key")?.join("c-hotp-tab");
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("creating {}", directory.display()))?;
    let mut tar = Command::new("tar");
    tar.arg("-xf").arg(tab).arg("-C").arg(&directory);
    cmd::output(&mut tar).with_context(|| format!("unpacking {}", tab.display()))?;
    let tbf = directory.join("rv32imac.0x20040080.0x80010000.tbf");
    std::fs::read(&tbf).with_context(|| format!("{} holds no {}", tab.display(), tbf.display()))
}

/// Builds both Rust apps for qemu-rv32-virt and packages each; returns the
/// TBFs (HOTP, U2F).
fn build_rust_apps(ctx: &Context) -> Result<Vec<Vec<u8>>> {
    let mut cargo = ctx.cargo("build")?;
    cargo
        .args([
            "-p",
            "hotp",
            "-p",
            "u2f",
            "--bins",
            "--features",
            "device",
            "--release",
        ])
        .args(["--target", targets::RISCV32IMAC])
        .env("LIBTOCK_LAYOUT", "qemu_rv32_virt.ld");
    cmd::run(&mut cargo).context("building the HOTP and U2F apps")?;
    let packager = build_packager(ctx)?;
    [HOTP, U2F]
        .iter()
        .map(|app| package(ctx, &packager, app))
        .collect()
}

/// The U2F app linked for each app slot of `slots` (slot `n`: flash
/// 0x2004_0000 + n * 0x1_0000, RAM 0x8001_0000 + n * 0x1_0000, libtock-c's
/// layout), e.g. slot 1 beside HOTP in the first; their TBFs.
/// (Built after [`build_rust_apps`]: it relinks the same artifact.)
fn build_u2f_in_slots(ctx: &Context, slots: &[u32]) -> Result<Vec<Vec<u8>>> {
    let packager = build_packager(ctx)?;
    let mut tbfs = Vec::new();
    for slot in slots {
        let mut cargo = ctx.cargo("build")?;
        cargo
            .args(["-p", "u2f", "--bins", "--features", "device", "--release"])
            .args(["--target", targets::RISCV32IMAC])
            .env("LIBTOCK_LAYOUT", "libtock_custom.ld")
            .env(
                "LIBTOCK_FLASH_START",
                format!("{:#x}", 0x2004_0000 + slot * 0x1_0000),
            )
            .env("LIBTOCK_FLASH_LENGTH", "0x10000")
            .env(
                "LIBTOCK_RAM_START",
                format!("{:#x}", 0x8001_0000 + slot * 0x1_0000),
            );
        cmd::run(&mut cargo).with_context(|| format!("building the U2F app for slot {slot}"))?;
        tbfs.push(package(ctx, &packager, &U2F)?);
    }
    // Relink for the first slot, so a later build finds what it expects.
    build_rust_apps(ctx)?;
    Ok(tbfs)
}

/// Packages `app` with our packager (elf2tab's flags); returns its TBF.
fn package(ctx: &Context, packager: &Path, app: &RustApp) -> Result<Vec<u8>> {
    let directory = ctx.scratch_dir("security-key")?.join(app.binary);
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("creating {}", directory.display()))?;
    let tab = directory.join(format!("{}.tab", app.binary));
    let mut pack = Command::new(packager);
    pack.arg("pack");
    let packaging = LibtockApp {
        binary: app.binary,
        package: app.binary,
        stack: app.stack,
        heap: app.heap,
    };
    package_arguments(ctx, &packaging, RISCV, &tab, &mut pack);
    cmd::output(&mut pack).with_context(|| format!("packaging {}", app.binary))?;
    let mut tar = Command::new("tar");
    tar.arg("-xf").arg(&tab).arg("-C").arg(&directory);
    cmd::output(&mut tar).with_context(|| format!("unpacking {}", tab.display()))?;
    let tbf = directory.join("riscv32imac.tbf");
    std::fs::read(&tbf).with_context(|| format!("{} holds no riscv32imac.tbf", tab.display()))
}
