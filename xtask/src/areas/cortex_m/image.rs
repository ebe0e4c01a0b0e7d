//! Building the mps2-an386 kernel and the test apps for Thumb-2, packaging
//! apps with elf2tab, and making the app image QEMU places at 0x4_0000:
//! a TBF chain (padding images fill the gaps between fixed-address apps)
//! ended by erased bytes.
//!
//! mps2 has no flash controller: the kernel boots from ZBT SSRAM1 (QEMU's
//! `-kernel`) and the apps are loaded into the same SSRAM by `-device
//! loader` at every boot. The image file is the board's "flash": it
//! persists because the file does; the kernel cannot write it back.

use crate::areas::kernel::image::{fixed_tbf_address, padding_tbf_header};
use crate::areas::targets::THUMBV7EM;
use crate::cmd;
use crate::context::Context;
use crate::qemu::{Machine, QemuBuilder};
use anyhow::{bail, ensure, Result};
use std::path::{Path, PathBuf};

/// The board crate.
pub const BOARD_PACKAGE: &str = "board-mps2-an386";
/// The test-app crate (built for Thumb-2, linked for mps2's slots).
pub const APPS_PACKAGE: &str = "kernel-test-apps";
/// Where apps start in SSRAM1.
pub const APP_FLASH_ADDRESS: u64 = 0x4_0000;
/// Where app "flash" ends (SSRAM1 is 4 MiB).
pub const APP_FLASH_END: u64 = 0x40_0000;
/// Erased bytes after the last app: the chain ends at a header of 0xFF.
const CHAIN_END_BYTES: usize = 512;

/// Builds the kernel (release) and returns its ELF.
pub fn build_kernel(ctx: &Context) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    cargo.args(["--release", "-p", BOARD_PACKAGE, "--target", THUMBV7EM]);
    cmd::run(&mut cargo)?;
    Ok(ctx.artifact(THUMBV7EM, "release", BOARD_PACKAGE))
}

/// Builds every test app for Thumb-2 with `BENCH_ITERATIONS` =
/// `iterations`; returns a scratch directory of their own.
pub fn build_apps(ctx: &Context, iterations: u32) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    cargo
        .args([
            "--release",
            "-p",
            APPS_PACKAGE,
            "--bins",
            "--target",
            THUMBV7EM,
        ])
        .env("BENCH_ITERATIONS", iterations.to_string());
    cmd::run(&mut cargo)?;
    ctx.scratch_dir(&format!("cortex-m-apps-{iterations}"))
}

/// Packages test app `name` (built by [`build_apps`]) with upstream
/// elf2tab and returns its TBF bytes.
pub fn package_app(ctx: &Context, directory: &Path, name: &str) -> Result<Vec<u8>> {
    crate::areas::kernel::image::package_app_for(ctx, THUMBV7EM, directory, name)
}

/// The bytes QEMU places at [`APP_FLASH_ADDRESS`]: `apps` in order, a
/// fixed-address one at its address, any other at the next 1 KiB
/// boundary; padding TBFs between, erased bytes after.
pub fn app_image(apps: &[Vec<u8>]) -> Result<Vec<u8>> {
    let mut image = Vec::new();
    for tbf in apps {
        let offset = match fixed_tbf_address(tbf) {
            Ok(address) => {
                let Some(offset) = address.checked_sub(APP_FLASH_ADDRESS) else {
                    bail!(
                        "an app is linked for {address:#x}, below mps2's app flash at \
                         {APP_FLASH_ADDRESS:#x}: was it built for thumbv7em?"
                    );
                };
                usize::try_from(offset)?
            }
            Err(_) => image.len().next_multiple_of(1024),
        };
        ensure!(
            offset >= image.len(),
            "apps overlap or are out of slot order at offset {offset:#x}"
        );
        ensure!(
            APP_FLASH_ADDRESS + (offset + tbf.len()) as u64 <= APP_FLASH_END,
            "the apps do not fit in mps2's 4 MiB SSRAM1"
        );
        if offset > image.len() {
            let gap = u32::try_from(offset - image.len())?;
            image.extend_from_slice(&padding_tbf_header(gap));
            image.resize(offset, 0xFF);
        }
        image.extend_from_slice(tbf);
    }
    image.resize(image.len() + CHAIN_END_BYTES, 0xFF);
    Ok(image)
}

/// QEMU booting `kernel` as mps2-an386 with the app image `apps` (if any).
pub fn board(kernel: &Path, apps: Option<&Path>) -> QemuBuilder {
    let builder = QemuBuilder::new(Machine::Mps2An386).kernel(kernel);
    match apps {
        Some(apps) => builder.load_raw(apps, APP_FLASH_ADDRESS),
        None => builder,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed_tbf(flash: u32, length: usize) -> Vec<u8> {
        let mut tbf = vec![0u8; length];
        // Base header: version 2, header size 0x20 (base + FixedAddresses).
        tbf[..4].copy_from_slice(&(2u32 | (0x20 << 16)).to_le_bytes());
        tbf[16..20].copy_from_slice(&(5u32 | (8 << 16)).to_le_bytes());
        tbf[24..28].copy_from_slice(&flash.to_le_bytes());
        tbf
    }

    #[test]
    fn apps_sit_at_their_slots_with_padding_and_an_erased_end() {
        let first = fixed_tbf(0x4_0020, 0x100);
        let second = fixed_tbf(0x6_0020, 0x80);
        let image = app_image(&[first.clone(), second.clone()]).unwrap();
        assert_eq!(&image[..0x100], &first[..]);
        assert_eq!(&image[0x100..0x110], &padding_tbf_header(0x2_0000 - 0x100));
        assert_eq!(&image[0x2_0000..0x2_0080], &second[..]);
        assert_eq!(image.len(), 0x2_0080 + CHAIN_END_BYTES);
        assert!(image[0x2_0080..].iter().all(|byte| *byte == 0xFF));
        assert!(app_image(&[second, first]).is_err(), "out of slot order");
        assert!(
            app_image(&[fixed_tbf(0x2004_0080, 0x80)]).is_err(),
            "an app linked for qemu-rv32-virt"
        );
    }
}
