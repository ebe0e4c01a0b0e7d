//! Links every test app for its own fixed slot on qemu-rv32-virt: a flash
//! slot in the TBF chain and a RAM slot, both in the same order, so any
//! subset of apps written in slot order (with padding between) loads.
//!
//! ```text
//!  app index i:  TBF header at 0x2004_0000 + i * 0x1_0000 (0x80 bytes),
//!                code at that + 0x80; RAM at 0x8001_0000 + i * 0x4000
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
    "bench_wait_for",
    "bench_notify_self",
    "fuzzer",
    "guardian",
    "attack_write_kernel",
    "attack_write_other",
    "attack_write_flash",
    "attack_jump_kernel",
    "attack_heap",
    "attack_upcall_queue",
    "attack_overlapping_allows",
    "attack_storm",
    "attack_wait_forever",
    "confirm_on_test",
];

const FLASH_BASE: u32 = 0x2004_0000;
const FLASH_SLOT: u32 = 0x1_0000;
const HEADER_SPACE: u32 = 0x80;
const RAM_BASE: u32 = 0x8001_0000;
const RAM_SLOT: u32 = 0x4000;

/// mps2-an386 (Arm): the same slots from its app flash and RAM.
const ARM_FLASH_BASE: u32 = 0x0004_0000;
const ARM_RAM_BASE: u32 = 0x2001_0000;

fn main() {
    // Arm builds link each app for its slot on mps2-an386.
    let arm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "arm");
    let (flash_base, ram_base) = if arm {
        (ARM_FLASH_BASE, ARM_RAM_BASE)
    } else {
        (FLASH_BASE, RAM_BASE)
    };
    let directory = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-search={directory}");
    println!("cargo:rerun-if-changed=app_layout.ld");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BENCH_ITERATIONS");
    // attack_write_other aims at the guardian's RAM.
    let guardian = APPS.iter().position(|name| *name == "guardian");
    let guardian = guardian.expect("the guardian is in APPS") as u32;
    let guardian_ram = ram_base + guardian * RAM_SLOT;
    println!("cargo:rustc-env=GUARDIAN_RAM_ORIGIN={guardian_ram:#x}");
    for (index, name) in APPS.iter().enumerate() {
        let index = index as u32;
        let flash = flash_base + index * FLASH_SLOT + HEADER_SPACE;
        let ram = ram_base + index * RAM_SLOT;
        println!("cargo:rustc-link-arg-bin={name}=--defsym=APP_FLASH_ORIGIN={flash:#x}");
        println!("cargo:rustc-link-arg-bin={name}=--defsym=APP_RAM_ORIGIN={ram:#x}");
        println!("cargo:rustc-link-arg-bin={name}=-Tapp_layout.ld");
    }
}
