//! qemu-rv32-virt as a scenario board: the built kernel and packaged test
//! apps, a fresh 32 MiB flash file per test (the kernel at 0x2000_0000, the
//! apps as a TBF chain from 0x2004_0000), and QEMU booting it. The kernel,
//! hostile, security-key and figure code use [`Bench`] directly; the
//! shared scenarios reach it through [`Board`].

use super::image::{self, BOARD_ARGUMENTS};
use super::scenarios::{
    expect_exit, expect_lines, run, Access, Board, NotApplicable, Scenario, TestApps,
};
use crate::context::Context;
use crate::qemu::{Machine, Qemu, QemuBuilder};
use anyhow::{ensure, Result};
use std::path::{Path, PathBuf};

/// Built kernel and packaged apps shared by the tests.
pub struct Bench {
    ctx: Context,
    kernel: PathBuf,
    apps: TestApps,
}

impl Bench {
    /// Builds the kernel and the apps (benchmark loops set to `iterations`).
    pub fn build(ctx: &Context, iterations: u32) -> Result<Bench> {
        Bench::build_with(ctx, iterations, &[])
    }

    /// [`Bench::build`] with more build-time settings for the apps.
    pub fn build_with(
        ctx: &Context,
        iterations: u32,
        settings: &[(&str, String)],
    ) -> Result<Bench> {
        let kernel = image::build_kernel(ctx)?;
        let directory = image::build_apps(ctx, iterations, settings)?;
        Ok(Bench {
            ctx: ctx.clone(),
            kernel,
            apps: TestApps::new(ctx, directory, image::package_app),
        })
    }

    /// The kernel ELF.
    pub fn kernel(&self) -> &Path {
        &self.kernel
    }

    /// The TBF of test app `name`.
    pub fn tbf(&mut self, name: &str) -> Result<Vec<u8>> {
        self.apps.tbf(name)
    }

    /// Where test `test`'s flash file goes.
    pub fn flash_path(&self, test: &str) -> Result<PathBuf> {
        Ok(self
            .ctx
            .scratch_dir("kernel-tests")?
            .join(format!("{test}.pflash")))
    }

    /// A fresh flash file for test `test` with `apps` (slot order).
    pub fn flash(&mut self, test: &str, apps: &[&str]) -> Result<PathBuf> {
        let tbfs = self.apps.tbfs(apps)?;
        self.flash_of(test, &tbfs)
    }

    /// A fresh flash file for test `test` holding the kernel and `tbfs`.
    pub fn flash_of(&self, test: &str, tbfs: &[Vec<u8>]) -> Result<PathBuf> {
        let flash = self.flash_path(test)?;
        image::write_flash_file(&flash, &self.kernel, tbfs)?;
        Ok(flash)
    }
}

/// QEMU booting `flash` as qemu-rv32-virt.
pub fn board(flash: &Path) -> QemuBuilder {
    QemuBuilder::new(Machine::Rv32Virt)
        .pflash(0, flash)
        .args(BOARD_ARGUMENTS.iter().copied())
}

/// Boots `flash` and returns the running QEMU (for interactive tests).
pub fn spawn(flash: &Path) -> Result<Qemu> {
    board(flash).spawn()
}

impl Board for Bench {
    fn area(&self) -> &'static str {
        "kernel"
    }

    fn banner(&self) -> &'static str {
        "qemu-rv32-virt: kernel booting"
    }

    fn app_flash_address(&self) -> u64 {
        image::APP_FLASH_ADDRESS
    }

    fn tbf(&mut self, app: &str) -> Result<Vec<u8>> {
        Bench::tbf(self, app)
    }

    fn install(&mut self, test: &str, tbfs: &[Vec<u8>]) -> Result<PathBuf> {
        self.flash_of(test, tbfs)
    }

    fn spawn(&self, image: &Path) -> Result<Qemu> {
        spawn(image)
    }

    fn fault_cause(&self, access: Access) -> &'static str {
        // mcause 5, 7 and 1 as the kernel names them.
        match access {
            Access::Load => "load access fault",
            Access::Store => "store access fault",
            Access::Execute => "instruction access fault",
        }
    }

    fn fault_report_lines(&self) -> &'static [&'static str] {
        &[]
    }

    fn not_applicable(&self) -> &'static [NotApplicable] {
        NOT_APPLICABLE
    }
}

/// Scenarios that run on qemu-rv32-virt only.
pub const ONLY_HERE: &[Scenario<Bench>] = &[(
    "kernel_flash_writes_persist_across_reboots",
    kernel_flash_writes_persist,
)];

/// The scenarios of the shared list (or of mps2's own) this board leaves
/// out, and why.
pub(crate) const NOT_APPLICABLE: &[NotApplicable] = &[
    (
        "reading_outside_memory_faults_only_the_offender",
        "fault_kernel_ram's 0x8000_0000 is kernel RAM on this board: \
         reading_kernel_memory_faults_only_the_offender runs the same app",
    ),
    (
        "writing_another_process_memory_faults_the_attacker",
        "the hostile area runs attack_write_other beside the guardian on this board",
    ),
    (
        "writing_its_own_flash_faults_the_attacker",
        "the hostile area runs attack_write_flash beside the guardian on this board",
    ),
    (
        "jumping_into_kernel_memory_faults_the_attacker",
        "the hostile area runs attack_jump_kernel beside the guardian on this board",
    ),
    (
        "loader_installs_apps_into_the_board_image_offline",
        "the loader area installs into qemu-rv32-virt flash files, offline and live",
    ),
    (
        "libtock_rs_examples_run_with_their_output",
        "the libtock-rs area runs every example on this board",
    ),
    (
        "libtock_c_examples_run_with_their_output",
        "the libtock-c area runs every example on this board",
    ),
];

/// The kernel programs a marker into the last erase block through the
/// flash HIL; the file holds it afterwards and the next boot reads it.
fn kernel_flash_writes_persist(bench: &mut Bench) -> Result<()> {
    let flash = bench.flash("flash_check", &["flash_check"])?;
    let first = run(&*bench, &flash)?;
    expect_lines(
        &first,
        &["flash_check: erased, programmed and read back 0x7e57f1a5"],
    )?;
    expect_exit(&first, 0)?;
    let offset = crate::qemu::PFLASH_SIZE - 256 * 1024;
    let marker = crate::qemu::read_flash(&flash, offset, 4)?;
    ensure!(
        marker == 0x7e57_f1a5u32.to_le_bytes(),
        "the flash file holds {marker:02x?} where the kernel programmed the marker"
    );
    let second = run(&*bench, &flash)?;
    expect_lines(
        &second,
        &["flash_check: marker persisted from the previous boot"],
    )?;
    expect_exit(&second, 0)
}
