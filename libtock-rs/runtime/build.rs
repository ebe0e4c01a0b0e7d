//! Makes the linker scripts findable when an app links against the runtime,
//! and writes `libtock_custom.ld` from `LIBTOCK_FLASH_START` and
//! `LIBTOCK_RAM_START` (with optional `LIBTOCK_FLASH_LENGTH`,
//! `LIBTOCK_RAM_LENGTH`, `LIBTOCK_TBF_HEADER_SIZE`) for boards without a
//! layout of their own.

use std::env;
use std::fs;
use std::path::PathBuf;

const LAYOUTS: &[&str] = &[
    "libtock_layout.ld",
    "qemu_rv32_virt.ld",
    "nrf52840dk.ld",
    "mps2_an386.ld",
];

fn custom_layout() -> Option<String> {
    let flash = env::var("LIBTOCK_FLASH_START").ok()?;
    let ram = env::var("LIBTOCK_RAM_START").ok()?;
    let flash_length = env::var("LIBTOCK_FLASH_LENGTH").unwrap_or_else(|_| "0x40000".into());
    let ram_length = env::var("LIBTOCK_RAM_LENGTH").unwrap_or_else(|_| "0x10000".into());
    let header = env::var("LIBTOCK_TBF_HEADER_SIZE").unwrap_or_else(|_| "0x60".into());
    Some(format!(
        "/* Generated from LIBTOCK_* environment variables. */\n\
         TBF_HEADER_SIZE = {header};\n\
         FLASH_START = {flash};\nFLASH_LENGTH = {flash_length};\n\
         RAM_START = {ram};\nRAM_LENGTH = {ram_length};\n\
         INCLUDE libtock_layout.ld\n"
    ))
}

fn main() {
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for layout in LAYOUTS {
        let source = PathBuf::from("layouts").join(layout);
        println!("cargo:rerun-if-changed={}", source.display());
        fs::copy(&source, out_dir.join(layout))
            .unwrap_or_else(|error| panic!("copying {} to OUT_DIR: {error}", source.display()));
    }
    for variable in [
        "LIBTOCK_FLASH_START",
        "LIBTOCK_RAM_START",
        "LIBTOCK_FLASH_LENGTH",
        "LIBTOCK_RAM_LENGTH",
        "LIBTOCK_TBF_HEADER_SIZE",
    ] {
        println!("cargo:rerun-if-env-changed={variable}");
    }
    let custom = custom_layout().unwrap_or_else(|| {
        "/* Set LIBTOCK_FLASH_START and LIBTOCK_RAM_START to use this layout. */\n\
         ASSERT(0, \"libtock_custom.ld needs LIBTOCK_FLASH_START and LIBTOCK_RAM_START\");\n"
            .into()
    });
    fs::write(out_dir.join("libtock_custom.ld"), custom).expect("writing libtock_custom.ld");
    println!("cargo:rustc-link-search={}", out_dir.display());
}
