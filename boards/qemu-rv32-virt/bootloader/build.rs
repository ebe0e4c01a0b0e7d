//! Links the bootloader with `layout.ld` (its place at the reset vector).

fn main() {
    let directory = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-search={directory}");
    println!("cargo:rustc-link-arg-bins=-Tlayout.ld");
    println!("cargo:rerun-if-changed=layout.ld");
}
