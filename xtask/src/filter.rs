//! The area filter of `cargo xtask test [FILTER]` and `cargo xtask bench [FILTER]`.
//!
//! Syntax: a comma-separated list of `AREA` or `AREA:SUBFILTER`. `AREA` is an
//! area's name (case and `-`/`_` do not matter). `SUBFILTER` goes to that
//! area (`Context::filter`), which passes it to `cargo test` or uses it to
//! pick tests. Areas run in registry order, whatever the order in the filter.
//!
//! ```text
//! cargo xtask test                    every area
//! cargo xtask test lint,host          two areas
//! cargo xtask test host:bench         the host area, `cargo test bench`
//! ```

use crate::areas::Area;
use anyhow::{bail, Result};

/// One selected area and the sub-filter given for it.
pub struct Selected<'a> {
    /// The area to run.
    pub area: &'a Area,
    /// What followed `AREA:` in the filter.
    pub filter: Option<String>,
}

fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('_', "-")
}

/// The areas `filter` selects from `areas` (all of them for `None`).
pub fn select<'a>(areas: &'a [Area], filter: Option<&str>) -> Result<Vec<Selected<'a>>> {
    let Some(filter) = filter else {
        return Ok(areas
            .iter()
            .map(|area| Selected { area, filter: None })
            .collect());
    };
    let mut wanted: Vec<(String, Option<String>)> = Vec::new();
    for item in filter.split(',').filter(|item| !item.trim().is_empty()) {
        let (name, sub_filter) = match item.split_once(':') {
            Some((name, sub)) if !sub.trim().is_empty() => (name, Some(sub.trim().to_owned())),
            Some((name, _)) => (name, None),
            None => (item, None),
        };
        let name = normalize(name);
        if !areas.iter().any(|area| normalize(area.name) == name) {
            let names: Vec<&str> = areas.iter().map(|area| area.name).collect();
            bail!(
                "no area named {name:?} in filter {filter:?}; the areas are: {}",
                names.join(", ")
            );
        }
        if wanted.iter().any(|(seen, _)| *seen == name) {
            bail!("area {name:?} is named twice in filter {filter:?}");
        }
        wanted.push((name, sub_filter));
    }
    if wanted.is_empty() {
        bail!("the filter {filter:?} names no area");
    }
    Ok(areas
        .iter()
        .filter_map(|area| {
            let (_, sub_filter) = wanted
                .iter()
                .find(|(name, _)| *name == normalize(area.name))?;
            Some(Selected {
                area,
                filter: sub_filter.clone(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passes(_: &crate::context::Context) -> Result<()> {
        Ok(())
    }

    const AREAS: &[Area] = &[
        Area {
            name: "lint",
            about: "",
            tests: passes,
            bench: None,
            device_crates: &[],
        },
        Area {
            name: "host",
            about: "",
            tests: passes,
            bench: None,
            device_crates: &[],
        },
        Area {
            name: "libtock-rs",
            about: "",
            tests: passes,
            bench: None,
            device_crates: &[],
        },
    ];

    fn names(filter: Option<&str>) -> Vec<(String, Option<String>)> {
        select(AREAS, filter)
            .unwrap()
            .into_iter()
            .map(|selected| (selected.area.name.to_owned(), selected.filter))
            .collect()
    }

    #[test]
    fn no_filter_selects_every_area_in_order() {
        assert_eq!(names(None).len(), 3);
        assert_eq!(names(None)[0].0, "lint");
    }

    #[test]
    fn areas_run_in_registry_order_with_their_sub_filters() {
        assert_eq!(
            names(Some("libtock_rs:alarm,LINT")),
            vec![
                ("lint".to_owned(), None),
                ("libtock-rs".to_owned(), Some("alarm".to_owned()))
            ]
        );
    }

    #[test]
    fn an_empty_sub_filter_means_the_whole_area() {
        assert_eq!(names(Some("host:")), vec![("host".to_owned(), None)]);
    }

    #[test]
    fn unknown_duplicate_or_empty_filters_are_errors_naming_the_areas() {
        let error = select(AREAS, Some("kernal")).err().unwrap().to_string();
        assert!(
            error.contains("kernal") && error.contains("lint, host, libtock-rs"),
            "{error}"
        );
        assert!(select(AREAS, Some("host,host:x")).is_err());
        assert!(select(AREAS, Some(",")).is_err());
    }
}
