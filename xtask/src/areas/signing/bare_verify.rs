//! The verifier's figures on both architectures, from the bare-metal guest
//! `kernel/p256-verify/bench` (no kernel: the mps2-an386 board has no
//! credential checker and no persistent flash for signed apps, so the
//! kernel figure cannot be measured there):
//! - `cortexm.ecdsa_p256_verify_instructions`: one verification on
//!   mps2-an386 (Cortex-M4);
//! - `rv32.ecdsa_p256_verify_bare_instructions`: the same guest on
//!   qemu-rv32-virt, which checks it against the kernel's figure (the
//!   kernel adds hashing's setup and decoding the board key).
//!
//! Each is a run verifying a valid signature N times minus a run with 0,
//! over N; the guest exits non-zero if any verification fails, which
//! fails the count.

use crate::areas::targets::{RISCV32IMAC, THUMBV7EM};
use crate::bench::Figures;
use crate::cmd;
use crate::context::Context;
use crate::qemu::{count_instructions, per_iteration, Machine, QemuBuilder};
use anyhow::{ensure, Context as _, Result};
use std::path::PathBuf;
use std::time::Duration;

const PACKAGE: &str = "p256-verify-bench";
const ITERATIONS: u32 = 4;
const TIMEOUT: Duration = Duration::from_secs(120);

/// Records both figures.
pub fn measure(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let cortex_m = per_verification(ctx, THUMBV7EM, Machine::Mps2An386)?;
    figures.record(
        "cortexm.ecdsa_p256_verify_instructions",
        cortex_m,
        "instructions",
    )?;
    let risc_v = per_verification(ctx, RISCV32IMAC, Machine::Rv32Virt)?;
    figures.record(
        "rv32.ecdsa_p256_verify_bare_instructions",
        risc_v,
        "instructions",
    )
}

fn per_verification(ctx: &Context, target: &str, machine: Machine) -> Result<f64> {
    let with = count_instructions(
        QemuBuilder::new(machine).kernel(&build(ctx, target, ITERATIONS)?),
        TIMEOUT,
    )?;
    let without = count_instructions(
        QemuBuilder::new(machine).kernel(&build(ctx, target, 0)?),
        TIMEOUT,
    )?;
    let instructions = per_iteration(with, without, u64::from(ITERATIONS))?;
    // Emil Lenngren's assembly needs under 1 M; RustCrypto's `p256` 26 M
    // on rv32 at opt-level z: anything outside is not one verification.
    ensure!(
        (0.5e6..30.0e6).contains(&instructions),
        "one verification on {target} measured {instructions} instructions"
    );
    Ok(instructions)
}

/// Builds the guest verifying `iterations` times and copies it aside (the
/// next build overwrites cargo's output).
fn build(ctx: &Context, target: &str, iterations: u32) -> Result<PathBuf> {
    cmd::run(
        ctx.cargo("build")?
            .args(["--release", "-p", PACKAGE, "--target", target])
            .env("P256_BENCH_ITERATIONS", iterations.to_string()),
    )?;
    let built = ctx.target_dir.join(target).join("release").join(PACKAGE);
    let copy = ctx
        .scratch_dir("p256-verify-bench")?
        .join(format!("{target}-{iterations}.elf"));
    std::fs::copy(&built, &copy)
        .with_context(|| format!("copying {} to {}", built.display(), copy.display()))?;
    Ok(copy)
}
