//! Benchmark figures: recorded by areas, printed as `name: value unit`, and
//! written to `<target dir>/bench.json` (an object of name to number).
//!
//! When only some areas run, their figures are merged into the existing
//! file, so figures of the other areas from an earlier run stay.

use anyhow::{bail, ensure, Context as _, Result};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The figures of one `cargo xtask bench` run.
#[derive(Default, Debug)]
pub struct Figures {
    values: BTreeMap<String, f64>,
}

impl Figures {
    /// Records one figure and prints it as `name: value unit`.
    ///
    /// `name` follows `area.what_unit` (lowercase letters, digits, `_`,
    /// one or more `.`), e.g. `rv32.null_syscall_instructions`.
    pub fn record(&mut self, name: &str, value: f64, unit: &str) -> Result<()> {
        validate_name(name)?;
        ensure!(
            value.is_finite(),
            "figure {name} is not a finite number: {value}"
        );
        ensure!(
            !self.values.contains_key(name),
            "figure {name} was recorded twice in one run"
        );
        println!("{name}: {} {unit}", format_value(value));
        self.values.insert(name.to_owned(), value);
        Ok(())
    }

    /// A figure recorded earlier in this run.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }

    /// How many figures were recorded.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no figure was recorded.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Writes the figures to `path`. With `keep_others`, figures already in
    /// the file whose names were not recorded this time are kept.
    pub fn write_json(&self, path: &Path, keep_others: bool) -> Result<()> {
        let existing = if keep_others && path.exists() {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        } else {
            String::new()
        };
        let merged = merge_json(&existing, &self.values)
            .with_context(|| format!("{} (delete it to start afresh)", path.display()))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, merged).with_context(|| format!("writing {}", path.display()))
    }
}

fn validate_name(name: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.';
    let well_formed = name.contains('.')
        && name.chars().all(allowed)
        && name.split('.').all(|part| !part.is_empty());
    if !well_formed {
        bail!(
            "figure name {name:?} does not follow `area.what_unit` (lowercase, digits, `_`, `.`)"
        );
    }
    Ok(())
}

/// Integers print without a fraction; other values with up to 4 decimals.
pub fn format_value(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn to_json_number(value: f64) -> Result<Number> {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        // Exact: the guard keeps the value inside i64's range.
        #[allow(clippy::cast_possible_truncation, reason = "integral and below 1e15")]
        return Ok(Number::from(value as i64));
    }
    Number::from_f64(value).context("a figure is not a finite number")
}

/// Merges `figures` into the JSON object `existing` (empty means none) and
/// returns the new file contents, names sorted, one per line.
fn merge_json(existing: &str, figures: &BTreeMap<String, f64>) -> Result<String> {
    let mut object = if existing.trim().is_empty() {
        Map::new()
    } else {
        match serde_json::from_str::<Value>(existing).context("not valid JSON")? {
            Value::Object(object) => object,
            _ => bail!("not a JSON object of figure names to numbers"),
        }
    };
    for (name, value) in &object {
        ensure!(value.is_number(), "entry {name:?} is not a number: {value}");
    }
    for (name, value) in figures {
        object.insert(name.clone(), Value::Number(to_json_number(*value)?));
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(object))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect()
    }

    #[test]
    fn merge_keeps_other_entries_and_replaces_recorded_ones() {
        let existing = r#"{"a.old_bytes": 10, "b.kept_ratio": 0.5}"#;
        let merged = merge_json(
            existing,
            &figures(&[("a.old_bytes", 12.0), ("c.new_instructions", 2613.0)]),
        )
        .unwrap();
        let value: Value = serde_json::from_str(&merged).unwrap();
        assert_eq!(value["a.old_bytes"], 12);
        assert_eq!(value["b.kept_ratio"], 0.5);
        assert_eq!(value["c.new_instructions"], 2613);
        assert_eq!(value.as_object().unwrap().len(), 3);
    }

    #[test]
    fn merge_into_nothing_writes_only_the_new_figures() {
        let merged = merge_json("", &figures(&[("x.y_bytes", 1.0)])).unwrap();
        assert_eq!(merged, "{\n  \"x.y_bytes\": 1\n}\n");
    }

    #[test]
    fn merge_rejects_a_file_that_is_not_an_object_of_numbers() {
        assert!(merge_json("[1, 2]", &BTreeMap::new()).is_err());
        assert!(merge_json("{\"a.b\": \"text\"}", &BTreeMap::new()).is_err());
        assert!(merge_json("{not json", &BTreeMap::new()).is_err());
    }

    #[test]
    fn write_json_replaces_the_file_unless_asked_to_keep_others() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-test-{}", std::process::id()));
        let path = dir.join("bench.json");
        let mut first = Figures::default();
        first.record("a.one_bytes", 1.0, "bytes").unwrap();
        first.write_json(&path, false).unwrap();
        let mut second = Figures::default();
        second.record("b.two_bytes", 2.0, "bytes").unwrap();
        second.write_json(&path, true).unwrap();
        let kept: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(kept.as_object().unwrap().len(), 2);
        second.write_json(&path, false).unwrap();
        let fresh: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(fresh.as_object().unwrap().len(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn names_must_follow_area_dot_what_unit() {
        let mut figures = Figures::default();
        assert!(figures
            .record("rv32.null_syscall_instructions", 250.0, "instructions")
            .is_ok());
        assert!(figures.record("NoDot", 1.0, "x").is_err());
        assert!(figures.record("a..b", 1.0, "x").is_err());
        assert!(figures.record("a.B", 1.0, "x").is_err());
        assert!(
            figures
                .record("rv32.null_syscall_instructions", 1.0, "x")
                .is_err(),
            "recorded twice"
        );
        assert!(figures.record("a.nan_ratio", f64::NAN, "x").is_err());
    }

    #[test]
    fn values_print_as_integers_or_short_decimals() {
        assert_eq!(format_value(2613.0), "2613");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(1.0 / 3.0), "0.3333");
    }
}
