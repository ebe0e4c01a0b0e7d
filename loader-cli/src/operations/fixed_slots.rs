//! Fixed-address apps with the append placement: each new build goes
//! where it moves no other app, in this order of preference:
//! 1. inside a run of padding images (space freed by removed or replaced
//!    apps; the last run may grow to the end of app flash): a run of
//!    several images first becomes one padding image (one 16-byte header
//!    write), then the body lands in its fill and the header comes last,
//!    so a cut leaves the old set of apps;
//! 2. after the chain's end (the old version, if any, becomes padding only
//!    once the new one is linked);
//! 3. in the slot of the app it replaces, when no other build fits. On a
//!    running kernel the slot's new content is written past the chain's
//!    end and the kernel swaps it in with one flash-journal commit
//!    (`in_place`): a cut leaves the old version or the new one. Offline
//!    (a flash file, the bootloader) the old header becomes padding first
//!    (one 16-byte write), then the new image is written there, header
//!    last: a cut in between leaves no version of that app (never a
//!    damaged one, never both); the other apps are untouched.

use super::{split_header, Loader, Write};
use crate::chain::{Chain, InstalledApp};
use crate::error::{LoaderError, LoaderResult};
use crate::image::{adjust_for_address, has_credentials, padding_header, Candidate, NewApp};
use crate::placement::{fixed_start, usable_builds};

/// Where the chosen build goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Region {
    /// Inside a run of padding images (`index` in the list of holes).
    Padding { index: usize, hole: Hole },
    /// After the chain, from `address` to the end of app flash.
    AfterChain { address: u32 },
    /// In the slot of the replaced app (`index` into the replaced list),
    /// which starts at `address`.
    Replaced { index: usize, address: u32 },
}

/// The writes that place the fixed-address apps, and what they imply.
#[derive(Debug, Default)]
pub(super) struct FixedPlan {
    pub(super) writes: Vec<Write>,
    /// The chain's new end, when apps were appended.
    pub(super) end: Option<u32>,
    /// Replaced apps whose own slot the new build takes (not turned into
    /// padding afterwards).
    pub(super) in_place: Vec<InPlaceSlot>,
}

/// An old app's slot that a new build takes over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct InPlaceSlot {
    /// The old app.
    pub(super) old: InstalledApp,
    /// The new image's header.
    pub(super) new: u32,
    /// Where the slot's changed bytes end: the new image's end, or the
    /// padding header after it.
    pub(super) end: u32,
}

/// Padding from the end of a placed build to `region_end`, inside space
/// the chain does not reach yet (phase 1).
fn pad_after(plan: &mut FixedPlan, end: u32, region_end: u32) {
    if region_end > end {
        plan.writes.push(Write {
            address: end,
            bytes: padding_header(region_end - end),
            phase: 1,
            app: None,
            counted: false,
        });
    }
}

/// Bytes a gap must have to hold a padding image (or be none at all).
fn gap_ok(gap: u32) -> bool {
    gap == 0 || gap >= tbf::BASE_HEADER_SIZE as u32
}

/// Freed space: a run of padding images back to back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hole {
    /// The first padding image's header.
    address: u32,
    /// Bytes in the whole run.
    size: u32,
    /// Padding images in the run.
    images: usize,
    /// The run ends the chain: a build may go past it, up to the end of
    /// app flash.
    last: bool,
}

impl Hole {
    /// The runs of padding images in `chain`.
    fn runs(chain: &Chain) -> Vec<Hole> {
        let mut holes: Vec<Hole> = Vec::new();
        for image in &chain.images {
            let joins = holes
                .last()
                .is_some_and(|hole| hole.address + hole.size == image.address);
            match (image.is_padding, joins) {
                (true, true) => {
                    let hole = holes.last_mut().expect("joins only after a hole");
                    hole.size += image.total_size;
                    hole.images += 1;
                }
                (true, false) => holes.push(Hole {
                    address: image.address,
                    size: image.total_size,
                    images: 1,
                    last: false,
                }),
                (false, _) => {
                    // An app between holes: the next run starts afresh.
                    holes.push(Hole {
                        address: image.address,
                        size: 0,
                        images: 0,
                        last: false,
                    });
                }
            }
        }
        holes.retain(|hole| hole.images > 0);
        if let Some(hole) = holes.last_mut() {
            hole.last = hole.address + hole.size == chain.end;
        }
        holes
    }
}

/// Where new fixed-address builds may still go during one install.
struct FreeSpace<'c> {
    /// Runs of padding images.
    holes: Vec<Hole>,
    /// Where appended images start.
    cursor: u32,
    /// The end of app flash.
    flash_end: u32,
    /// The chain as read.
    chain: &'c Chain,
}

/// One build's header address and size: (build index, header, size).
type Start = (usize, u32, u32);

/// Does `size` bytes at `wanted` fit in `[start, end)`, leaving gaps that
/// are none or hold a padding image?
fn fits(start: u32, end: u32, wanted: u32, size: u32) -> bool {
    let ends = u64::from(wanted) + u64::from(size);
    wanted >= start
        && ends <= u64::from(end)
        && gap_ok(wanted - start)
        && gap_ok((u64::from(end) - ends) as u32)
}

impl FreeSpace<'_> {
    /// The preferred region for one of `starts`: a hole, after the chain,
    /// or the own slot of the app it replaces (in `replaced`).
    fn choose(
        &self,
        name: &str,
        starts: &[Start],
        replaced: &[InstalledApp],
    ) -> Option<(Start, Region)> {
        let in_hole = self.holes.iter().enumerate().find_map(|(index, hole)| {
            let end = match hole.last {
                true => self.flash_end,
                false => hole.address + hole.size,
            };
            let start = starts
                .iter()
                .find(|&&(_, wanted, length)| fits(hole.address, end, wanted, length))?;
            Some((*start, Region::Padding { index, hole: *hole }))
        });
        let after_chain = || {
            starts
                .iter()
                .filter(|&&(_, wanted, length)| {
                    wanted >= self.cursor
                        && u64::from(wanted) + u64::from(length) <= u64::from(self.flash_end)
                })
                .min_by_key(|&&(_, wanted, _)| wanted)
                .map(|start| {
                    (
                        *start,
                        Region::AfterChain {
                            address: self.cursor,
                        },
                    )
                })
        };
        let own_slot = || {
            replaced.iter().enumerate().find_map(|(index, old)| {
                let last = old.end() == u64::from(self.chain.end);
                let end = if last {
                    self.flash_end
                } else {
                    old.end() as u32
                };
                let start = starts
                    .iter()
                    .find(|&&(_, wanted, length)| fits(old.address, end, wanted, length))?;
                let region = Region::Replaced {
                    index,
                    address: old.address,
                };
                (old.name == name).then_some((*start, region))
            })
        };
        in_hole.or_else(after_chain).or_else(own_slot)
    }
}

impl Loader<'_> {
    /// Place `apps` (fixed-address ones) without moving installed apps.
    pub(super) fn place_fixed(
        &mut self,
        chain: &Chain,
        apps: &[&NewApp],
        replaced: &[InstalledApp],
        append_from: u32,
    ) -> LoaderResult<FixedPlan> {
        let mut plan = FixedPlan::default();
        let mut free = FreeSpace {
            holes: Hole::runs(chain),
            cursor: append_from,
            flash_end: self.board.app_flash_end().min(u64::from(u32::MAX)) as u32,
            chain,
        };
        // Lowest linked address first (tockloader orders them so too):
        // placing a higher one first would put the cursor past the others.
        let mut apps = apps.to_vec();
        apps.sort_by_key(|app| {
            let placeable = Self::placeable(&super::Entry::New(app));
            let builds = placeable.builds.iter();
            builds
                .filter_map(|build| fixed_start(&placeable, build))
                .min()
        });
        for app in apps {
            let placeable = Self::placeable(&super::Entry::New(app));
            let starts: Vec<Start> = usable_builds(&placeable, &self.board)
                .into_iter()
                .filter_map(|build| {
                    let wanted = fixed_start(&placeable, &placeable.builds[build])?;
                    let size = placeable.builds[build].total_size;
                    (wanted >= self.board.app_address).then_some((build, wanted, size))
                })
                .collect();
            let Some(((build, wanted, size), region)) = free.choose(&app.name, &starts, replaced)
            else {
                return Err(self.no_fixed_slot(app, &starts, free.cursor, free.flash_end));
            };
            if let Region::Replaced { index, .. } = region {
                self.check_in_place(&replaced[index], &app.candidates[build])?;
            }
            let mut bytes = adjust_for_address(&app.candidates[build], wanted)?;
            bytes.resize(size as usize, 0xFF);
            self.note(format!("{} at {wanted:#x} ({size} bytes)", app.name));
            split_header(&mut plan.writes, wanted, bytes, Some(&app.name), true);
            self.take_region(
                &mut plan,
                &mut free,
                region,
                (wanted, wanted + size),
                replaced,
            );
        }
        Ok(plan)
    }

    /// The writes around a build placed at `[wanted, end)` in `region`.
    fn take_region(
        &mut self,
        plan: &mut FixedPlan,
        free: &mut FreeSpace,
        region: Region,
        (wanted, end): (u32, u32),
        replaced: &[InstalledApp],
    ) {
        let lead = |address: u32| Write {
            address,
            bytes: padding_header(wanted - address),
            phase: 3,
            app: None,
            counted: false,
        };
        match region {
            Region::Padding { index, hole } => {
                let run_end = hole.address + hole.size;
                if hole.images > 1 || end > run_end {
                    // First write: one padding image over the whole run
                    // (and what the build takes past it), so the headers
                    // inside it may be overwritten by the body.
                    plan.writes.push(Write {
                        address: hole.address,
                        bytes: padding_header(end.max(run_end) - hole.address),
                        phase: 0,
                        app: None,
                        counted: false,
                    });
                }
                if wanted > hole.address {
                    // Rewritten last: this header links the app in.
                    plan.writes.push(lead(hole.address));
                }
                pad_after(plan, end, run_end);
                if end > run_end {
                    plan.end = Some(end);
                    free.cursor = free.cursor.max(end);
                }
                free.holes.remove(index);
            }
            Region::AfterChain { address } => {
                if wanted > address {
                    let mut padding = padding_header(wanted - address);
                    padding.resize((wanted - address) as usize, 0xFF);
                    split_header(&mut plan.writes, address, padding, None, false);
                }
                free.cursor = end;
                plan.end = Some(end);
            }
            Region::Replaced { index, address } => {
                let old = &replaced[index];
                self.note(format!(
                    "{} replaces the old build in its own slot at {:#x}",
                    old.name, old.address
                ));
                // First write: the old app leaves the chain as one padding
                // image covering both its slot and the new image.
                plan.writes.push(Write {
                    address,
                    bytes: padding_header(end.max(old.end() as u32) - address),
                    phase: 0,
                    app: None,
                    counted: false,
                });
                if wanted > address {
                    plan.writes.push(lead(address));
                }
                pad_after(plan, end, old.end() as u32);
                let changed_end = match u64::from(end) < old.end() {
                    true => end + tbf::BASE_HEADER_SIZE as u32,
                    false => end,
                };
                if u64::from(end) > old.end() {
                    plan.end = Some(end);
                    free.cursor = free.cursor.max(end);
                }
                plan.in_place.push(InPlaceSlot {
                    old: old.clone(),
                    new: wanted,
                    end: changed_end,
                });
            }
        }
    }

    /// A build about to take over the slot of `old` (stopped and
    /// overwritten before the board decides on the new one): refused when
    /// `old` carries a credential and the new build none, since a board
    /// that runs only signed apps would then be left with neither.
    fn check_in_place(&mut self, old: &InstalledApp, new: &Candidate) -> LoaderResult<()> {
        let image = self.transport.read(old.address, old.total_size as usize)?;
        let old_signed = tbf::parse(&image).is_ok_and(|tbf| has_credentials(&tbf));
        if old_signed && !new.signed {
            return Err(LoaderError::Refused(format!(
                "the new build of `{}` is linked only for the slot of the installed, signed one at {:#x} and is not signed: a board that runs only signed apps would be left with neither, so nothing was changed. Sign the new build, or uninstall the old one first",
                old.name, old.address
            )));
        }
        Ok(())
    }

    /// Why no build of `app` has a place: linked outside app flash, or no
    /// room where its builds are linked.
    fn no_fixed_slot(
        &self,
        app: &NewApp,
        starts: &[(usize, u32, u32)],
        cursor: u32,
        flash_end: u32,
    ) -> LoaderError {
        let linked: Vec<String> = app
            .candidates
            .iter()
            .filter_map(|candidate| Some(format!("{:#x}", candidate.fixed_flash?)))
            .collect();
        let inside = starts
            .iter()
            .any(|&(_, wanted, size)| u64::from(wanted) + u64::from(size) <= u64::from(flash_end));
        if !inside {
            return LoaderError::LinkedOutsideAppFlash {
                name: app.name.clone(),
                linked: linked.join(", "),
                start: self.board.app_address,
                end: u64::from(flash_end),
            };
        }
        LoaderError::NoSpace {
            reason: format!(
                "every address `{}` is linked for ({}) is taken by another app, and {} bytes are free after the last app (from {cursor:#x} to {flash_end:#x})",
                app.name,
                linked.join(", "),
                flash_end.saturating_sub(cursor)
            ),
        }
    }
}
