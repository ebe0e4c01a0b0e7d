//! Links the app with the board layout named by `LIBTOCK_LAYOUT` (default
//! `qemu_rv32_virt.ld`); the runtime's build script puts the layouts on the
//! linker's search path.

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTOCK_LAYOUT");
    let layout = std::env::var("LIBTOCK_LAYOUT").unwrap_or_else(|_| "qemu_rv32_virt.ld".into());
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if arch == "riscv32" || arch == "arm" {
        println!("cargo:rustc-link-arg-bins=-T{layout}");
    }
}
