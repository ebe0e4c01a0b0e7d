//! Runs C examples on the fake kernel (`libtock-c/tests/fake-kernel`): a
//! test fixture that enters one TBF the way Tock does and answers console,
//! alarm (simulated clock), memop and exit, on qemu-rv32-virt (RISC-V) and
//! on mps2-an386 (Cortex-M4, which also runs the Cortex-M0 images). It
//! proves crt0, the system-call layer, stdio, malloc and the virtual timers
//! on real CPUs without waiting for the real kernel, that a fixed-address
//! image placed in the wrong slot stops instead of running, and that a
//! position-independent Cortex-M app (`libtock-c/tests/pic-app`, r9 PIC)
//! runs from an address it was not linked for.

use crate::cmd;
use crate::context::Context;
use crate::qemu::{Machine, QemuBuilder, PFLASH_SIZE};
use anyhow::{ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What crt0 prints through the fake kernel for an image in the wrong slot
/// (TOCK_CRT0_EXIT_WRONG_FLASH_ADDRESS).
pub const WRONG_SLOT_EXIT: &str = "app exited with 0xc0de0f1a";

/// A CPU the fake kernel runs on, and the images it runs there.
#[derive(Clone, Copy, Debug)]
pub enum Cpu {
    /// qemu-rv32-virt: TBF at 0x2004_0000 (pflash offset 0x4_0000).
    Rv32imac,
    /// mps2-an386: TBF at 0x0004_0000, running the Cortex-M4 image.
    CortexM4,
    /// mps2-an386 running the Cortex-M0 image (Thumb-1 runs on the M4).
    CortexM0,
}

impl Cpu {
    /// Every CPU the fake kernel covers.
    pub const ALL: [Cpu; 3] = [Cpu::Rv32imac, Cpu::CortexM4, Cpu::CortexM0];

    /// The TBF name of a position-independent image for this CPU.
    pub fn pic_image(self) -> String {
        format!("{}.tbf", self.name())
    }

    /// The image built for the fake kernel's app slot.
    pub fn image(self) -> &'static str {
        match self {
            Cpu::Rv32imac => "rv32imac.0x20040080.0x80010000.tbf",
            Cpu::CortexM4 => "cortex-m4.0x00040080.0x20008000.tbf",
            Cpu::CortexM0 => "cortex-m0.0x00040080.0x20008000.tbf",
        }
    }

    /// A name for messages.
    pub fn name(self) -> &'static str {
        self.image().split('.').next().unwrap_or("?")
    }
}

/// The image linked for the second RISC-V slot: wrong in the first.
pub const SECOND_SLOT_IMAGE: &str = "rv32imac.0x20050080.0x80020000.tbf";

/// The libtock-c sources the libc-free PIC app is built from.
const PIC_APP_SOURCES: &[&str] = &[
    "tests/pic-app/main.c",
    "libtock/tock.c",
    "libtock/syscalls.c",
    "libtock/console.c",
    "libtock-sync/console.c",
    "libtock-sync/wait.c",
    "runtime/crt0.c",
];

/// Builds `tests/pic-app` position-independent for `cpu` (a Cortex-M),
/// linked at upstream's sentinels (flash 0x8000_0000, RAM 0), and packages
/// it with `tbf`; returns the TAB.
pub fn build_pic_app(ctx: &Context, tbf: &Path, cpu: Cpu) -> Result<PathBuf> {
    let libtock_c = ctx.workspace.join("libtock-c");
    let out = ctx.scratch_dir("libtock-c")?.join("pic-app");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let layout = out.join("layout.ld");
    std::fs::write(
        &layout,
        "TOCK_FLASH_ORIGIN = 0x80000000;\nTOCK_RAM_ORIGIN = 0x00000000;\nINCLUDE userland.ld\n",
    )?;
    let name = cpu.name();
    let elf = out.join(format!("{name}.elf"));
    let mut compile = Command::new("arm-none-eabi-gcc");
    compile
        .args([
            "--specs=picolibc.specs",
            "-nostartfiles",
            "-mthumb",
            "-mfloat-abi=soft",
        ])
        .arg(format!("-mcpu={name}"))
        .args(["-fPIC", "-msingle-pic-base", "-mpic-register=r9"])
        .args([
            "-mno-pic-data-is-text-relative",
            "-DTOCK_PIC",
            "-Os",
            "-std=gnu11",
        ])
        .args([
            "-Wall",
            "-Wextra",
            "-Werror",
            "-ffunction-sections",
            "-fdata-sections",
        ])
        .args([
            "-Wl,--gc-sections",
            "-Wl,--emit-relocs",
            "-Wl,--defsym=STACK_SIZE=2048",
        ])
        .arg(format!("-I{}", libtock_c.display()))
        .arg(format!("-L{}", libtock_c.join("runtime").display()))
        .arg(format!("-T{}", layout.display()))
        .arg("-o")
        .arg(&elf);
    for source in PIC_APP_SOURCES {
        compile.arg(libtock_c.join(source));
    }
    cmd::output(&mut compile).context("building the position-independent test app")?;
    let tab = out.join(format!("pic-{name}.tab"));
    let mut pack = Command::new(tbf);
    pack.args(["pack", "-n", "pic", "--stack", "2048", "-o"])
        .arg(&tab)
        .arg(&elf);
    cmd::output(&mut pack)?;
    Ok(tab)
}

/// The fake kernels, built once.
pub struct FakeKernels {
    riscv_binary: PathBuf,
    arm_elf: PathBuf,
}

fn compile(
    ctx: &Context,
    compiler: &str,
    flags: &[&str],
    sources: &[&str],
    out: &Path,
) -> Result<()> {
    let dir = ctx.workspace.join("libtock-c/tests/fake-kernel");
    let mut command = Command::new(compiler);
    command
        .args(["-Os", "-std=gnu11", "-Wall", "-Wextra", "-Werror"])
        .args(["-ffreestanding", "-nostdlib"])
        .args(flags)
        .arg(format!("-I{}", ctx.workspace.join("libtock-c").display()))
        .arg("-o")
        .arg(out);
    for source in sources {
        command.arg(dir.join(source));
    }
    cmd::output(&mut command).with_context(|| {
        format!("compiling the fake kernel with {compiler} (run `cargo xtask setup` if missing)")
    })?;
    Ok(())
}

/// Compiles both fake kernels.
pub fn build(ctx: &Context) -> Result<FakeKernels> {
    let out = ctx.scratch_dir("libtock-c")?;
    let dir = ctx.workspace.join("libtock-c/tests/fake-kernel");
    let riscv_elf = out.join("fake_kernel_riscv.elf");
    let riscv_script = format!("-T{}", dir.join("riscv.ld").display());
    compile(
        ctx,
        "riscv64-unknown-elf-gcc",
        &[
            "-march=rv32imac_zicsr",
            "-mabi=ilp32",
            "-mcmodel=medlow",
            "-Wl,--no-relax",
            "-DAPP_FLASH=0x20040000u",
            "-DAPP_RAM=0x80010000u",
            &riscv_script,
        ],
        &["entry_riscv.S", "arch_riscv.c", "fake_kernel.c"],
        &riscv_elf,
    )?;
    let riscv_binary = out.join("fake_kernel_riscv.bin");
    let mut objcopy = Command::new("riscv64-unknown-elf-objcopy");
    objcopy
        .args(["-O", "binary"])
        .arg(&riscv_elf)
        .arg(&riscv_binary);
    cmd::output(&mut objcopy)?;
    let arm_elf = out.join("fake_kernel_arm.elf");
    let arm_script = format!("-T{}", dir.join("arm.ld").display());
    compile(
        ctx,
        "arm-none-eabi-gcc",
        &[
            "-mthumb",
            "-mcpu=cortex-m4",
            "-mfloat-abi=soft",
            "-DAPP_FLASH=0x00040000u",
            "-DAPP_RAM=0x20008000u",
            &arm_script,
        ],
        &["arch_arm.c", "fake_kernel.c"],
        &arm_elf,
    )?;
    Ok(FakeKernels {
        riscv_binary,
        arm_elf,
    })
}

/// One TBF of a TAB, byte for byte.
fn tbf_from_tab(tab: &Path, image: &str) -> Result<Vec<u8>> {
    let output = Command::new("tar")
        .arg("-xOf")
        .arg(tab)
        .arg(image)
        .output()
        .with_context(|| format!("running tar on {}", tab.display()))?;
    ensure!(
        output.status.success() && !output.stdout.is_empty(),
        "{} has no {image}: {}",
        tab.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(output.stdout)
}

/// Boots `cpu`'s fake kernel with `image` of `tab` in its app slot and
/// returns the console output once QEMU exits; fails on a nonzero exit
/// when `expect_exit_zero`.
pub fn run(
    ctx: &Context,
    kernels: &FakeKernels,
    cpu: Cpu,
    tab: &Path,
    image: &str,
    expect_exit_zero: bool,
) -> Result<String> {
    const RISCV_APP_OFFSET: usize = 0x4_0000;
    const ARM_APP_ADDRESS: u64 = 0x4_0000;
    let tbf = tbf_from_tab(tab, image)?;
    let stem = tab.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = format!("fake-{}-{}", stem.unwrap_or_default(), cpu.name());
    let scratch = ctx.scratch_dir("libtock-c")?;
    let builder = match cpu {
        Cpu::Rv32imac => {
            let kernel = std::fs::read(&kernels.riscv_binary)?;
            ensure!(
                kernel.len() <= RISCV_APP_OFFSET,
                "the fake kernel outgrew its slot"
            );
            let mut flash = vec![0xFF; usize::try_from(PFLASH_SIZE)?];
            flash[..kernel.len()].copy_from_slice(&kernel);
            flash[RISCV_APP_OFFSET..RISCV_APP_OFFSET + tbf.len()].copy_from_slice(&tbf);
            let flash_file = scratch.join(format!("{name}.flash"));
            std::fs::write(&flash_file, flash)
                .with_context(|| format!("writing {}", flash_file.display()))?;
            QemuBuilder::new(Machine::Rv32Virt).pflash(0, &flash_file)
        }
        Cpu::CortexM4 | Cpu::CortexM0 => {
            let tbf_file = scratch.join(format!("{name}.tbf"));
            std::fs::write(&tbf_file, &tbf)
                .with_context(|| format!("writing {}", tbf_file.display()))?;
            QemuBuilder::new(Machine::Mps2An386)
                .kernel(&kernels.arm_elf)
                .load_raw(&tbf_file, ARM_APP_ADDRESS)
        }
    };
    let exit = builder.spawn()?.wait(Duration::from_secs(60))?;
    ensure!(
        !expect_exit_zero || exit.code == 0,
        "exit code {} on the fake kernel; console:\n{}",
        exit.code,
        exit.output
    );
    Ok(exit.output)
}
