//! `cargo xtask`: the one driver of builds, runs, tests and benchmarks.
//!
//! This library holds everything the `cargo xtask` binary runs, so area
//! files (`areas/<area>.rs`) share one API: [`context::Context`] (paths,
//! filter, a `cargo` command into the right target directory), [`cmd`]
//! (running programs with useful errors), [`qemu`] (booting boards, serial
//! expect/send, exit codes, flash files, instruction counts), [`tools`]
//! (paths of cached upstream tools), [`bench::Figures`] and [`setup`].
//!
//! Guarantees: each command installs what it needs or fails saying what
//! is missing, never silently skips; builds go to the workspace target
//! directory (or `$CARGO_TARGET_DIR`); tools are cached under
//! `~/.cache/tock-dev/`, never in the clone. Exit statuses: see [`exit`].
//!
//! Must never: depend on a crate of the workspace (a crate that does not
//! compile would take the driver down with it, and with it the tests that
//! say what is wrong); write into the clone outside the target directory;
//! report a test as passed when the tool it needs is missing.
#![forbid(unsafe_code)]

use std::path::PathBuf;

pub mod areas;
pub mod bench;
pub mod cmd;
pub mod context;
pub mod ctap2_attestation;
pub mod exit;
pub mod filter;
pub mod new_app;
pub mod qemu;
pub mod runner;
pub mod setup;
pub mod tools;

/// The boards `cargo xtask qemu` can boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Board {
    /// RISC-V, `qemu-system-riscv32 -M virt`, apps in a persistent pflash file.
    QemuRv32Virt,
    /// Cortex-M4, `qemu-system-arm -M mps2-an386`, apps in an image file
    /// placed in SSRAM at every boot.
    Mps2An386,
}

impl Board {
    /// The board's name as on the command line and in `boards/`.
    pub fn name(self) -> &'static str {
        match self {
            Board::QemuRv32Virt => "qemu-rv32-virt",
            Board::Mps2An386 => "mps2-an386",
        }
    }
}

/// What `cargo xtask qemu` was asked to boot.
#[derive(Debug)]
pub struct BoardRun {
    /// The board.
    pub board: Board,
    /// Its flash file, if given (the kernel area picks a default otherwise).
    pub flash: Option<PathBuf>,
    /// App bundles to install before booting, in order.
    pub tabs: Vec<PathBuf>,
    /// Where the serial line goes: this terminal, TCP or a pty.
    pub serial: areas::kernel::serve::SerialLine,
    /// The Unix socket of qemu-rv32-virt's HID link (the FIDO and keyboard
    /// interfaces, docs/boards/qemu-rv32-virt.md), if asked for.
    pub hid_link: Option<PathBuf>,
}
