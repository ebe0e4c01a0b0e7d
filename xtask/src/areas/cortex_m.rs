//! The cortex-m area: the Cortex-M kernel on QEMU's mps2-an386 (ARMv7-M
//! MPU, SVC syscalls, SysTick preemption): integration tests in QEMU
//! (`cortex_m/scenarios.rs`), the `cortexm.*` benchmarks
//! (`cortex_m/figures.rs`) and `cargo xtask qemu --board mps2-an386`.
//! The arch and chip crates are also built (and linted) for ARMv6-M.
//! Images are made in `cortex_m/image.rs`.

mod figures;
pub(crate) mod image;
pub(crate) mod scenarios;
mod userspace;

use super::targets::{THUMBV6M, THUMBV7EM};
use super::{Area, DeviceCrate};
use crate::bench::Figures;
use crate::context::Context;
use crate::BoardRun;
use anyhow::{Context as _, Result};

/// The cortex-m area in the registry.
pub const AREA: Area = Area {
    name: "cortex-m",
    about: "Cortex-M kernel on mps2-an386: MPU, SVC, SysTick; integration tests in QEMU",
    tests,
    bench: Some(bench),
    device_crates: &[
        DeviceCrate {
            package: image::BOARD_PACKAGE,
            targets: &[THUMBV7EM],
        },
        DeviceCrate {
            package: image::APPS_PACKAGE,
            targets: &[THUMBV7EM],
        },
        // The ARMv6-M path (Thumb-1 switch and handlers, whole-region MPU)
        // is built and linted here; no QEMU machine runs it with an MPU.
        DeviceCrate {
            package: "arch-cortex-m",
            targets: &[THUMBV7EM, THUMBV6M],
        },
        DeviceCrate {
            package: "chip-mps2",
            targets: &[THUMBV7EM, THUMBV6M],
        },
    ],
};

/// Every mps2-an386 integration test (`cortex-m:NAME` selects by name).
pub fn tests(ctx: &Context) -> Result<()> {
    let mut bench = scenarios::Bench::build(ctx, 0)?;
    scenarios::run_all(&mut bench, ctx.filter.as_deref())
}

/// The `cortexm.*` figures.
pub fn bench(ctx: &Context, figures: &mut Figures) -> Result<()> {
    figures::measure(ctx, figures)
}

/// `cargo xtask qemu --board mps2-an386 [--flash APPS.bin] [--tab APP.tab
/// ...]`: builds the kernel and boots it with the console on this
/// terminal. `--flash` names the app image placed at 0x4_0000 (kept
/// between runs: it is the board's flash); `--tab` writes the given apps
/// into it first (each at its fixed address, in order).
pub fn qemu_command(ctx: &Context, run: &BoardRun) -> Result<i32> {
    let kernel = image::build_kernel(ctx)?;
    let apps = match &run.flash {
        Some(apps) => apps.clone(),
        None => ctx.scratch_dir("qemu")?.join("mps2-an386.apps.bin"),
    };
    if !run.tabs.is_empty() || !apps.exists() {
        let mut tbfs = Vec::new();
        for tab in &run.tabs {
            tbfs.push(tbf_from_tab(ctx, tab)?);
        }
        std::fs::write(&apps, image::app_image(&tbfs)?)
            .with_context(|| format!("writing {}", apps.display()))?;
    }
    println!(
        "booting {} (apps {}); the console is this terminal",
        run.board.name(),
        apps.display()
    );
    let mut command = image::board(&kernel, Some(&apps)).command()?;
    let status = command.status().context("starting QEMU")?;
    status.code().context("QEMU was killed by a signal")
}

/// The TBF in a TAB for mps2: one linked for its app flash if the TAB
/// holds fixed-address builds, else the `cortex-m4` one.
fn tbf_from_tab(ctx: &Context, tab: &std::path::Path) -> Result<Vec<u8>> {
    let name = tab
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("app");
    let directory = ctx.scratch_dir("mps2-tabs")?.join(name);
    if directory.exists() {
        std::fs::remove_dir_all(&directory)?;
    }
    std::fs::create_dir_all(&directory)?;
    let mut tar = std::process::Command::new("tar");
    tar.arg("-xf").arg(tab).arg("-C").arg(&directory);
    crate::cmd::output(&mut tar).with_context(|| format!("unpacking {}", tab.display()))?;
    let mut fallback = None;
    for entry in std::fs::read_dir(&directory)? {
        let path = entry?.path();
        let file = path
            .file_name()
            .and_then(|file| file.to_str())
            .unwrap_or("");
        if !file.ends_with(".tbf") {
            continue;
        }
        let tbf = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        match crate::areas::kernel::image::fixed_tbf_address(&tbf) {
            Ok(address) if (image::APP_FLASH_ADDRESS..image::APP_FLASH_END).contains(&address) => {
                return Ok(tbf)
            }
            Err(_) if file.starts_with("cortex-m4") => fallback = Some(tbf),
            _ => {}
        }
    }
    fallback.with_context(|| {
        format!(
            "{} holds no TBF for mps2-an386 (neither linked for its app flash at {:#x} nor a cortex-m4 build)",
            tab.display(),
            image::APP_FLASH_ADDRESS
        )
    })
}
