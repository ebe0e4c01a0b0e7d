//! invs_no_permission, unmodified: upstream's Makefile packs it with a
//! storage-permissions header whose write id is 0 (no storage). Our kernel
//! trusts that header only in a signed app (an unsigned one stores under
//! its own short id: `kernel::identity`), so this runner signs the app's
//! slot-0 image with a fresh key, builds the kernel with that key as the
//! board's, and boots the two: every storage command must be refused with
//! NOSUPPORT, which the app prints as `Success`.
//!
//! ```text
//! invs_no_permission.tab ─ slot 0 TBF ─ tbf sign --key K ─┐
//! kernel built with BOARD_SIGNING_KEY = K.pub ────────────┴─ flash file ─ boot
//! ```
//!
//! The signed build replaces the usual kernel artifact; the default one is
//! built again afterwards, so later boots get it.

use super::script::{self, Boot, Step};
use crate::areas::kernel::{board, image};
use crate::areas::targets::RISCV32IMAC;
use crate::cmd;
use crate::context::Context;
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The image in the TAB linked for slot 0 (`build::tock_targets`).
const SLOT_0_IMAGE: &str = "rv32imac.0x20040080.0x80010000.tbf";

/// What the app prints when each storage command is refused.
const BOOT: Boot = Boot {
    name: "invs_no_permission",
    apps: &["invs_no_permission"],
    lanes: &[(
        "invs_no_permission",
        &[
            Step::Text(&["[TEST] Isolated Nonvolatile Storage - No Permissions\n"]),
            Step::Text(&["[INVS TEST] Exists: Success\n"]),
            Step::Text(&["[INVS TEST] Size: Success\n"]),
            Step::Text(&["[INVS TEST] Read: Success\n"]),
            Step::Text(&["[INVS TEST] Write: Success\n"]),
            Step::Text(&["process invs_no_permission exited with status 0"]),
        ],
    )],
    failure_markers: &[": Fail\n", "refused", "faulted", "panicked", "Panic"],
    any_exit_status: false,
};

/// Signs `tab`'s slot-0 image, boots it on a kernel that trusts the key,
/// and checks every refusal; rebuilds the default kernel afterwards.
pub fn run(ctx: &Context, tab: &Path) -> Result<()> {
    let scratch = ctx.scratch_dir("upstream-invs-no-permission")?;
    let signed = signed_image(ctx, &scratch, tab)?;
    let kernel = signed_kernel(ctx, &scratch)?;
    let flash = scratch.join("invs_no_permission.pflash");
    image::write_flash_file(&flash, &kernel, &[signed])?;
    let result = board::board(&flash)
        .spawn()
        .and_then(|mut qemu| script::run(&mut qemu, &BOOT));
    image::build_kernel(ctx).context("building the default kernel again")?;
    result
}

/// The slot-0 image of `tab`, signed (ECDSA P-256) by a key made here.
fn signed_image(ctx: &Context, scratch: &Path, tab: &Path) -> Result<Vec<u8>> {
    let packager = crate::tools::packager(ctx)?;
    let key = scratch.join("board-key");
    cmd::output(
        Command::new(&packager)
            .args(["keygen", "--force", "--out"])
            .arg(&key),
    )?;
    cmd::output(
        Command::new("tar")
            .arg("-xf")
            .arg(tab)
            .arg("-C")
            .arg(scratch)
            .arg(SLOT_0_IMAGE),
    )
    .with_context(|| format!("taking {SLOT_0_IMAGE} out of {}", tab.display()))?;
    let path = scratch.join(SLOT_0_IMAGE);
    cmd::output(
        Command::new(&packager)
            .arg("sign")
            .arg("--key")
            .arg(key.with_extension("der"))
            .arg(&path),
    )?;
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

/// The kernel built with the key of [`signed_image`] as the board's,
/// copied into `scratch`.
fn signed_kernel(ctx: &Context, scratch: &Path) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    cargo
        .args([
            "--release",
            "-p",
            image::BOARD_PACKAGE,
            "--target",
            RISCV32IMAC,
        ])
        .env_remove("BOARD_CREDENTIAL_POLICY")
        .env_remove("BOARD_SIGNERS_REQUIRED")
        .env("BOARD_SIGNING_KEY", scratch.join("board-key.pub"));
    cmd::run(&mut cargo)?;
    let built = ctx.artifact(RISCV32IMAC, "release", image::BOARD_PACKAGE);
    let copy = scratch.join("kernel-signed.elf");
    std::fs::copy(&built, &copy)
        .with_context(|| format!("copying {} to {}", built.display(), copy.display()))?;
    Ok(copy)
}
