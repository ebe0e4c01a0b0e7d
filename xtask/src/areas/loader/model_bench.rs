//! `loader.model_steps_survived` and `loader.model_invariant_violations`:
//! the model-based check of app-management sequences
//! (`loader-cli/tests/sequence_model`) run over many seeds against the
//! simulated running kernel, at least `STEPS` steps in all. Violations
//! fail the benchmark after both figures are recorded; each one's shortest
//! reproducing sequence is printed.

use crate::bench::Figures;
use crate::cmd;
use crate::context::Context;
use anyhow::{ensure, Context as _, Result};

/// Steps across seeds (the issue asks for at least 10,000).
const STEPS: &str = "10000";

pub fn measure(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let mut command = ctx.cargo("run")?;
    command.args([
        "-q",
        "-p",
        "loader-cli",
        "--example",
        "model_steps",
        "--",
        "--steps",
        STEPS,
    ]);
    let output = cmd::output(&mut command)?;
    let line = output
        .lines()
        .rev()
        .find(|line| line.starts_with('{'))
        .with_context(|| format!("model_steps printed no summary:\n{output}"))?;
    let summary: serde_json::Value =
        serde_json::from_str(line).with_context(|| format!("model_steps summary: {line}"))?;
    let number = |key: &str| {
        summary[key]
            .as_u64()
            .with_context(|| format!("model_steps summary lacks {key}: {line}"))
    };
    let (steps, violations) = (number("steps_survived")?, number("invariant_violations")?);
    figures.record(
        "loader.model_steps_survived",
        steps as f64,
        &format!("steps (over {} seeds)", number("seeds")?),
    )?;
    figures.record(
        "loader.model_invariant_violations",
        violations as f64,
        "violations (goal 0)",
    )?;
    ensure!(
        violations == 0,
        "the model-based check found {violations} violation(s); rerun `cargo run -p loader-cli --example model_steps` for the shortest sequences"
    );
    Ok(())
}
