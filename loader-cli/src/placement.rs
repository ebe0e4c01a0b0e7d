//! Where apps go: tockloader's rules, reproduced so that the same sequence
//! of commands leaves the same flash, and our append-only rule that never
//! touches an installed image before the new one is complete.
//!
//! tockloader's rules (`_reshuffle_apps` in tockloader 1.19):
//! - fixed-address apps: choose for each app one build whose fixed flash
//!   address lies in `[app_address, app_address + 2 MiB]`, the first
//!   combination (in TAB order, first app varying slowest) with no overlap;
//!   order the apps by that address; then lay them out from the app start,
//!   each at the lowest address `>=` the current one where some build fits
//!   (its header starts at the fixed address rounded down to 1 KiB, or lower
//!   if the header is bigger), with a padding image over any gap.
//! - position-independent apps: in the board's order (as given, or largest
//!   first on Cortex-M), back to back; on Cortex-M each app starts at a
//!   multiple of its size, with padding before it.

use crate::board::{AppOrder, Board};
use crate::error::{LoaderError, LoaderResult};

/// Only builds whose fixed addresses lie this close after the start are
/// considered (tockloader's assumption: no board has more than 2 MiB).
const FIXED_WINDOW: u64 = 0x20_0000;
/// Fixed-address headers start on this alignment when they fit.
const FIXED_HEADER_ALIGNMENT: u32 = 1024;

/// One way to place an app: a build and its needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Build {
    /// Fixed flash address of the binary, if any.
    pub fixed_flash: Option<u32>,
    /// Fixed RAM address, if any.
    pub fixed_ram: Option<u32>,
    /// Bytes in flash.
    pub total_size: u32,
    /// Header plus protected region.
    pub size_before_binary: u32,
}

/// An app to lay out: installed (one build, where it is) or new.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeable {
    /// For messages.
    pub name: String,
    /// Current address, for installed apps.
    pub installed_at: Option<u32>,
    /// Its builds (installed apps have one).
    pub builds: Vec<Build>,
}

/// One slot of the resulting layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// App `index` (into the input) with build `build` at `address`.
    App {
        /// Input index.
        index: usize,
        /// Chosen build.
        build: usize,
        /// Start of its TBF.
        address: u32,
        /// Bytes it takes.
        size: u32,
    },
    /// A padding image.
    Padding {
        /// Start.
        address: u32,
        /// Size.
        size: u32,
    },
}

impl Slot {
    /// Start address.
    pub fn address(&self) -> u32 {
        match self {
            Slot::App { address, .. } | Slot::Padding { address, .. } => *address,
        }
    }
}

/// A layout: slots in flash order and the first byte after them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Slots in address order.
    pub slots: Vec<Slot>,
    /// One past the last slot.
    pub end: u32,
}

fn no_space(reason: String) -> LoaderError {
    LoaderError::NoSpace { reason }
}

pub(crate) fn usable_builds(app: &Placeable, board: &Board) -> Vec<usize> {
    (0..app.builds.len())
        .filter(|&b| {
            let build = &app.builds[b];
            match (app.installed_at, board.app_ram_address, build.fixed_ram) {
                (None, Some(ram), Some(fixed)) => {
                    u64::from(fixed) >= u64::from(ram)
                        && u64::from(fixed) <= u64::from(ram) + FIXED_WINDOW
                }
                _ => true,
            }
        })
        .collect()
}

/// The header address for `build` at or after `address`, if any.
pub(crate) fn fixed_start(app: &Placeable, build: &Build) -> Option<u32> {
    let fixed = build.fixed_flash?;
    let mut wanted = fixed - fixed % FIXED_HEADER_ALIGNMENT;
    if app.installed_at.is_none() && build.size_before_binary > fixed - wanted {
        wanted = fixed.checked_sub(build.size_before_binary)?;
    }
    Some(wanted)
}

/// tockloader's first non-overlapping combination (depth-first in
/// `itertools.product` order, pruned on overlap: the same first answer).
fn first_valid_combination(slices: &[Vec<(u64, u64)>], chosen: &mut Vec<(u64, u64)>) -> bool {
    let Some(options) = slices.get(chosen.len()) else {
        return true;
    };
    for option in options {
        let overlaps = chosen
            .iter()
            .any(|other| option.0 < other.0 + other.1 && other.0 < option.0 + option.1);
        if overlaps {
            continue;
        }
        chosen.push(*option);
        if first_valid_combination(slices, chosen) {
            return true;
        }
        chosen.pop();
    }
    false
}

fn layout_fixed(apps: &[Placeable], board: &Board, start: u32) -> LoaderResult<Layout> {
    let usable: Vec<Vec<usize>> = apps.iter().map(|app| usable_builds(app, board)).collect();
    let slices: Vec<Vec<(u64, u64)>> = apps
        .iter()
        .zip(&usable)
        .map(|(app, builds)| {
            builds
                .iter()
                .filter_map(|&b| {
                    let build = &app.builds[b];
                    let fixed = u64::from(build.fixed_flash?);
                    (fixed >= u64::from(start) && fixed <= u64::from(start) + FIXED_WINDOW)
                        .then_some((fixed, u64::from(build.total_size)))
                })
                .collect()
        })
        .collect();
    let mut chosen = Vec::new();
    if !first_valid_combination(&slices, &mut chosen) {
        return Err(no_space(
            "no combination of the fixed-address builds avoids overlap".to_string(),
        ));
    }
    let mut order: Vec<usize> = (0..apps.len()).collect();
    order.sort_by_key(|&i| chosen[i].0);
    let mut slots = Vec::new();
    let mut address = start;
    for index in order {
        let app = &apps[index];
        let best = usable[index]
            .iter()
            .filter_map(|&b| Some((fixed_start(app, &app.builds[b])?, b)))
            .filter(|(wanted, _)| *wanted >= address)
            .min_by_key(|(wanted, _)| *wanted);
        let Some((wanted, build)) = best else {
            return Err(no_space(format!(
                "app `{}` has no build that can start at or after {address:#x}",
                app.name
            )));
        };
        if wanted > address {
            slots.push(Slot::Padding {
                address,
                size: wanted - address,
            });
        }
        let size = app.builds[build].total_size;
        slots.push(Slot::App {
            index,
            build,
            address: wanted,
            size,
        });
        address = wanted
            .checked_add(size)
            .ok_or_else(|| no_space(format!("app `{}` runs past 4 GiB", app.name)))?;
    }
    Ok(Layout {
        slots,
        end: address,
    })
}

fn layout_position_independent(
    apps: &[Placeable],
    board: &Board,
    start: u32,
) -> LoaderResult<Layout> {
    let mut order: Vec<usize> = (0..apps.len()).collect();
    if board.order == AppOrder::SizeDescending {
        // Stable, like Python's sort(reverse=True).
        order.sort_by_key(|&i| std::cmp::Reverse(apps[i].builds[0].total_size));
    }
    let mut slots = Vec::new();
    let mut address = start;
    for index in order {
        let size = apps[index].builds[0].total_size;
        if board.align_to_size && size > 0 && !address.is_multiple_of(size) {
            let aligned = (address / size + 1) * size;
            slots.push(Slot::Padding {
                address,
                size: aligned - address,
            });
            address = aligned;
        }
        slots.push(Slot::App {
            index,
            build: 0,
            address,
            size,
        });
        address = address
            .checked_add(size)
            .ok_or_else(|| no_space("apps run past 4 GiB".to_string()))?;
    }
    Ok(Layout {
        slots,
        end: address,
    })
}

/// Lay out `apps` from `start` by tockloader's rules.
pub fn layout(apps: &[Placeable], board: &Board, start: u32) -> LoaderResult<Layout> {
    let fixed = apps
        .iter()
        .filter(|app| app.builds.iter().any(|b| b.fixed_flash.is_some()))
        .count();
    let layout = if fixed == 0 {
        layout_position_independent(apps, board, start)?
    } else if fixed == apps.len() {
        layout_fixed(apps, board, start)?
    } else {
        return Err(no_space(
            "fixed-address and position-independent apps cannot be mixed (tockloader cannot either)"
                .to_string(),
        ));
    };
    if u64::from(layout.end) > board.app_flash_end() {
        return Err(no_space(format!(
            "they need flash up to {:#x}, {} bytes more than the {} free from {start:#x}; app flash ends at {:#x}, before {}",
            layout.end,
            u64::from(layout.end) - board.app_flash_end(),
            board.app_flash_end().saturating_sub(u64::from(start)),
            board.app_flash_end(),
            board.beyond_app_flash()
        )));
    }
    Ok(layout)
}

#[cfg(test)]
mod tests;
