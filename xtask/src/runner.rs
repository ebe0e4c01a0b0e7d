//! `cargo xtask test` and `cargo xtask bench`: run the selected areas in
//! sequence, each under a header, then a summary with elapsed times.

use crate::areas::{self, Area};
use crate::bench::Figures;
use crate::context::Context;
use crate::exit::UsageError;
use crate::filter::{self, Selected};
use anyhow::Result;
use std::time::{Duration, Instant};

struct Outcome {
    area: &'static str,
    elapsed: Duration,
    error: Option<String>,
}

/// The areas `filter` selects; a bad filter is a [`UsageError`].
pub fn select(filter: Option<&str>) -> Result<Vec<Selected<'static>>> {
    filter::select(areas::ALL, filter).map_err(|error| error.context(UsageError))
}

fn run_area(area: &'static Area, kind: &str, body: impl FnOnce() -> Result<()>) -> Outcome {
    println!("\n==== {kind} {}: {}", area.name, area.about);
    let start = Instant::now();
    let result = body();
    let elapsed = start.elapsed();
    let error = result.err().map(|error| {
        eprintln!("error in {kind} area {}: {error:#}", area.name);
        format!("{error:#}")
    });
    Outcome {
        area: area.name,
        elapsed,
        error,
    }
}

fn print_summary(kind: &str, outcomes: &[Outcome], total: Duration) -> bool {
    println!("\n==== {kind} summary");
    for outcome in outcomes {
        let verdict = if outcome.error.is_some() {
            "FAILED"
        } else {
            "ok"
        };
        let first_line = outcome
            .error
            .as_deref()
            .and_then(|error| error.lines().next())
            .unwrap_or("");
        println!(
            "{:<14} {:<6} {:>8.1} s  {first_line}",
            outcome.area,
            verdict,
            outcome.elapsed.as_secs_f64()
        );
    }
    let failed = outcomes
        .iter()
        .filter(|outcome| outcome.error.is_some())
        .count();
    println!(
        "{:<14} {:<6} {:>8.1} s  {} of {} areas passed",
        "total",
        if failed == 0 { "ok" } else { "FAILED" },
        total.as_secs_f64(),
        outcomes.len() - failed,
        outcomes.len()
    );
    failed == 0
}

/// Runs the tests of the areas `filter` selects; `Ok(false)` if any failed.
pub fn test(context: &Context, filter: Option<&str>) -> Result<bool> {
    let selected = select(filter)?;
    let start = Instant::now();
    let outcomes: Vec<Outcome> = selected
        .into_iter()
        .map(|Selected { area, filter }| {
            let area_context = context.with_filter(filter);
            run_area(area, "test", || (area.tests)(&area_context))
        })
        .collect();
    Ok(print_summary("test", &outcomes, start.elapsed()))
}

/// Runs the benchmarks of the selected areas, prints every figure and
/// writes them to `<target dir>/bench.json`; `Ok(false)` if any failed.
pub fn bench(context: &Context, filter: Option<&str>) -> Result<bool> {
    let selected = select(filter)?;
    let start = Instant::now();
    let mut figures = Figures::default();
    let mut outcomes = Vec::new();
    for Selected { area, filter } in selected {
        let Some(bench) = area.bench else {
            continue;
        };
        let area_context = context.with_filter(filter);
        outcomes.push(run_area(area, "bench", || {
            bench(&area_context, &mut figures)
        }));
    }
    let path = context.target_dir.join("bench.json");
    // A partial run keeps the other areas' figures from earlier runs.
    figures.write_json(&path, filter.is_some())?;
    println!("\nwrote {} figures to {}", figures.len(), path.display());
    Ok(print_summary("bench", &outcomes, start.elapsed()))
}

/// `cargo xtask test --list`: every area, one per line.
pub fn list() {
    for area in areas::ALL {
        let bench = if area.bench.is_some() {
            "test, bench"
        } else {
            "test"
        };
        println!("{:<14} {:<12} {}", area.name, bench, area.about);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::bail;

    fn passes(_: &Context) -> Result<()> {
        Ok(())
    }

    fn fails(_: &Context) -> Result<()> {
        bail!("first line of the failure\nmore detail")
    }

    const PASSING: Area = Area {
        name: "passing",
        about: "",
        tests: passes,
        bench: None,
        device_crates: &[],
    };
    const FAILING: Area = Area {
        name: "failing",
        about: "",
        tests: fails,
        bench: None,
        device_crates: &[],
    };

    #[test]
    fn one_failing_area_fails_the_run_and_keeps_its_error() {
        let context = Context::from_environment().unwrap();
        let outcomes = [
            run_area(&PASSING, "test", || (PASSING.tests)(&context)),
            run_area(&FAILING, "test", || (FAILING.tests)(&context)),
        ];
        assert!(outcomes[0].error.is_none());
        assert!(outcomes[1]
            .error
            .as_deref()
            .unwrap()
            .contains("more detail"));
        assert!(!print_summary("test", &outcomes, Duration::ZERO));
        assert!(print_summary("test", &outcomes[..1], Duration::ZERO));
    }
}
