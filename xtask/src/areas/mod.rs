//! The registry of test and benchmark areas.
//!
//! An area is one part of the project that `cargo xtask test` checks and
//! `cargo xtask bench` measures: the workspace lint, the host unit tests, the
//! packager, the kernel in QEMU, libtock-rs, ... Each lives in its own file
//! (`areas/<area>.rs`, owned by whoever owns that part of the project) and
//! exports one `pub const AREA: Area`. Adding an area is one `mod` line and
//! one entry in [`ALL`].
//!
//! Contract for area functions:
//! - `tests` returns `Ok(())` only when every check of the area passed; a
//!   missing tool is an error saying what is missing, never a silent skip.
//! - `ctx.filter` holds the part of the command-line filter after `area:`
//!   (e.g. `packager:elf2tab` gives `Some("elf2tab")`); pass it on to
//!   `cargo test` or use it to pick QEMU tests.
//! - `bench` records each figure with [`Figures::record`], which prints it as
//!   `name: value unit`; names follow `area.what_unit` (ARCHITECTURE.md).
//! - Crates built for a device are listed in `device_crates`, so the `lint`
//!   area runs clippy on them with the right target.

use crate::bench::Figures;
use crate::context::Context;
use anyhow::Result;

pub mod cortex_m;
pub mod fuzz;
pub mod harness;
pub mod host;
pub mod hostile;
pub mod kernel;
pub mod libtock_c;
pub mod libtock_rs;
pub mod lint;
pub mod loader;
pub mod new_app;
pub mod nrf52840;
pub mod packager;
pub mod security_key;
pub mod signing;
pub mod upstream;

/// Runs an area's tests. `Ok` means every test passed.
pub type TestsFn = fn(&Context) -> Result<()>;
/// Runs an area's benchmarks, recording each figure.
pub type BenchFn = fn(&Context, &mut Figures) -> Result<()>;

/// One area of `cargo xtask test` and `cargo xtask bench`.
pub struct Area {
    /// The name used in filters (`cargo xtask test kernel`): lowercase, `-` between words.
    pub name: &'static str,
    /// One line for `cargo xtask test --list`.
    pub about: &'static str,
    /// Every test of the area.
    pub tests: TestsFn,
    /// The area's benchmarks, if it has any.
    pub bench: Option<BenchFn>,
    /// Crates of this area built for a device target (linted with that target).
    pub device_crates: &'static [DeviceCrate],
}

/// A crate that builds only for a device target (a board, an app, a runtime).
pub struct DeviceCrate {
    /// The cargo package name (`-p`).
    pub package: &'static str,
    /// Each target it must build for, e.g. `riscv32imac-unknown-none-elf`.
    pub targets: &'static [&'static str],
}

/// Target triples used by the device crates.
pub mod targets {
    /// qemu-rv32-virt and other RV32IMAC parts.
    pub const RISCV32IMAC: &str = "riscv32imac-unknown-none-elf";
    /// Cortex-M4/M7 (mps2-an386, nRF52840).
    pub const THUMBV7EM: &str = "thumbv7em-none-eabi";
    /// Cortex-M0/M0+.
    pub const THUMBV6M: &str = "thumbv6m-none-eabi";
}

/// Every area, in the order `cargo xtask test` runs them: quick checks first.
pub const ALL: &[Area] = &[
    lint::AREA,
    host::AREA,
    harness::AREA,
    packager::AREA,
    loader::AREA,
    libtock_rs::AREA,
    libtock_c::AREA,
    kernel::AREA,
    cortex_m::AREA,
    nrf52840::AREA,
    hostile::AREA,
    fuzz::AREA,
    security_key::AREA,
    signing::AREA,
    new_app::AREA,
    upstream::AREA,
];

/// Every device crate declared by any area, with its targets.
pub fn device_crates() -> impl Iterator<Item = &'static DeviceCrate> {
    ALL.iter().flat_map(|area| area.device_crates.iter())
}
