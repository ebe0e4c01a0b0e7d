//! Tells the crate which ARM-M architecture it is built for: `cfg(armv6m)`
//! on ARMv6-M targets (Cortex-M0/M0+: Thumb-1 only, no BASEPRI, no
//! configurable fault status registers), none on ARMv7-M/ARMv7E-M. rustc
//! has no stable `cfg` that tells the two apart, and the assembly differs.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(armv6m)");
    println!("cargo::rerun-if-env-changed=TARGET");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("thumbv6m") {
        println!("cargo::rustc-cfg=armv6m");
    }
}
