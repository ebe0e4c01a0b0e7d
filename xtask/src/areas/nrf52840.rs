//! The nrf52840 area (owner: the nRF52840 board's author): builds the
//! nRF52840-DK kernel in release for thumbv7em and checks the image as a
//! real chip would boot it (no hardware here, no emulator for this chip):
//!
//! - every loadable segment lies in the kernel's flash, below the app
//!   start (0x4_0000), and the image starts at 0x0;
//! - the vector table at 0x0 holds an initial stack pointer inside RAM
//!   (8-byte aligned, as the AAPCS wants), and a reset handler and the
//!   system exception handlers the kernel needs, each a Thumb address
//!   inside the image;
//! - the commands of docs/boards/nrf52840dk.md work against a flash file
//!   (every step but the SWD transport): the kernel binary flashed at 0x0,
//!   a libtock-rs example linked with `nrf52840dk.ld`, packaged with `tbf
//!   pack` and installed with `loader`, is listed at the app start.
//!
//! `bench` records `nrf52840.kernel_text_bytes` and
//! `nrf52840.kernel_bss_bytes`, built with `--no-default-features` like
//! the rv32 figure (the features upstream's board has).

use super::targets::THUMBV7EM;
use super::{Area, DeviceCrate};
use crate::bench::Figures;
use crate::cmd;
use crate::context::Context;
use crate::tools::{llvm_tool, section_sizes};
use anyhow::{bail, ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The nrf52840 area in the registry.
pub const AREA: Area = Area {
    name: "nrf52840",
    about: "nRF52840-DK kernel: release build for thumbv7em, vector table and memory-map checks",
    tests,
    bench: Some(bench),
    device_crates: &[
        DeviceCrate {
            package: BOARD_PACKAGE,
            targets: &[THUMBV7EM],
        },
        DeviceCrate {
            package: "chip-nrf52840",
            targets: &[THUMBV7EM],
        },
    ],
};

/// The board crate.
pub const BOARD_PACKAGE: &str = "board-nrf52840dk";

/// The board's memory map (boards/nrf52840dk/layout.ld).
#[derive(Clone, Copy, Debug)]
pub struct MemoryMap {
    /// First byte of flash (the vector table).
    pub flash_start: u64,
    /// Where apps start: the kernel must end before it.
    pub app_start: u64,
    /// RAM.
    pub ram_start: u64,
    /// One past the last byte of RAM.
    pub ram_end: u64,
}

/// The nRF52840-DK's.
pub const NRF52840DK: MemoryMap = MemoryMap {
    flash_start: 0,
    app_start: 0x4_0000,
    ram_start: 0x2000_0000,
    ram_end: 0x2004_0000,
};

/// Vector table entries every Cortex-M kernel needs a handler in:
/// reset, NMI, HardFault, MemManage, BusFault, UsageFault, SVCall,
/// PendSV, SysTick.
const REQUIRED_VECTORS: &[(usize, &str)] = &[
    (1, "Reset"),
    (2, "NMI"),
    (3, "HardFault"),
    (4, "MemManage"),
    (5, "BusFault"),
    (6, "UsageFault"),
    (11, "SVCall"),
    (14, "PendSV"),
    (15, "SysTick"),
];

/// Builds the board and checks its image.
pub fn tests(ctx: &Context) -> Result<()> {
    let elf = build(ctx, true)?;
    let binary = check_image(ctx, &elf, &NRF52840DK)?;
    println!(
        "nrf52840: {} boots on paper: vector table and memory map check out",
        elf.display()
    );
    flash_file_story(ctx, &binary)
}

/// Records the kernel size figures.
pub fn bench(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let elf = build(ctx, false)?;
    check_image(ctx, &elf, &NRF52840DK)?;
    let sections = section_sizes(&elf)?;
    let sum = |names: &[&str]| -> f64 {
        sections
            .iter()
            .filter(|(name, _)| names.contains(&name.as_str()))
            .map(|(_, size)| *size as f64)
            .sum()
    };
    figures.record(
        "nrf52840.kernel_text_bytes",
        sum(&[".vectors", ".text", ".rodata"]),
        "bytes",
    )?;
    figures.record(
        "nrf52840.kernel_bss_bytes",
        sum(&[".bss", ".stack"]),
        "bytes",
    )
}

/// Builds the kernel in release (with or without the default features)
/// and returns its ELF.
fn build(ctx: &Context, default_features: bool) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    cargo.args(["--release", "-p", BOARD_PACKAGE, "--target", THUMBV7EM]);
    if !default_features {
        cargo.arg("--no-default-features");
    }
    cmd::run(&mut cargo)?;
    Ok(ctx.artifact(THUMBV7EM, "release", BOARD_PACKAGE))
}

/// Every check of the image; returns the raw binary (flash from 0x0),
/// written to the scratch directory.
fn check_image(ctx: &Context, elf: &Path, map: &MemoryMap) -> Result<PathBuf> {
    let mut readelf = Command::new(llvm_tool("llvm-readobj")?);
    readelf
        .args(["--elf-output-style=GNU", "--program-headers"])
        .arg(elf);
    let segments = load_segments(&cmd::output(&mut readelf)?)?;
    check_segments(&segments, map)
        .with_context(|| format!("{} against boards/nrf52840dk/layout.ld", elf.display()))?;
    let binary = ctx.scratch_dir("nrf52840")?.join("nrf52840dk.bin");
    let mut objcopy = Command::new(llvm_tool("llvm-objcopy")?);
    objcopy.args(["-O", "binary"]).arg(elf).arg(&binary);
    cmd::output(&mut objcopy)?;
    let image = std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
    check_vector_table(&image, map)
        .with_context(|| format!("the vector table of {}", elf.display()))?;
    Ok(binary)
}

/// The example app the story installs.
const STORY_APP: &str = "blink";

/// The user's story of docs/boards/nrf52840dk.md on a flash file: flash
/// the kernel, package and install an app, list it.
fn flash_file_story(ctx: &Context, kernel_binary: &Path) -> Result<()> {
    let directory = ctx.scratch_dir("nrf52840")?;
    let flash = directory.join("dk.img");
    if flash.exists() {
        std::fs::remove_file(&flash).with_context(|| format!("removing {}", flash.display()))?;
    }
    let loader = |arguments: &[&str]| -> Result<String> {
        let mut command = Command::new(ctx.target_dir.join("debug").join("loader"));
        command
            .args(["--board", "nrf52840dk", "--flash-file"])
            .arg(&flash)
            .args(arguments)
            .current_dir(&directory);
        cmd::output(&mut command)
    };
    let (tbf, app) = build_story_tools_and_app(ctx, &directory)?;
    let kernel = kernel_binary.to_str().context("non-UTF-8 scratch path")?;
    loader(&["flash", "--address", "0x0", kernel])?;
    let mut pack = Command::new(tbf);
    pack.args([
        "pack",
        "--kernel-major",
        "2",
        "--kernel-minor",
        "1",
        "-n",
        STORY_APP,
    ])
    .args(["-o", "blink.tab"])
    .arg(format!("{},cortex-m4", app.display()))
    .current_dir(&directory);
    cmd::output(&mut pack)?;
    loader(&["install", "blink.tab"])?;
    let listing = loader(&["list"])?;
    let listed = listing
        .lines()
        .any(|line| line.split_whitespace().take(2).eq([STORY_APP, "0x40000"]));
    ensure!(
        listed,
        "`loader --board nrf52840dk list` does not show {STORY_APP} at 0x40000:\n{listing}"
    );
    let image = std::fs::read(&flash).with_context(|| format!("reading {}", flash.display()))?;
    let kernel_bytes = std::fs::read(kernel_binary)?;
    ensure!(
        image.starts_with(&kernel_bytes),
        "the flash file does not start with the kernel image after `loader flash`"
    );
    println!("nrf52840: flash-file story ok: kernel at 0x0, {STORY_APP} listed at 0x40000");
    Ok(())
}

/// Builds the loader and packager (debug, as other areas do) and the
/// example app for the board's layout; returns the packager and the app.
fn build_story_tools_and_app(ctx: &Context, directory: &Path) -> Result<(PathBuf, PathBuf)> {
    // The same two builds as the loader and libtock-rs areas make, so a
    // full test run finds them built.
    crate::tools::loader(ctx)?;
    let packager_path = crate::tools::packager(ctx)?;
    let mut examples = ctx.cargo("build")?;
    examples
        .args([
            "-p",
            "libtock-examples",
            "--bins",
            "--features",
            "device",
            "--release",
        ])
        .args(["--target", THUMBV7EM])
        .env("LIBTOCK_LAYOUT", "nrf52840dk.ld");
    cmd::run(&mut examples).context("linking the libtock-rs examples for the nRF52840-DK")?;
    let app = directory.join(format!("{STORY_APP}.elf"));
    let built = ctx.artifact(THUMBV7EM, "release", STORY_APP);
    std::fs::copy(&built, &app).with_context(|| format!("copying {}", built.display()))?;
    Ok((packager_path, app))
}

/// A loadable segment: where its file bytes go in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSegment {
    /// Load (physical) address.
    pub load_address: u64,
    /// Bytes taken from the file (0 for NOLOAD memory).
    pub file_size: u64,
}

/// The LOAD rows of `llvm-readobj --elf-output-style=GNU --program-headers`
/// output (the same table as `readelf -l`).
pub fn load_segments(listing: &str) -> Result<Vec<LoadSegment>> {
    let number = |text: &str| -> Result<u64> {
        u64::from_str_radix(text.trim_start_matches("0x"), 16)
            .with_context(|| format!("{text:?} in a program header is not a hex number"))
    };
    let mut segments = Vec::new();
    for line in listing.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.first() != Some(&"LOAD") {
            continue;
        }
        ensure!(fields.len() >= 6, "short program header line: {line:?}");
        segments.push(LoadSegment {
            load_address: number(fields[3])?,
            file_size: number(fields[4])?,
        });
    }
    ensure!(!segments.is_empty(), "the ELF has no LOAD segment");
    Ok(segments)
}

/// The image starts at the flash start and ends below the app start.
pub fn check_segments(segments: &[LoadSegment], map: &MemoryMap) -> Result<()> {
    let mut lowest = u64::MAX;
    for segment in segments.iter().filter(|segment| segment.file_size > 0) {
        let end = segment.load_address + segment.file_size;
        if segment.load_address < map.flash_start || end > map.app_start {
            bail!(
                "a segment loads at {:#x}..{:#x}, outside the kernel's flash {:#x}..{:#x}: \
                 the kernel is too big or a section is not placed in FLASH",
                segment.load_address,
                end,
                map.flash_start,
                map.app_start
            );
        }
        lowest = lowest.min(segment.load_address);
    }
    ensure!(
        lowest == map.flash_start,
        "the image starts at {lowest:#x}, not at {:#x} where the chip looks for the vector table",
        map.flash_start
    );
    Ok(())
}

fn vector(image: &[u8], index: usize) -> Result<u32> {
    let bytes = image
        .get(index * 4..index * 4 + 4)
        .with_context(|| format!("the image ends before vector {index}"))?;
    Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// The initial stack pointer is in RAM and 8-byte aligned; each required
/// handler is a Thumb address (bit 0 set) inside the image, past the 16
/// system vectors.
pub fn check_vector_table(image: &[u8], map: &MemoryMap) -> Result<()> {
    let stack = u64::from(vector(image, 0)?);
    ensure!(
        stack > map.ram_start && stack <= map.ram_end && stack % 8 == 0,
        "initial stack pointer {stack:#x} is not an 8-byte aligned address in RAM \
         ({:#x}..={:#x})",
        map.ram_start,
        map.ram_end
    );
    let image_end = map.flash_start + image.len() as u64;
    let handlers_start = map.flash_start + 16 * 4;
    for &(index, name) in REQUIRED_VECTORS {
        let handler = u64::from(vector(image, index)?);
        ensure!(
            handler & 1 == 1,
            "the {name} vector {handler:#x} is not a Thumb address (bit 0 clear): \
             the core would fault taking it"
        );
        let address = handler & !1;
        ensure!(
            address >= handlers_start && address < image_end,
            "the {name} vector {handler:#x} points outside the kernel's code \
             ({handlers_start:#x}..{image_end:#x})"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "
Program Headers:
  Type           Offset   VirtAddr   PhysAddr   FileSiz MemSiz  Flg Align
  LOAD           0x0000b4 0x00000000 0x00000000 0x0a000 0x0a000 R E 0x4
  LOAD           0x00a0b4 0x20000000 0x20000000 0x00000 0x02000 RW  0x8
  LOAD           0x00a0b4 0x20002000 0x0000a000 0x00010 0x00010 RW  0x4
  GNU_STACK      0x000000 0x00000000 0x00000000 0x00000 0x00000 RW  0
";

    fn image_with(vectors: &[(usize, u32)]) -> Vec<u8> {
        let mut image = vec![0u8; 0x200];
        for &(index, value) in vectors {
            image[index * 4..index * 4 + 4].copy_from_slice(&value.to_le_bytes());
        }
        image
    }

    fn good_vectors() -> Vec<(usize, u32)> {
        let mut vectors = vec![(0, 0x2000_2000)];
        vectors.extend(REQUIRED_VECTORS.iter().map(|&(index, _)| (index, 0x101)));
        vectors
    }

    #[test]
    fn load_segments_are_read_from_readelf_output() {
        let segments = load_segments(LISTING).unwrap();
        assert_eq!(segments.len(), 3);
        assert_eq!(
            segments[2],
            LoadSegment {
                load_address: 0xa000,
                file_size: 0x10
            }
        );
        assert!(load_segments("no program headers").is_err());
    }

    #[test]
    fn a_kernel_inside_its_flash_passes_and_one_past_the_app_start_fails() {
        let segments = load_segments(LISTING).unwrap();
        check_segments(&segments, &NRF52840DK).unwrap();
        let too_big = [LoadSegment {
            load_address: 0,
            file_size: 0x4_0001,
        }];
        assert!(check_segments(&too_big, &NRF52840DK).is_err());
        let not_at_zero = [LoadSegment {
            load_address: 0x100,
            file_size: 0x10,
        }];
        assert!(check_segments(&not_at_zero, &NRF52840DK).is_err());
        let in_ram = [
            LoadSegment {
                load_address: 0,
                file_size: 0x10,
            },
            LoadSegment {
                load_address: 0x2000_0000,
                file_size: 0x10,
            },
        ];
        assert!(check_segments(&in_ram, &NRF52840DK).is_err());
    }

    #[test]
    fn a_sane_vector_table_passes() {
        check_vector_table(&image_with(&good_vectors()), &NRF52840DK).unwrap();
    }

    #[test]
    fn bad_stack_pointers_and_handlers_are_refused() {
        let mut vectors = good_vectors();
        vectors[0] = (0, 0x2004_0008);
        assert!(check_vector_table(&image_with(&vectors), &NRF52840DK).is_err());
        vectors[0] = (0, 0x2000_2004);
        assert!(check_vector_table(&image_with(&vectors), &NRF52840DK).is_err());
        let mut vectors = good_vectors();
        vectors.push((15, 0x100)); // SysTick: ARM state, not Thumb.
        assert!(check_vector_table(&image_with(&vectors), &NRF52840DK).is_err());
        let mut vectors = good_vectors();
        vectors.push((1, 0x4001)); // Reset: past the image.
        assert!(check_vector_table(&image_with(&vectors), &NRF52840DK).is_err());
        let mut vectors = good_vectors();
        vectors.push((11, 0)); // SVCall missing.
        assert!(check_vector_table(&image_with(&vectors), &NRF52840DK).is_err());
        assert!(check_vector_table(&[0; 8], &NRF52840DK).is_err());
    }
}
