//! Links the guest with the memory layout of the machine its target
//! runs on (`link-riscv32.ld`: qemu-rv32-virt's RAM; `link-thumbv7em.ld`:
//! mps2-an386's SSRAM1 at 0, where its vector table must be).

use std::env;
use std::path::PathBuf;

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    let directory = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let script = if target.starts_with("riscv32") {
        "link-riscv32.ld"
    } else if target.starts_with("thumbv7em") {
        "link-thumbv7em.ld"
    } else {
        // Host builds (`cargo check` of the workspace) link nothing here.
        return;
    };
    println!("cargo:rerun-if-changed={script}");
    println!("cargo:rerun-if-env-changed=P256_BENCH_ITERATIONS");
    println!(
        "cargo:rustc-link-arg=-T{}",
        directory.join(script).display()
    );
}
