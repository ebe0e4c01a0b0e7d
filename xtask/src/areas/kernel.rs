//! The kernel area: QEMU integration tests of the kernel and the
//! qemu-rv32-virt board (the scenario list shared with mps2-an386 in
//! `kernel/scenarios.rs`, this board's side in `kernel/board.rs`), the
//! `rv32.*` benchmarks (`kernel/figures.rs`), `cargo xtask qemu` and the
//! demo of `cargo xtask run`. Images and flash files are made in
//! `kernel/image.rs`.

pub(crate) mod board;
mod figures;
pub(crate) mod image;
pub(crate) mod scenarios;
pub mod serve;
mod test_apps;

use super::targets::RISCV32IMAC;
use super::{Area, DeviceCrate};
use crate::bench::Figures;
use crate::context::Context;
use crate::qemu::{create_flash_if_missing, QemuBuilder};
use crate::BoardRun;
use anyhow::{ensure, Context as _, Result};
use std::path::{Path, PathBuf};

/// The kernel area in the registry.
pub const AREA: Area = Area {
    name: "kernel",
    about: "kernel and qemu-rv32-virt board: integration tests in QEMU",
    tests,
    bench: Some(bench),
    device_crates: &[
        DeviceCrate {
            package: image::BOARD_PACKAGE,
            targets: &[RISCV32IMAC],
        },
        DeviceCrate {
            package: image::APPS_PACKAGE,
            targets: &[RISCV32IMAC],
        },
    ],
};

/// Every kernel integration test in QEMU (`kernel:NAME` selects by name).
pub fn tests(ctx: &Context) -> Result<()> {
    let mut bench = scenarios::Bench::build(ctx, 0)?;
    scenarios::run_all(&mut bench, board::ONLY_HERE, ctx.filter.as_deref())
}

/// The `rv32.*` figures (null syscall, context switch, kernel size, ...).
pub fn bench(ctx: &Context, figures: &mut Figures) -> Result<()> {
    figures::measure(ctx, figures)
}

/// `cargo xtask run`: boots the board with two apps printing side by side
/// and a third that ends the run once they are done.
pub fn run_demo(ctx: &Context) -> Result<()> {
    let mut bench = scenarios::Bench::build(ctx, 0)?;
    let flash = bench.flash("demo", &["hello_a", "hello_b", "finisher"])?;
    let exit = scenarios::spawn(&flash)?.wait(std::time::Duration::from_secs(60))?;
    print!("{}", exit.output);
    ensure!(
        exit.code == 0,
        "the demo ended with exit code {}",
        exit.code
    );
    Ok(())
}

/// `cargo xtask qemu --board qemu-rv32-virt [--flash FILE] [--tab APP.tab
/// ...]`: builds the kernel and writes it into the flash file's first
/// erase block (creating the file erased if it does not exist); with
/// `--tab`, replaces the apps with the given ones (in order, each at its
/// fixed address); boots with the console on this terminal. Returns the
/// kernel's exit code.
pub fn qemu_command(ctx: &Context, run: &BoardRun) -> Result<i32> {
    let flash = match &run.flash {
        Some(flash) => flash.clone(),
        None => ctx.scratch_dir("qemu")?.join("qemu-rv32-virt.pflash"),
    };
    if !flash.exists() {
        println!("creating the erased flash file {}", flash.display());
    }
    if run.serial != serve::SerialLine::Terminal {
        return serve::serve(ctx, run, &run.serial);
    }
    let kernel = image::build_kernel(ctx)?;
    let board = with_requested_hid_link(board_with_tabs(ctx, &kernel, &flash, &run.tabs)?, run)?;
    // QEMU runs with `-serial stdio` (no multiplexer): Ctrl-A x reaches
    // the guest as `x`, while Ctrl-C stops QEMU.
    println!(
        "booting {} (flash {}); the console is this terminal; stop it with Ctrl-C",
        run.board.name(),
        flash.display()
    );
    let status = board.command()?.status().context("starting QEMU")?;
    status.code().context("QEMU was killed by a signal")
}

/// `board` with the HID link on the socket `run` names, if it names one.
/// Only a socket (a stale one from an earlier run) is replaced: any other
/// file there is the user's, and stays.
pub fn with_requested_hid_link(board: QemuBuilder, run: &BoardRun) -> Result<QemuBuilder> {
    use std::os::unix::fs::FileTypeExt;
    let Some(socket) = &run.hid_link else {
        return Ok(board);
    };
    if let Ok(metadata) = std::fs::symlink_metadata(socket) {
        ensure!(
            metadata.file_type().is_socket(),
            "--hid-link {}: a file that is not a socket is there; QEMU would replace it",
            socket.display()
        );
    }
    println!(
        "the HID link (FIDO and keyboard reports) is the Unix socket {}",
        socket.display()
    );
    super::security_key::with_hid_link(board, socket)
}

/// Writes `kernel` into the first erase block of the flash file `flash`
/// (created erased if it does not exist) and, given `tabs`, replaces the
/// apps with theirs, installed by our loader (`loader install
/// --flash-file`), so the image chosen from each TAB and where it goes are
/// exactly what a user's install does: a fixed-address build whose flash
/// and RAM both fit the board, a position-independent one placed as the
/// loader places it. Returns QEMU booting that flash, for a terminal
/// (`cargo xtask qemu`) or a harness session (the libtock examples).
pub fn board_with_tabs(
    ctx: &Context,
    kernel: &Path,
    flash: &Path,
    tabs: &[PathBuf],
) -> Result<QemuBuilder> {
    create_flash_if_missing(flash)?;
    image::write_kernel(flash, kernel)?;
    if !tabs.is_empty() {
        image::erase_app_flash(flash)?;
        let mut install = std::process::Command::new(crate::tools::loader(ctx)?);
        install
            .args([
                "install",
                "--quiet",
                "--board",
                "qemu-rv32-virt",
                "--flash-file",
            ])
            .arg(flash)
            .args(tabs);
        crate::cmd::run(&mut install)
            .with_context(|| format!("installing {} into {}", describe(tabs), flash.display()))?;
    }
    Ok(scenarios::board(flash))
}

fn describe(tabs: &[PathBuf]) -> String {
    let names: Vec<String> = tabs.iter().map(|tab| tab.display().to_string()).collect();
    names.join(", ")
}

/// Unpacks the TAB (a tar archive) `tab` into a fresh directory named for
/// it under the scratch directory `scratch`; returns that directory.
pub(crate) fn unpack_tab(ctx: &Context, scratch: &str, tab: &Path) -> Result<PathBuf> {
    let name = tab
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("app");
    let directory = ctx.scratch_dir(scratch)?.join(name);
    if directory.exists() {
        std::fs::remove_dir_all(&directory)
            .with_context(|| format!("removing {}", directory.display()))?;
    }
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("creating {}", directory.display()))?;
    let mut tar = std::process::Command::new("tar");
    tar.arg("-xf").arg(tab).arg("-C").arg(&directory);
    crate::cmd::output(&mut tar).with_context(|| format!("unpacking {}", tab.display()))?;
    Ok(directory)
}
