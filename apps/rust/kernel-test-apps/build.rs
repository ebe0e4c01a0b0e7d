//! Links every test app for its own fixed slot on qemu-rv32-virt: a flash
//! slot in the TBF chain and a RAM slot, both in the same order, so any
//! subset of apps written in slot order (with padding between) loads.
//!
//! ```text
//!  app index i:  TBF header at 0x2004_0000 + i * 0x1_0000 (0x80 bytes),
//!                code at that + 0x80; RAM at 0x8001_0000 + i * 0x8000
//! ```

/// The apps in slot order (must match `src/bin/*.rs`).
const APPS: &[&str] = &[
    "hello_a",
    "hello_b",
    "spinner",
    "witness",
    "fault_kernel_ram",
    "fault_other_process",
    "fault_grant_region",
    "fault_mmio",
    "bad_pointers",
    "return_variants",
    "grant_hog",
    "bench_null",
    "bench_yield",
    "bench_switch_a",
    "bench_switch_b",
    "flash_check",
    "fault_stack_overflow",
    "ipc_service",
    "ipc_client",
    "button_press",
    "register_keeper",
    "finisher",
];

const FLASH_BASE: u32 = 0x2004_0000;
const FLASH_SLOT: u32 = 0x1_0000;
const HEADER_SPACE: u32 = 0x80;
const RAM_BASE: u32 = 0x8001_0000;
const RAM_SLOT: u32 = 0x8000;

fn main() {
    let directory = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-search={directory}");
    println!("cargo:rerun-if-changed=app_layout.ld");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BENCH_ITERATIONS");
    for (index, name) in APPS.iter().enumerate() {
        let index = index as u32;
        let flash = FLASH_BASE + index * FLASH_SLOT + HEADER_SPACE;
        let ram = RAM_BASE + index * RAM_SLOT;
        println!("cargo:rustc-link-arg-bin={name}=--defsym=APP_FLASH_ORIGIN={flash:#x}");
        println!("cargo:rustc-link-arg-bin={name}=--defsym=APP_RAM_ORIGIN={ram:#x}");
        println!("cargo:rustc-link-arg-bin={name}=-Tapp_layout.ld");
    }
}
