//! Rust targets, components and the nightly toolchain, through explicit
//! `rustup` calls (the machines set `RUSTUP_AUTO_INSTALL=0`).

use super::Report;
use crate::cmd;
use anyhow::{Context as _, Result};
use std::process::Command;

/// Targets the device crates build for.
const TARGETS: &[&str] = &[
    "riscv32imac-unknown-none-elf",
    "thumbv7em-none-eabi",
    "thumbv6m-none-eabi",
];
/// Components: `rust-src` for building `core` variants, `llvm-tools` for
/// objcopy/size on device images.
const COMPONENTS: &[&str] = &["rust-src", "llvm-tools"];

fn rustup(arguments: &[&str]) -> Result<String> {
    cmd::output(Command::new("rustup").args(arguments))
        .context("running rustup (install it from https://rustup.rs)")
}

/// Whether `component` is in `rustup component list --installed` output,
/// where host-specific components carry the host triple (`llvm-tools-x86_64-...`).
fn has_component(installed: &str, component: &str) -> bool {
    installed.lines().map(str::trim).any(|line| {
        line == component
            || line
                .strip_prefix(component)
                .is_some_and(|rest| rest.starts_with('-') && rest[1..].contains('-'))
    })
}

/// Installs missing targets and components of the active toolchain, and
/// the nightly toolchain that cargo-fuzz needs.
pub fn ensure(report: &mut Report) -> Result<()> {
    let installed_targets = rustup(&["target", "list", "--installed"])?;
    let missing_targets: Vec<&str> = TARGETS
        .iter()
        .copied()
        .filter(|target| !installed_targets.lines().any(|line| line.trim() == *target))
        .collect();
    if !missing_targets.is_empty() {
        report.installing(&format!("Rust targets {}", missing_targets.join(", ")));
        cmd::run(
            Command::new("rustup")
                .args(["target", "add"])
                .args(&missing_targets),
        )?;
    }
    let installed_components = rustup(&["component", "list", "--installed"])?;
    let missing_components: Vec<&str> = COMPONENTS
        .iter()
        .copied()
        .filter(|component| !has_component(&installed_components, component))
        .collect();
    if !missing_components.is_empty() {
        report.installing(&format!(
            "Rust components {}",
            missing_components.join(", ")
        ));
        cmd::run(
            Command::new("rustup")
                .args(["component", "add"])
                .args(&missing_components),
        )?;
    }
    let toolchains = rustup(&["toolchain", "list"])?;
    if !toolchains.lines().any(|line| line.starts_with("nightly")) {
        report.installing("the nightly Rust toolchain (for cargo-fuzz)");
        cmd::run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::has_component;

    #[test]
    fn components_match_with_or_without_the_host_triple() {
        let installed =
            "cargo-x86_64-unknown-linux-gnu\nllvm-tools-x86_64-unknown-linux-gnu\nrust-src\n";
        assert!(has_component(installed, "rust-src"));
        assert!(has_component(installed, "llvm-tools"));
        assert!(!has_component(installed, "clippy"));
        assert!(!has_component("rust-src-extra\n", "rust-src"));
    }
}
