//! Counting executed guest instructions with the TCG plugin built by
//! `setup` (`plugin/insn.c`). Figures are deterministic: a run with N
//! iterations minus a run with 0, over N (see [`per_iteration`]).
//!
//! Rules a measured guest must follow (see `plugin/insn.c`):
//! - after its exit store to the SiFive test device, nothing but `wfi`:
//!   QEMU stops the CPU a moment after that store, so any other instruction
//!   there runs in some runs and not in others (`wfi` itself is not counted);
//! - an MMIO access that is not the last instruction of its translation
//!   block counts twice (QEMU re-runs it alone), the same in every run, so
//!   differences between runs stay exact.

use super::QemuBuilder;
use anyhow::{bail, ensure, Context as _, Result};
use std::time::Duration;

const COUNT_PREFIX: &str = "tock-dev-insn-count: ";

/// The count the plugin printed in QEMU's log, if it did.
pub(super) fn parse_count(log: &str) -> Option<u64> {
    log.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix(COUNT_PREFIX))
        .and_then(|count| count.trim().parse().ok())
}

/// Runs QEMU to completion with the plugin loaded and returns the number of
/// guest instructions it executed. The guest must exit with code 0.
pub fn count_instructions(builder: QemuBuilder, timeout: Duration) -> Result<u64> {
    let exit = builder.count_instructions().spawn()?.wait(timeout)?;
    if exit.code != 0 {
        bail!(
            "the guest exited with code {} while counting instructions; serial output:\n{}",
            exit.code,
            exit.output
        );
    }
    exit.instructions
        .context("QEMU exited without the plugin's count: was it started with `-d plugin`?")
}

/// The cost of one iteration: (`with_n` − `with_zero`) / `n`.
pub fn per_iteration(with_n: u64, with_zero: u64, n: u64) -> Result<f64> {
    ensure!(n > 0, "per_iteration needs at least one iteration");
    ensure!(
        with_n >= with_zero,
        "the run with {n} iterations executed fewer instructions ({with_n}) than the run with none ({with_zero})"
    );
    // Counts stay far below 2^52, so the conversion is exact.
    #[allow(clippy::cast_precision_loss, reason = "counts are below 2^52")]
    Ok((with_n - with_zero) as f64 / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_count_line_in_the_log_wins() {
        assert_eq!(
            parse_count("qemu: warning\ntock-dev-insn-count: 13\n"),
            Some(13)
        );
        assert_eq!(parse_count("no count here\n"), None);
    }

    #[test]
    fn per_iteration_is_the_difference_over_n() {
        assert_eq!(per_iteration(3013, 13, 1000).unwrap(), 3.0);
        assert!(per_iteration(10, 20, 1).is_err());
        assert!(per_iteration(10, 0, 0).is_err());
    }
}
