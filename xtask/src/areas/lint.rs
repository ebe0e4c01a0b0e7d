//! The lint area: `cargo fmt --check` over the workspace, clippy with
//! warnings denied over the host crates, and clippy over every device crate
//! declared by an area (`Area::device_crates`) with its own target. A
//! workspace member that is neither a host crate (default member) nor a
//! declared device crate would escape clippy: that is a lint failure too.

use super::Area;
use crate::cmd;
use crate::context::Context;
use anyhow::{bail, Context as _, Result};
use serde_json::Value;
use std::collections::BTreeMap;

/// The lint area in the registry.
pub const AREA: Area = Area {
    name: "lint",
    about: "cargo fmt --check; cargo clippy -D warnings on host and device crates",
    tests,
    bench: None,
    device_crates: &[],
};

/// The device crates of every area, grouped by target (one clippy run each).
fn device_crates_by_target() -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut by_target: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for device_crate in super::device_crates() {
        for target in device_crate.targets {
            let packages = by_target.entry(target).or_default();
            if !packages.contains(&device_crate.package) {
                packages.push(device_crate.package);
            }
        }
    }
    by_target
}

/// The names of the workspace members that are not default members, from
/// `cargo metadata` output.
fn non_default_members(metadata: &str) -> Result<Vec<String>> {
    let metadata: Value = serde_json::from_str(metadata).context("parsing cargo metadata")?;
    let ids = |field: &str| -> Result<Vec<String>> {
        let list = metadata[field]
            .as_array()
            .with_context(|| format!("cargo metadata has no {field} list"))?;
        Ok(list
            .iter()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect())
    };
    let defaults = ids("workspace_default_members")?;
    let packages = metadata["packages"]
        .as_array()
        .context("cargo metadata has no packages")?;
    let mut names = Vec::new();
    for id in ids("workspace_members")? {
        if defaults.contains(&id) {
            continue;
        }
        let package = packages
            .iter()
            .find(|package| package["id"].as_str() == Some(id.as_str()));
        let name = package.and_then(|package| package["name"].as_str());
        names.push(
            name.with_context(|| format!("cargo metadata lacks package {id}"))?
                .to_owned(),
        );
    }
    Ok(names)
}

/// Fails when a workspace member would be linted by nothing.
fn every_member_is_linted(ctx: &Context) -> Result<()> {
    let metadata =
        cmd::output(
            ctx.cargo("metadata")?
                .args(["--format-version", "1", "--no-deps"]),
        )?;
    let declared: Vec<&str> = super::device_crates()
        .map(|device| device.package)
        .collect();
    let unlinted: Vec<String> = non_default_members(&metadata)?
        .into_iter()
        .filter(|name| !declared.contains(&name.as_str()))
        .collect();
    if !unlinted.is_empty() {
        bail!(
            "workspace members linted by nothing: {}. Add each to `device_crates` of its area \
             (xtask/src/areas/<area>.rs) with its targets, or to `default-members` if it builds for the host",
            unlinted.join(", ")
        );
    }
    Ok(())
}

/// Runs every lint, then reports all that failed.
pub fn tests(ctx: &Context) -> Result<()> {
    let mut failures = Vec::new();
    let mut step = |result: Result<()>| {
        if let Err(error) = result {
            eprintln!("{error:#}");
            failures.push(format!("{error:#}"));
        }
    };
    step(every_member_is_linted(ctx));
    step(cmd::run(ctx.cargo("fmt")?.args(["--all", "--", "--check"])));
    step(cmd::run(ctx.cargo("clippy")?.args([
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])));
    for (target, packages) in device_crates_by_target() {
        let mut clippy = ctx.cargo("clippy")?;
        clippy.args(["--target", target]);
        for package in packages {
            clippy.args(["-p", package]);
        }
        step(cmd::run(clippy.args(["--", "-D", "warnings"])));
    }
    if !failures.is_empty() {
        bail!(
            "{} lint step(s) failed: {}",
            failures.len(),
            failures.join("; ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_outside_default_members_are_found_by_name() {
        let metadata = r#"{
            "packages": [
                {"id": "path+file:///w/a#host-crate@0.1.0", "name": "host-crate"},
                {"id": "path+file:///w/b#board@0.1.0", "name": "board"}
            ],
            "workspace_members": ["path+file:///w/a#host-crate@0.1.0", "path+file:///w/b#board@0.1.0"],
            "workspace_default_members": ["path+file:///w/a#host-crate@0.1.0"]
        }"#;
        assert_eq!(
            non_default_members(metadata).unwrap(),
            vec!["board".to_owned()]
        );
        assert!(non_default_members("{}").is_err());
    }
}
