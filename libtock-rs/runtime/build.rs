//! Links every app that depends on the runtime (through `libtock`) with the
//! board layout named by `LIBTOCK_LAYOUT`, so an app crate anywhere needs
//! no build script of its own, and writes `libtock_custom.ld` from
//! `LIBTOCK_FLASH_START` and `LIBTOCK_RAM_START` (with optional
//! `LIBTOCK_FLASH_LENGTH`, `LIBTOCK_RAM_LENGTH`, `LIBTOCK_TBF_HEADER_SIZE`)
//! for boards without a layout of their own.
//!
//! Why a library link instead of `-T`: `cargo:rustc-link-arg` from a
//! library's build script applies only to that package's own binaries, while
//! a `rustc-link-lib` reaches the final link of every dependent binary. The
//! linker reads a linked file that is not an object as a linker script, so
//! `libtock_app_layout.ld` (which includes the chosen layout) does what
//! `-T<layout>` would. With no layout, or an unknown one, that script is a
//! failing `ASSERT` whose message names the fix: an app never links into
//! an empty image.

use std::env;
use std::fs;
use std::path::PathBuf;

/// The generic layout every board layout includes.
const GENERIC_LAYOUT: &str = "libtock_layout.ld";

/// The board layouts shipped in `layouts/`, one per board we ship.
const BOARD_LAYOUTS: &[&str] = &["qemu_rv32_virt.ld", "nrf52840dk.ld", "mps2_an386.ld"];

/// The values `LIBTOCK_LAYOUT` may take.
const CHOICES: &str =
    "qemu_rv32_virt.ld, nrf52840dk.ld, mps2_an386.ld, or libtock_custom.ld with LIBTOCK_FLASH_START and LIBTOCK_RAM_START";

/// The script every dependent binary links: `INCLUDE` of the chosen
/// layout, or an assertion that fails the link with what to do.
const APP_LAYOUT_SCRIPT: &str = "libtock_app_layout.ld";

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

/// The linker script that selects the app's layout, from `LIBTOCK_LAYOUT`.
fn app_layout_script(layout: Option<String>) -> String {
    let fail = |what: String| {
        format!(
            "/* No usable layout: the link fails with this message. */\n\
             ASSERT(0, \"libtock-runtime: {what}. Set LIBTOCK_LAYOUT to the board's layout ({CHOICES}), \
             for example LIBTOCK_LAYOUT=qemu_rv32_virt.ld in the environment or in the [env] table \
             of .cargo/config.toml (cargo xtask new-app writes one); see docs/libtock-rs.md\");\n"
        )
    };
    match layout {
        None => fail("no board layout chosen (LIBTOCK_LAYOUT is not set)".into()),
        Some(name) if name == "libtock_custom.ld" || BOARD_LAYOUTS.contains(&name.as_str()) => {
            format!("/* Chosen by LIBTOCK_LAYOUT. */\nINCLUDE {name}\n")
        }
        Some(name) => fail(format!("unknown layout {}", name.replace('"', "'"))),
    }
}

fn main() {
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for layout in BOARD_LAYOUTS.iter().chain([&GENERIC_LAYOUT]) {
        let source = PathBuf::from("layouts").join(layout);
        println!("cargo:rerun-if-changed={}", source.display());
        fs::copy(&source, out_dir.join(layout))
            .unwrap_or_else(|error| panic!("copying {} to OUT_DIR: {error}", source.display()));
    }
    for variable in [
        "LIBTOCK_LAYOUT",
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
    // Only device targets link apps; host builds (tests against the fake
    // kernel) must not see a linker script.
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if arch == "riscv32" || arch == "arm" {
        let script = app_layout_script(env::var("LIBTOCK_LAYOUT").ok());
        fs::write(out_dir.join(APP_LAYOUT_SCRIPT), script).expect("writing the app layout");
        println!("cargo:rustc-link-lib=dylib:+verbatim={APP_LAYOUT_SCRIPT}");
    }
}
