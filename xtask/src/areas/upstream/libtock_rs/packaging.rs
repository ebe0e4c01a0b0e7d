//! Upstream libtock-rs built as shipped for one of our boards, and each
//! example packaged by upstream elf2tab with upstream's Makefile flags.
//!
//! The snapshot in `../shared/upstream/libtock-rs` is read-only and ships
//! no `Cargo.lock`, and cargo writes one into the workspace it builds: so
//! the build runs in a copy under the target directory (timestamps kept,
//! so an unchanged snapshot is not rebuilt), with its own target directory
//! per board. Nothing of upstream's is edited: only the variables
//! upstream documents pick the board (`LIBTOCK_LINKER_*`).

use crate::context::Context;
use crate::{cmd, tools};
use anyhow::{ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The toolchain the build runs with: upstream pins an older one in its
/// `rust-toolchain.toml`, which these machines do not install.
const TOOLCHAIN: &str = "stable";

/// One of our boards as upstream libtock-rs's build and upstream elf2tab
/// see it: a target, an architecture name, and the app's memory.
pub struct BoardLayout {
    /// Our board's name (docs/boards/).
    pub name: &'static str,
    /// The Rust target.
    pub target: &'static str,
    /// The TAB architecture, as upstream's `Targets.mk` names it.
    pub architecture: &'static str,
    /// Where the app's flash starts (its TBF header) and how long it is.
    pub flash: (u64, u64),
    /// Where the app's RAM starts and how long it is.
    pub ram: (u64, u64),
}

impl BoardLayout {
    /// `<architecture>.<flash>.<ram>`: the name upstream's Makefile gives
    /// an ELF in a TAB, and so the TBF's name inside it.
    pub fn tbf_stem(&self) -> String {
        format!(
            "{}.{:#010x}.{:#010x}",
            self.architecture, self.flash.0, self.ram.0
        )
    }
}

/// Where everything of upstream libtock-rs goes: under the target directory.
fn root(ctx: &Context) -> PathBuf {
    ctx.target_dir.join("upstream").join("libtock-rs")
}

/// The upstream snapshot (read-only), next to our checkout.
fn snapshot(ctx: &Context) -> Result<PathBuf> {
    crate::areas::upstream::snapshot(&ctx.workspace, "libtock-rs", "Cargo.toml")
}

/// Copies the snapshot into the build copy (see the module doc) and
/// returns the copy.
pub fn prepare_source(ctx: &Context) -> Result<PathBuf> {
    let snapshot = snapshot(ctx)?;
    let copy = root(ctx).join("source");
    std::fs::create_dir_all(&copy).with_context(|| format!("creating {}", copy.display()))?;
    let mut copying = Command::new("cp");
    copying
        .args(["-R", "--preserve=timestamps"])
        .arg(snapshot.join("."))
        .arg(&copy);
    cmd::output(&mut copying).context("copying upstream libtock-rs")?;
    // The snapshot's files are read-only; cargo must write the lock file
    // and the next copy must overwrite these.
    let mut writable = Command::new("chmod");
    writable.args(["-R", "u+w"]).arg(&copy);
    cmd::output(&mut writable)?;
    Ok(copy)
}

/// Builds every upstream example (release, no features, as shipped) for
/// `board`; returns the directory holding the example ELFs.
pub fn build_examples(ctx: &Context, source: &Path, board: &BoardLayout) -> Result<PathBuf> {
    let target_dir = root(ctx).join(board.name);
    let hex = |value: u64| format!("{value:#x}");
    let mut cargo = Command::new("cargo");
    cargo
        .current_dir(source)
        .args(["build", "--release", "--examples", "--target", board.target])
        .arg("--target-dir")
        .arg(&target_dir)
        .env("RUSTUP_TOOLCHAIN", TOOLCHAIN)
        .env("LIBTOCK_LINKER_FLASH", hex(board.flash.0))
        .env("LIBTOCK_LINKER_FLASH_LENGTH", hex(board.flash.1))
        .env("LIBTOCK_LINKER_RAM", hex(board.ram.0))
        .env("LIBTOCK_LINKER_RAM_LENGTH", hex(board.ram.1))
        // Our own build settings must not leak into upstream's build.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("LIBTOCK_PLATFORM")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    cmd::run(&mut cargo)
        .with_context(|| format!("building upstream libtock-rs's examples for {}", board.name))?;
    Ok(target_dir
        .join(board.target)
        .join("release")
        .join("examples"))
}

/// Packages example `name` (built into `elves`) with upstream elf2tab as
/// upstream's Makefile does (`make tab`): the ELF copied to a directory
/// named `<architecture>.<flash>.<ram>`, passed as `ELF,<that name>`.
/// Returns the TAB.
pub fn package(ctx: &Context, elves: &Path, board: &BoardLayout, name: &str) -> Result<PathBuf> {
    let elf2tab = tools::elf2tab_path()?;
    ensure!(
        elf2tab.is_file(),
        "upstream elf2tab {} is not installed at {}: run `cargo xtask setup`",
        tools::ELF2TAB_VERSION,
        elf2tab.display()
    );
    let stem = board.tbf_stem();
    let scratch = ctx.scratch_dir(&format!("upstream-libtock-rs/{}", board.name))?;
    let elf_directory = scratch.join(&stem);
    std::fs::create_dir_all(&elf_directory)?;
    let elf = elf_directory.join(name);
    std::fs::copy(elves.join(name), &elf)
        .with_context(|| format!("copying the built example {name} from {}", elves.display()))?;
    let tab = scratch.join(format!("{name}.tab"));
    let mut command = Command::new(&elf2tab);
    command
        .args(["--kernel-major", "2", "--kernel-minor", "1"])
        .args(["-n", name])
        .arg("-o")
        .arg(&tab)
        .args(["--stack", "1024", "--minimum-footer-size", "256"])
        .arg(format!("{},{stem}", elf.display()));
    cmd::output(&mut command).with_context(|| format!("elf2tab on upstream's {name}"))?;
    Ok(tab)
}

/// The TBF for `board` inside `tab`, as bytes.
pub fn extract_tbf(ctx: &Context, board: &BoardLayout, tab: &Path) -> Result<Vec<u8>> {
    let directory = crate::areas::kernel::unpack_tab(ctx, "upstream-libtock-rs-tabs", tab)?;
    let tbf = directory.join(format!("{}.tbf", board.tbf_stem()));
    std::fs::read(&tbf).with_context(|| format!("{} holds no {}", tab.display(), tbf.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tbf_is_named_as_upstream_targets_name_it() {
        let board = BoardLayout {
            name: "mps2-an386",
            target: "thumbv7em-none-eabi",
            architecture: "cortex-m4",
            flash: (0x4_0000, 0x3C_0000),
            ram: (0x2001_0000, 0x3F_0000),
        };
        // As upstream's Targets.mk writes F=0x00040000 R=0x20010000.
        assert_eq!(board.tbf_stem(), "cortex-m4.0x00040000.0x20010000");
    }
}
