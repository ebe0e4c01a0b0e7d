//! Upstream libtock-c on our boards (see the area's doc in `upstream.rs`).
//!
//! ```text
//! build::prepare ─ picolibc as newlib, glue ─▶ make each app (upstream's
//! Makefiles, out of tree) ─▶ TABs ─▶ boots::all() on qemu-rv32-virt, up to
//! four apps per boot, judged by script::run ─▶ keyboard_hid with the HID
//! link (keyboard.rs) ─▶ c_hello on mps2-an386 (mps2.rs)
//! ```
//!
//! A sub-filter picks boots: `libtock-c` (or none) runs every boot, a boot's
//! or an app's name the boots it names; `libtock-rs` is the other half's.
//! Apps no boot runs are listed with their reason in `not_run::NOT_RUN` and
//! printed on every run; every run first checks that each app folder of
//! the snapshot is either built or listed there.

mod boots;
mod build;
mod checks;
mod fault_checks;
mod keyboard;
mod more_boots;
mod mps2;
mod not_run;
mod script;
mod storage_boots;
mod storage_refusal;
mod storage_survives_updates;

use crate::areas::kernel;
use crate::context::Context;
use anyhow::{bail, Context as _, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Builds and runs upstream libtock-c's apps on the emulated boards.
pub fn tests(ctx: &Context) -> Result<()> {
    let filter = ctx.filter.as_deref();
    if filter == Some("libtock-rs") {
        return Ok(());
    }
    let selected: Vec<&script::Boot> = boots::all().filter(|boot| selects(filter, boot)).collect();
    let run_mps2 = selects_mps2(filter);
    let run_keyboard = selects_keyboard(filter);
    let run_refusal = selects_own(filter, "invs_no_permission");
    let run_persistence = selects_own(filter, storage_survives_updates::NAME);
    let own_runs = run_keyboard || run_refusal || run_persistence;
    if selected.is_empty() && !run_mps2 && !own_runs {
        println!("upstream libtock-c: no boot or app matches {filter:?}");
        return Ok(());
    }
    for (app, reason) in not_run::NOT_RUN {
        println!("upstream libtock-c: {app}: not run: {reason}");
    }
    let workshop = build::prepare(ctx)?;
    not_run::check_every_app_is_accounted_for(workshop.upstream())?;
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut tabs = BTreeMap::new();
    for app in build::APPS {
        let needed = selected.iter().any(|boot| boot.apps.contains(&app.name))
            || (boots::OWN_RUNNER.contains(&app.name) && selects_own(filter, app.name));
        if !needed {
            continue;
        }
        match workshop.build(app) {
            Ok(tab) => {
                tabs.insert(app.name, tab);
            }
            Err(error) => record(&mut failures, &format!("build {}", app.name), Err(error)),
        }
    }
    println!(
        "upstream libtock-c: built {} apps in {:.0?}",
        tabs.len(),
        started.elapsed()
    );
    if !selected.is_empty() || own_runs {
        let kernel = kernel::image::build_kernel(ctx)?;
        for boot in selected {
            let result = run_boot(ctx, &kernel, &tabs, boot);
            record(&mut failures, &format!("boot {}", boot.name), result);
        }
        if let Some(tab) = tabs.get("keyboard_hid").filter(|_| run_keyboard) {
            let result = keyboard::run(ctx, &kernel, tab);
            record(&mut failures, "keyboard_hid over the HID link", result);
        }
        if run_persistence {
            let result = storage_survives_updates::run(ctx, &workshop, &kernel);
            record(
                &mut failures,
                "isolated storage survives a reboot and a live update, and stays isolated",
                result,
            );
        }
        // Last: it leaves the default kernel built again, not `kernel`.
        if let Some(tab) = tabs.get("invs_no_permission").filter(|_| run_refusal) {
            let result = storage_refusal::run(ctx, tab);
            record(&mut failures, "invs_no_permission signed, refused", result);
        }
    }
    if run_mps2 {
        let result = mps2::c_hello(ctx, &workshop);
        record(&mut failures, "c_hello on mps2-an386", result);
    }
    if !failures.is_empty() {
        bail!(
            "{} upstream libtock-c check(s) failed:\n- {}",
            failures.len(),
            failures.join("\n- ")
        );
    }
    Ok(())
}

/// Whether `filter` selects `boot`: no filter or `libtock-c` selects all,
/// otherwise the boot's name or one of its apps.
fn selects(filter: Option<&str>, boot: &script::Boot) -> bool {
    match filter {
        None | Some("libtock-c") => true,
        Some(name) => boot.name == name || boot.apps.contains(&name),
    }
}

/// Whether `filter` selects keyboard_hid's own run.
fn selects_keyboard(filter: Option<&str>) -> bool {
    selects_own(filter, "keyboard_hid")
}

/// Whether `filter` selects the own run of `app` (`boots::OWN_RUNNER`).
fn selects_own(filter: Option<&str>, app: &str) -> bool {
    filter.is_none() || filter == Some("libtock-c") || filter == Some(app)
}

/// Whether `filter` selects the mps2-an386 check (c_hello alone).
fn selects_mps2(filter: Option<&str>) -> bool {
    matches!(filter, None | Some("libtock-c" | "c_hello" | "mps2-an386"))
}

fn record(failures: &mut Vec<String>, what: &str, result: Result<()>) {
    match result {
        Ok(()) => println!("upstream libtock-c: {what} ... ok"),
        Err(error) => {
            println!("upstream libtock-c: {what} ... FAILED\n{error:#}");
            failures.push(format!("{what}: {error:#}"));
        }
    }
}

/// Writes the boot's apps (slot order) into a fresh flash file with the
/// kernel, boots qemu-rv32-virt and judges its console.
fn run_boot(
    ctx: &Context,
    kernel: &Path,
    tabs: &BTreeMap<&str, PathBuf>,
    boot: &script::Boot,
) -> Result<()> {
    let apps = boot
        .apps
        .iter()
        .map(|app| {
            tabs.get(app)
                .cloned()
                .with_context(|| format!("{app} did not build"))
        })
        .collect::<Result<Vec<_>>>()?;
    let flash = ctx
        .scratch_dir("upstream-libtock-c")?
        .join(format!("{}.pflash", boot.name));
    if flash.exists() {
        std::fs::remove_file(&flash).with_context(|| format!("removing {}", flash.display()))?;
    }
    let started = Instant::now();
    let mut board = kernel::board_with_tabs(ctx, kernel, &flash, &apps)?;
    if boots::VIRTUAL_TIME.contains(&boot.name) {
        board = board.args(boots::VIRTUAL_TIME_ARGUMENTS.iter().copied());
    }
    let mut qemu = board.spawn()?;
    let result = script::run(&mut qemu, boot);
    println!(
        "upstream libtock-c: boot {} ran {:.1?}",
        boot.name,
        started.elapsed()
    );
    result
}
