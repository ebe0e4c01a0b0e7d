//! Links the kernel with `layout.ld` (the board's memory map).
fn main() {
    let directory = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-search={directory}");
    println!("cargo:rustc-link-arg-bins=-Tlayout.ld");
    println!("cargo:rerun-if-changed=layout.ld");
}
