//! The host area: `cargo test` over the workspace's default members (the
//! crates that build for the host), every test binary run even when one
//! fails. A sub-filter (`host:NAME`) is passed to `cargo test` as the
//! test-name filter.

use super::Area;
use crate::cmd;
use crate::context::Context;
use anyhow::Result;

/// The host area in the registry.
pub const AREA: Area = Area {
    name: "host",
    about: "cargo test for every host crate (unit, property and integration tests)",
    tests,
    bench: None,
    device_crates: &[],
};

/// `cargo test --no-fail-fast [FILTER]`.
pub fn tests(ctx: &Context) -> Result<()> {
    let mut cargo = ctx.cargo("test")?;
    cargo.arg("--no-fail-fast");
    if let Some(filter) = &ctx.filter {
        cargo.arg(filter);
    }
    cmd::run(&mut cargo)
}
