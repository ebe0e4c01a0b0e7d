//! mps2-an386 as a scenario board: the kernel built for Thumb-2, the test
//! apps packaged by elf2tab, and an app image QEMU places at 0x4_0000 at
//! every boot (the test driver exits through semihosting). The scenarios
//! themselves are the kernel's shared list (`areas/kernel/scenarios.rs`);
//! here are how this board runs them, the ones it leaves out and why, and
//! the ones only it has: the loader writing its image offline and the
//! libtock examples (which the libtock areas run on qemu-rv32-virt).

use super::image;
use crate::areas::kernel::scenarios::{self, expect_exit, expect_lines, Access, Board};
use crate::areas::kernel::scenarios::{NotApplicable, Scenario, TestApps};
use crate::context::Context;
use crate::qemu::Qemu;
use anyhow::{ensure, Context as _, Result};
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
        let kernel = image::build_kernel(ctx)?;
        let directory = image::build_apps(ctx, iterations)?;
        Ok(Bench {
            ctx: ctx.clone(),
            kernel,
            apps: TestApps::new(ctx, directory, image::package_app),
        })
    }

    /// The context the bench was built in.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The kernel ELF.
    pub fn kernel(&self) -> &Path {
        &self.kernel
    }

    /// The TBF of test app `name`.
    pub fn tbf(&mut self, name: &str) -> Result<Vec<u8>> {
        self.apps.tbf(name)
    }

    /// Writes the app image for test `test` from TBFs and returns its path.
    pub fn image_of(&self, test: &str, tbfs: &[Vec<u8>]) -> Result<PathBuf> {
        let path = self
            .ctx
            .scratch_dir("cortex-m-tests")?
            .join(format!("{test}.apps.bin"));
        std::fs::write(&path, image::app_image(tbfs)?)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// The app image for test `test` with `apps` (slot order).
    pub fn apps(&mut self, test: &str, apps: &[&str]) -> Result<PathBuf> {
        let tbfs = self.apps.tbfs(apps)?;
        self.image_of(test, &tbfs)
    }

    /// Boots the kernel with the app image `apps`, serial on stdio.
    pub fn spawn(&self, apps: &Path) -> Result<Qemu> {
        image::board(&self.kernel, Some(apps)).spawn()
    }
}

impl Board for Bench {
    fn area(&self) -> &'static str {
        "cortex-m"
    }

    fn banner(&self) -> &'static str {
        "mps2-an386: kernel booting"
    }

    fn app_flash_address(&self) -> u64 {
        image::APP_FLASH_ADDRESS
    }

    fn tbf(&mut self, app: &str) -> Result<Vec<u8>> {
        Bench::tbf(self, app)
    }

    fn install(&mut self, test: &str, tbfs: &[Vec<u8>]) -> Result<PathBuf> {
        self.image_of(test, tbfs)
    }

    fn spawn(&self, image: &Path) -> Result<Qemu> {
        Bench::spawn(self, image)
    }

    fn fault_cause(&self, access: Access) -> &'static str {
        // MemManage: DACCVIOL for data, IACCVIOL for instruction fetches.
        match access {
            Access::Load | Access::Store => "data access fault",
            Access::Execute => "instruction access fault",
        }
    }

    fn fault_report_lines(&self) -> &'static [&'static str] {
        // The kernel decodes the MemManage status register.
        &["CFSR"]
    }

    fn not_applicable(&self) -> &'static [NotApplicable] {
        NOT_APPLICABLE
    }
}

/// Scenarios that run on mps2-an386 only.
pub const ONLY_HERE: &[Scenario<Bench>] = &[
    (
        "loader_installs_apps_into_the_board_image_offline",
        loader_installs_apps_offline,
    ),
    (
        "libtock_rs_examples_run_with_their_output",
        super::userspace::libtock_rs_examples,
    ),
    (
        "libtock_c_examples_run_with_their_output",
        super::userspace::libtock_c_examples,
    ),
];

/// The scenarios of the shared list (or of qemu-rv32-virt's own) this
/// board leaves out, and why. The fault apps aim at qemu-rv32-virt's
/// addresses; none is mapped for a process on mps2 either, so the MPU
/// refuses each with DACCVIOL and MMFAR holds the address.
pub(crate) const NOT_APPLICABLE: &[NotApplicable] = &[
    (
        "reading_kernel_memory_faults_only_the_offender",
        "fault_kernel_ram's 0x8000_0000 is no memory at all on mps2: \
         reading_outside_memory_faults_only_the_offender runs the same app",
    ),
    (
        "reading_another_process_memory_faults_only_the_offender",
        "fault_other_process aims at qemu-rv32-virt's first slot RAM (0x8001_0000), \
         unmapped on mps2: writing_another_process_memory_faults_the_attacker covers it here",
    ),
    (
        "reading_mmio_faults_only_the_offender",
        "fault_mmio aims at qemu-rv32-virt's UART (0x1000_0005), unmapped on mps2",
    ),
    (
        "apps_survive_a_reboot_with_the_same_flash_file",
        "mps2 has no flash: QEMU loads the app image into SSRAM at every boot, \
         so a reboot proves nothing about persistence",
    ),
    (
        "kernel_flash_writes_persist_across_reboots",
        "mps2 has no flash controller: its kernel cannot program the app image",
    ),
];

/// mps2's app image is a flash file whose offset 0 is address 0x4_0000:
/// our loader installs into it offline (`--flash-file`), and the kernel
/// finds and runs what it wrote.
fn loader_installs_apps_offline(bench: &mut Bench) -> Result<()> {
    let ctx = bench.context().clone();
    let loader = crate::tools::loader(&ctx)?;
    let directory = ctx.scratch_dir("cortex-m-loader")?;
    let apps = directory.join("apps.bin");
    std::fs::write(&apps, vec![0xFF; LOADER_IMAGE_BYTES])?;
    let mut tbfs = Vec::new();
    for name in ["hello_a", "finisher"] {
        let tbf = directory.join(format!("{name}.tbf"));
        std::fs::write(&tbf, bench.tbf(name)?)?;
        tbfs.push(tbf);
    }
    let address = format!("{:#x}", image::APP_FLASH_ADDRESS);
    let on_image = |command: &mut std::process::Command| {
        command
            .arg("--flash-file")
            .arg(&apps)
            .args(["--flash-address", &address, "--app-address", &address])
            .args(["--arch", "cortex-m4"]);
    };
    let mut install = std::process::Command::new(&loader);
    install.args(["install", "-q"]).args(&tbfs);
    on_image(&mut install);
    crate::cmd::output(&mut install).context("installing into the mps2 image")?;
    let mut list = std::process::Command::new(&loader);
    list.arg("list");
    on_image(&mut list);
    let listing = crate::cmd::output(&mut list)?;
    ensure!(
        listing.contains("hello_a") && listing.contains("finisher"),
        "`loader list` does not show both apps:\n{listing}"
    );
    let exit = scenarios::run(bench, &apps)?;
    expect_lines(
        &exit,
        &[
            "[kernel] loaded hello_a at 0x40000",
            "[kernel] 2 processes loaded",
            "hello_a: done",
        ],
    )?;
    expect_exit(&exit, 0)
}

/// Size of the erased image the loader test installs into: 2 MiB holds
/// every test-app slot it uses (the board's app flash is 3.75 MiB).
const LOADER_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// Runs every scenario for mps2-an386 whose name contains `filter`.
pub fn run_all(bench: &mut Bench, filter: Option<&str>) -> Result<()> {
    scenarios::run_all(bench, ONLY_HERE, filter)
}
