//! The host area: `cargo test` over the workspace's default members (the
//! crates that build for the host), every test binary run even when one
//! fails. Crates whose own area already runs their tests (the packager's
//! and the loader's) are left to that area, so CI runs each test once. A
//! sub-filter (`host:NAME`) is passed to `cargo test` as the test-name
//! filter.

use super::Area;
use crate::cmd;
use crate::context::Context;
use anyhow::{Context as _, Result};

/// The host area in the registry.
pub const AREA: Area = Area {
    name: "host",
    about: "cargo test for every host crate (unit, property and integration tests)",
    tests,
    bench: None,
    device_crates: &[],
};

/// Host crates another area tests with `cargo test -p` (that area's name
/// beside each, so a reader knows where the tests went).
const TESTED_BY_THEIR_AREA: &[(&str, &str)] = &[
    ("tbf", "packager"),
    ("tbf-tools", "packager"),
    ("loader-protocol", "loader"),
    ("loader-cli", "loader"),
];

/// `cargo test --no-fail-fast -p ... [FILTER]` over the default members
/// that no other area tests.
pub fn tests(ctx: &Context) -> Result<()> {
    let mut cargo = ctx.cargo("test")?;
    cargo.arg("--no-fail-fast");
    for package in host_packages(ctx)? {
        if let Some((_, area)) = TESTED_BY_THEIR_AREA
            .iter()
            .find(|(name, _)| *name == package)
        {
            println!("host: {package} is tested by the {area} area");
        } else {
            cargo.args(["-p", &package]);
        }
    }
    if let Some(filter) = &ctx.filter {
        cargo.arg(filter);
    }
    cmd::run(&mut cargo)
}

/// The names of the workspace's default members, from `cargo metadata`.
fn host_packages(ctx: &Context) -> Result<Vec<String>> {
    let mut metadata = ctx.cargo("metadata")?;
    metadata.args(["--no-deps", "--format-version", "1"]);
    let output = cmd::output(&mut metadata)?;
    let json: serde_json::Value =
        serde_json::from_str(&output).context("parsing `cargo metadata` output")?;
    let default_ids = json["workspace_default_members"].as_array().context(
        "`cargo metadata` lists no workspace_default_members (cargo 1.71 or newer needed)",
    )?;
    let packages = json["packages"]
        .as_array()
        .context("`cargo metadata` lists no packages")?;
    let names = default_ids
        .iter()
        .filter_map(|id| {
            packages
                .iter()
                .find(|package| package["id"] == *id)
                .and_then(|package| package["name"].as_str())
                .map(str::to_owned)
        })
        .collect::<Vec<_>>();
    anyhow::ensure!(
        !names.is_empty(),
        "`cargo metadata` named no default member"
    );
    Ok(names)
}
