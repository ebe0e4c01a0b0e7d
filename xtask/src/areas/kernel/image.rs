//! Building the qemu-rv32-virt kernel, its bootloader and the test apps,
//! packaging apps with elf2tab, and writing flash files: the bootloader at
//! 0x2000_0000 (the reset vector), the kernel at 0x2000_8000 and the apps
//! as a TBF chain from 0x2004_0000 (padding images fill the gaps, as
//! tockloader writes them).

use crate::areas::targets::RISCV32IMAC;
use crate::cmd;
use crate::context::Context;
use crate::qemu::{create_erased_flash, write_flash, PFLASH_SIZE, RV32_VIRT_PFLASH0_BASE};
use crate::tools;
use anyhow::{bail, ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The board crate.
pub const BOARD_PACKAGE: &str = "board-qemu-rv32-virt";
/// The bootloader crate (built beside the kernel by [`build_kernel`]).
pub const BOOTLOADER_PACKAGE: &str = "qemu-rv32-virt-bootloader";
/// Where the kernel starts in flash: after the bootloader's 32 KiB.
pub const KERNEL_FLASH_OFFSET: u64 = 0x8000;
/// The test-app crate.
pub const APPS_PACKAGE: &str = "kernel-test-apps";
/// Where the kernel's erase block ends and apps begin (flash offset).
pub const APP_FLASH_OFFSET: u64 = 0x4_0000;
/// The same as an address.
pub const APP_FLASH_ADDRESS: u64 = RV32_VIRT_PFLASH0_BASE + APP_FLASH_OFFSET;
/// QEMU arguments every run of the board needs besides the flash.
pub const BOARD_ARGUMENTS: &[&str] = &[
    "-m",
    "1M",
    "-global",
    "virtio-mmio.force-legacy=false",
    "-device",
    "virtio-rng-device",
];

/// The bootloader built in this run, for kernels copied away from the
/// build directory (see [`write_kernel`]).
static BUILT_BOOTLOADER: OnceLock<PathBuf> = OnceLock::new();

/// Builds the kernel and the bootloader (release, one cargo call) and
/// returns the kernel's ELF; the bootloader's lies beside it.
pub fn build_kernel(ctx: &Context) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    cargo.args(["--release", "-p", BOARD_PACKAGE, "-p", BOOTLOADER_PACKAGE]);
    cargo.args(["--target", RISCV32IMAC]);
    cmd::run(&mut cargo)?;
    remember_bootloader(ctx);
    Ok(ctx.artifact(RISCV32IMAC, "release", BOARD_PACKAGE))
}

fn remember_bootloader(ctx: &Context) {
    let _ = BUILT_BOOTLOADER.set(ctx.artifact(RISCV32IMAC, "release", BOOTLOADER_PACKAGE));
}

/// Builds the kernel (release) with `--no-default-features` (the feature
/// set upstream's board has, for the size figures), copies the ELF into a
/// scratch directory and returns the copy. Then builds the default kernel
/// again, so the usual artifact is the default one afterwards (cargo keeps
/// both builds, so switching back costs only the final copy).
pub fn build_kernel_without_default_features(ctx: &Context) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    cargo.args(["--release", "-p", BOARD_PACKAGE, "--target", RISCV32IMAC]);
    cargo.arg("--no-default-features");
    cmd::run(&mut cargo)?;
    let built = ctx.artifact(RISCV32IMAC, "release", BOARD_PACKAGE);
    let copy = ctx
        .scratch_dir("kernel-size")?
        .join(format!("{BOARD_PACKAGE}-no-default-features"));
    std::fs::copy(&built, &copy)
        .with_context(|| format!("copying {} to {}", built.display(), copy.display()))?;
    let kernel = build_kernel(ctx)?;
    let bootloader = bootloader_beside(&kernel);
    std::fs::copy(&bootloader, bootloader_beside(&copy))
        .with_context(|| format!("copying {}", bootloader.display()))?;
    Ok(copy)
}

/// Builds every test app with `BENCH_ITERATIONS` = `iterations` and the
/// other build-time `settings` in the environment (e.g. the fuzzer's
/// `FUZZ_SEED` and `FUZZ_SYSCALLS`); returns a scratch directory of their own.
pub fn build_apps(ctx: &Context, iterations: u32, settings: &[(&str, String)]) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    for (name, value) in settings {
        cargo.env(name, value);
    }
    // The bootloader comes along (cached after the first build): every
    // flash image needs it, also beside kernels built elsewhere.
    cargo
        .args(["--release", "-p", APPS_PACKAGE, "-p", BOOTLOADER_PACKAGE])
        .args(["--bins", "--target", RISCV32IMAC])
        .env("BENCH_ITERATIONS", iterations.to_string());
    cmd::run(&mut cargo)?;
    remember_bootloader(ctx);
    let directory = ctx.scratch_dir(&format!("kernel-apps-{iterations}"))?;
    Ok(directory)
}

/// Packages test app `name` (built by [`build_apps`] into the target
/// directory) with upstream elf2tab and returns its TBF bytes.
pub fn package_app(ctx: &Context, directory: &Path, name: &str) -> Result<Vec<u8>> {
    package_app_for(ctx, RISCV32IMAC, directory, name)
}

/// [`package_app`] for the test app built for `target` (every board's
/// test apps are packaged with the same elf2tab flags).
pub fn package_app_for(
    ctx: &Context,
    target: &str,
    directory: &Path,
    name: &str,
) -> Result<Vec<u8>> {
    let built = ctx.artifact(target, "release", name);
    let elf = directory.join(name);
    std::fs::copy(&built, &elf)
        .with_context(|| format!("copying {} (was it built?)", built.display()))?;
    let elf2tab = tools::elf2tab_path()?;
    ensure!(
        elf2tab.is_file(),
        "elf2tab is missing at {}: run `cargo xtask setup`",
        elf2tab.display()
    );
    let mut command = std::process::Command::new(elf2tab);
    command
        .args(["--kernel-major", "2", "--kernel-minor", "1"])
        .args([
            "--stack",
            "2048",
            "--app-heap",
            "4096",
            "--kernel-heap",
            "1024",
        ])
        .arg("-n")
        .arg(name)
        .arg("-o")
        .arg(directory.join(format!("{name}.tab")))
        .arg(&elf)
        .current_dir(directory);
    cmd::output(&mut command)?;
    let tbf = directory.join(format!("{name}.tbf"));
    std::fs::read(&tbf).with_context(|| format!("reading {}", tbf.display()))
}

/// Where a fixed-address TBF must sit in flash (absolute address): its
/// FixedAddresses flash address minus its header and protected region.
pub fn fixed_tbf_address(tbf: &[u8]) -> Result<u64> {
    let word = |offset: usize| -> Result<u32> {
        let bytes = tbf
            .get(offset..offset + 4)
            .context("TBF header is truncated")?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    };
    let header_size = (word(0)? >> 16) as usize;
    let (mut offset, mut flash, mut protected) = (16, None, 0);
    while offset + 4 <= header_size {
        let tag = word(offset)?;
        let (kind, length) = (tag & 0xffff, (tag >> 16) as usize);
        match kind {
            // Main (1) and Program (9): protected_trailer_size is the 2nd word.
            1 | 9 => protected = word(offset + 8)?,
            // FixedAddresses: start_process_ram, start_process_flash.
            5 => flash = Some(word(offset + 8)?),
            _ => {}
        }
        offset += 4 + length.div_ceil(4) * 4;
    }
    let flash = flash.context("the TBF has no FixedAddresses header: not a fixed-address app")?;
    Ok(u64::from(flash) - header_size as u64 - u64::from(protected))
}

/// A padding TBF of `size` bytes (base header only, not an app).
pub fn padding_tbf_header(size: u32) -> [u8; 16] {
    let first = 2u32 | (16 << 16);
    let words = [first, size, 0, first ^ size];
    let mut header = [0; 16];
    for (chunk, word) in header.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    header
}

/// Writes `kernel` (ELF) and the `apps` (TBFs, in slot order) into a fresh
/// erased flash file at `flash`.
pub fn write_flash_file(flash: &Path, kernel: &Path, apps: &[Vec<u8>]) -> Result<()> {
    create_erased_flash(flash)?;
    write_kernel(flash, kernel)?;
    write_app_chain(flash, apps)
}

/// Erases (0xFF) all of app flash in the file.
pub fn erase_app_flash(flash: &Path) -> Result<()> {
    let erased = vec![0xFF; usize::try_from(PFLASH_SIZE - APP_FLASH_OFFSET)?];
    write_flash(flash, APP_FLASH_OFFSET, &erased)
}

/// The bootloader ELF that [`build_kernel`] leaves beside `kernel`.
pub fn bootloader_beside(kernel: &Path) -> PathBuf {
    kernel.with_file_name(BOOTLOADER_PACKAGE)
}

/// The bootloader for `kernel`: beside it, or the one this run built.
fn bootloader_for(kernel: &Path) -> Result<PathBuf> {
    let beside = bootloader_beside(kernel);
    if beside.is_file() {
        return Ok(beside);
    }
    match BUILT_BOOTLOADER.get() {
        Some(built) if built.is_file() => Ok(built.clone()),
        _ => bail!(
            "no bootloader beside {} and none built in this run: build with \
             `image::build_kernel` (or `build_apps`), which build it",
            kernel.display()
        ),
    }
}

/// The loadable bytes of `elf` as a flat image (llvm-objcopy), from its
/// lowest address; its entry point checked against `entry`.
fn flat_image(elf: &Path, entry: u64, scratch: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(elf).with_context(|| format!("reading {}", elf.display()))?;
    // ELF32 little-endian: e_entry is the word at offset 0x18.
    let found = bytes
        .get(0x18..0x1c)
        .map(|word| u32::from_le_bytes([word[0], word[1], word[2], word[3]]));
    ensure!(
        found == Some(entry as u32),
        "{} starts at {:#x?}, not {entry:#x}: rebuild it (`build_kernel`)",
        elf.display(),
        found
    );
    let mut objcopy = std::process::Command::new(tools::llvm_tool("llvm-objcopy")?);
    objcopy.args(["-O", "binary"]).arg(elf).arg(scratch);
    cmd::output(&mut objcopy)?;
    std::fs::read(scratch).with_context(|| format!("reading {}", scratch.display()))
}

/// Writes the first erase block of `flash`: the bootloader (see
/// [`bootloader_for`]) at 0x2000_0000 and the kernel image at
/// 0x2000_8000.
pub fn write_kernel(flash: &Path, kernel: &Path) -> Result<()> {
    let bootloader = bootloader_for(kernel)?;
    let boot_bytes = flat_image(
        &bootloader,
        RV32_VIRT_PFLASH0_BASE,
        &flash.with_extension("bootloader.bin"),
    )?;
    let kernel_bytes = flat_image(
        kernel,
        RV32_VIRT_PFLASH0_BASE + KERNEL_FLASH_OFFSET,
        &flash.with_extension("kernel.bin"),
    )?;
    ensure!(
        boot_bytes.len() as u64 <= KERNEL_FLASH_OFFSET,
        "the bootloader image is {} bytes: more than its {KERNEL_FLASH_OFFSET} bytes",
        boot_bytes.len()
    );
    ensure!(
        kernel_bytes.len() as u64 <= APP_FLASH_OFFSET - KERNEL_FLASH_OFFSET,
        "the kernel image is {} bytes: more than its 224 KiB in the first erase block",
        kernel_bytes.len()
    );
    let mut block = vec![0xFF; usize::try_from(APP_FLASH_OFFSET)?];
    block[..boot_bytes.len()].copy_from_slice(&boot_bytes);
    let kernel_offset = usize::try_from(KERNEL_FLASH_OFFSET)?;
    block[kernel_offset..kernel_offset + kernel_bytes.len()].copy_from_slice(&kernel_bytes);
    write_flash(flash, 0, &block)
}

/// Writes `apps` (in slot order) from the start of app flash, with padding
/// between them; leaves the kernel and the rest of flash as they are.
pub fn write_app_chain(flash: &Path, apps: &[Vec<u8>]) -> Result<()> {
    let mut cursor = APP_FLASH_OFFSET;
    for tbf in apps {
        let offset = fixed_tbf_address(tbf)? - RV32_VIRT_PFLASH0_BASE;
        if offset < cursor {
            bail!("apps overlap or are out of slot order at flash offset {offset:#x}");
        }
        if offset > cursor {
            let gap = u32::try_from(offset - cursor)?;
            write_flash(flash, cursor, &padding_tbf_header(gap))?;
        }
        write_flash(flash, offset, tbf)?;
        cursor = offset + tbf.len() as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_header_checksum_is_the_xor_of_its_words() {
        let header = padding_tbf_header(0x1000);
        assert_eq!(&header[..4], &[2, 0, 16, 0]);
        assert_eq!(&header[4..8], &0x1000u32.to_le_bytes());
        assert_eq!(&header[12..], &(0x0010_0002u32 ^ 0x1000).to_le_bytes());
    }

    #[test]
    fn fixed_address_is_found_behind_the_program_header() {
        let mut tbf = vec![0u8; 0x80];
        // Base header: version 2, header size 0x34 (base + two TLVs).
        tbf[..4].copy_from_slice(&(2u32 | (0x34 << 16)).to_le_bytes());
        // Program TLV (type 9, 20 bytes) at 16: protected trailer 0x4c.
        tbf[16..20].copy_from_slice(&(9u32 | (20 << 16)).to_le_bytes());
        tbf[24..28].copy_from_slice(&0x4cu32.to_le_bytes());
        // FixedAddresses TLV (type 5, 8 bytes) at 40: ram, flash.
        tbf[40..44].copy_from_slice(&(5u32 | (8 << 16)).to_le_bytes());
        tbf[48..52].copy_from_slice(&0x2004_0080u32.to_le_bytes());
        assert_eq!(fixed_tbf_address(&tbf).unwrap(), 0x2004_0000);
        assert!(fixed_tbf_address(&tbf[..20]).is_err());
    }
}
