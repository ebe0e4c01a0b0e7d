//! Links the kernel with `layout.ld` (the board's memory map) and embeds
//! the credential policy and keys (`build/credential_policy.rs`).

#[path = "build/credential_policy.rs"]
mod credential_policy;

fn main() {
    credential_policy::generate();
    let directory = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rustc-link-search={directory}");
    println!("cargo:rustc-link-arg-bins=-Tlayout.ld");
    // The kernel stack (layout.ld's `.stack`): an ECDSA P-256 check in a
    // deferred call needs 16 KiB under the full board; without the
    // credential checker 12 KiB is plenty (and kernel RAM is scarce).
    let stack_bytes = if std::env::var_os("CARGO_FEATURE_CREDENTIAL_CHECKING").is_some() {
        16 * 1024
    } else {
        12 * 1024
    };
    println!("cargo:rustc-link-arg-bins=--defsym=_kernel_stack_bytes={stack_bytes}");
    println!("cargo:rerun-if-changed=layout.ld");
}
