//! The signing figures, counted by the TCG plugin with deterministic time
//! (`-icount`), so they repeat exactly:
//! - `kernel.ecdsa_p256_verify_instructions`: a boot where one app's
//!   signature is verified and fails (signed by an unknown key) minus the
//!   same boot where that app carries no signature (refused before any
//!   verification). Neither app runs, so the difference is one P-256
//!   verification plus decoding the board key (and a few hundred
//!   instructions of a longer console message).
//! - `kernel.boot_4_signed_vs_unsigned_instructions`: a whole run of four
//!   apps signed, on the kernel with the board key, minus the same four
//!   unsigned on the kernel without credential checking. Its first boot
//!   on an erased flash also creates the trust store and writes the four
//!   apps' verified-digest records (one trust-store write).
//! - `kernel.boot_4_signed_with_records_vs_unsigned_instructions`: the
//!   second boot of that same flash (the trust store holds a verified-digest
//!   record for each app: no P-256 verification, each image still hashed)
//!   minus the same unsigned boot.
//! - `kernel.credential_checker_text_bytes`: flash (`.text + .rodata`) of
//!   the kernel with the board key minus the kernel without one (with no
//!   policy the checker is compiled out).

use super::fixture::{Fixture, Key, Policy};
use crate::bench::Figures;
use crate::qemu::count_instructions;
use crate::tools;
use anyhow::{ensure, Result};
use std::path::Path;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);
/// Virtual time advances one nanosecond per instruction: deterministic.
const DETERMINISTIC_TIME: &[&str] = &["-icount", "shift=0,align=off,sleep=off"];
/// The four apps of the boot figure (all end by themselves).
const BOOT_APPS: &[&str] = &["hello_a", "hello_b", "grant_hog", "finisher"];

/// Records the three figures.
pub fn measure(fixture: &mut Fixture, figures: &mut Figures) -> Result<()> {
    let signed_kernel = fixture.kernel(Policy::Signature)?;
    let plain_kernel = fixture.kernel(Policy::Nothing)?;
    verify_instructions(fixture, &signed_kernel, figures)?;
    boot_instructions(fixture, &signed_kernel, &plain_kernel, figures)?;
    checker_text_bytes(&signed_kernel, &plain_kernel, figures)
}

fn count(fixture: &Fixture, test: &str, kernel: &Path, apps: &[Vec<u8>]) -> Result<u64> {
    let flash = fixture.flash(test, kernel, apps)?;
    let builder = Fixture::board(&flash).args(DETERMINISTIC_TIME.iter().copied());
    count_instructions(builder, TIMEOUT)
}

fn difference(with: u64, without: u64) -> Result<f64> {
    ensure!(
        with >= without,
        "the run with the work ({with}) executed fewer instructions than the run without ({without})"
    );
    // Counts stay far below 2^52, so the conversion is exact.
    #[allow(clippy::cast_precision_loss, reason = "counts are below 2^52")]
    Ok((with - without) as f64)
}

fn verify_instructions(fixture: &Fixture, kernel: &Path, figures: &mut Figures) -> Result<()> {
    let finisher = fixture.signed(&fixture.package("finisher", "finisher", 0)?, Key::Board)?;
    let unsigned = fixture.package("hello_a", "hello_a", 1)?;
    let foreign = fixture.signed(&unsigned, Key::Unknown)?;
    let with = count(fixture, "verify-one", kernel, &[foreign, finisher.clone()])?;
    let without = count(fixture, "verify-none", kernel, &[unsigned, finisher])?;
    let instructions = difference(with, without)?;
    // `p256-verify` needs about 3 M; RustCrypto's `p256` took 25.8 M at
    // opt-level z (FACTS.md). Under 1 M is not a whole verification.
    ensure!(
        (1.0e6..60.0e6).contains(&instructions),
        "one verification measured {instructions} instructions: not one P-256 verification"
    );
    figures.record(
        "kernel.ecdsa_p256_verify_instructions",
        instructions,
        "instructions",
    )
}

fn boot_instructions(
    fixture: &Fixture,
    signed_kernel: &Path,
    plain_kernel: &Path,
    figures: &mut Figures,
) -> Result<()> {
    let mut unsigned = Vec::new();
    let mut signed = Vec::new();
    for app in BOOT_APPS {
        let tbf = fixture.package(app, app, 1)?;
        signed.push(fixture.signed(&tbf, Key::Board)?);
        unsigned.push(tbf);
    }
    let with = count(fixture, "boot-4-signed", signed_kernel, &signed)?;
    let without = count(fixture, "boot-4-unsigned", plain_kernel, &unsigned)?;
    figures.record(
        "kernel.boot_4_signed_vs_unsigned_instructions",
        difference(with, without)?,
        "instructions",
    )?;
    // The same flash again: the first boot left a record per app.
    let flash = fixture.path("boot-4-signed.pflash");
    let builder = Fixture::board(&flash).args(DETERMINISTIC_TIME.iter().copied());
    let with_records = count_instructions(builder, TIMEOUT)?;
    let saved = difference(with, with_records)?;
    // Four verifications (about 3 M each) must be gone, not a few.
    ensure!(
        saved > 4.0e6,
        "the boot with verified-digest records saved only {saved} instructions: \
         the records were not used"
    );
    figures.record(
        "kernel.boot_4_signed_with_records_vs_unsigned_instructions",
        difference(with_records, without)?,
        "instructions",
    )
}

fn checker_text_bytes(
    signed_kernel: &Path,
    plain_kernel: &Path,
    figures: &mut Figures,
) -> Result<()> {
    let flash_bytes = |kernel: &Path| -> Result<u64> {
        Ok(tools::section_sizes(kernel)?
            .iter()
            .filter(|(name, _)| name == ".text" || name == ".rodata")
            .map(|(_, bytes)| bytes)
            .sum())
    };
    let (with, without) = (flash_bytes(signed_kernel)?, flash_bytes(plain_kernel)?);
    figures.record(
        "kernel.credential_checker_text_bytes",
        difference(with, without)?,
        "bytes",
    )
}
