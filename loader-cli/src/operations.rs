//! The verbs: install, uninstall, enable/disable, erase-apps, on any
//! transport, with power-cut safety designed in.
//!
//! Every change is checked first (credentials over a header, the board's
//! app flash bounds, digests that do not match), so a refused operation
//! writes nothing; then it is planned as a list of writes, applied in an
//! order that keeps the chain valid after any prefix of them:
//! 0. a padding header over space about to be reused as a whole (a run of
//!    padding images, or the own slot of a fixed-address app replaced in
//!    place: see `fixed_slots`);
//! 1. image bodies (everything after the first 16 bytes) and padding fill:
//!    these land in space no valid header points into yet;
//! 2. the end-of-chain mark after the new last image;
//! 3. base headers (16 bytes, one write each), highest address first, so
//!    the header that links the new images into the chain comes last;
//! 4. headers of replaced apps turned into padding, after their
//!    replacements are linked.
//!
//! With the append placement (the native default) installed images are
//! never rewritten before step 4, so a cut at any write leaves every app
//! that was installed before intact; the one exception, a fixed-address
//! build linked only for its old version's slot, is swapped in by one
//! flash-journal commit on a running kernel (`in_place`) and is not
//! cut-safe offline (`fixed_slots`). On a running kernel the new images start once linked,
//! and one the kernel refuses becomes padding again (`live`). With tockloader's placement an app
//! that tockloader would move is rewritten in place; that is not cut-safe,
//! and the loader says so before it starts.

use crate::board::{Board, SizeConstraint};
use crate::chain::{read_chain, Chain, InstalledApp};
use crate::error::{LoaderError, LoaderResult};
use crate::image::{adjust_for_address, padding_header, set_total_size, NewApp};
use crate::placement::{layout, Build, Layout, Placeable, Slot};
use crate::progress::{Progress, ProgressEvent};
use crate::transport::{LiveOperation, Transport};

/// Largest single write; progress advances per write.
const WRITE_CHUNK: usize = 4096;

/// Where new apps go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Exactly tockloader's layout (byte-identical flash).
    Tockloader,
    /// New images after the chain; installed ones stay where they are.
    Append,
}

/// What to do with an installed app of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replace {
    /// Replace it (tockloader's default).
    Yes,
    /// Install beside it.
    No,
    /// Only replace; do not add apps that are not installed.
    Only,
}

/// One planned write.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Write {
    address: u32,
    bytes: Vec<u8>,
    phase: u8,
    /// On a running kernel: the app this write starts (the base header of
    /// a new image, phase 3) or stops (padding over it, phase 4).
    app: Option<String>,
    /// The progress bar counts it: the bytes of an app being written (new
    /// or moved), or the header that is the whole of an uninstall or a
    /// flag change. Padding images, their 0xFF fill and headers rewritten
    /// to relink the chain are written but not counted, so the total and
    /// the ETA follow the apps the user asked for.
    counted: bool,
}

/// A loader bound to a device and a board.
pub struct Loader<'a> {
    /// The link to the device.
    pub transport: &'a mut dyn Transport,
    /// The board's settings.
    pub board: Board,
    /// Where progress goes.
    pub progress: &'a mut dyn Progress,
}

/// An app in a layout: where it comes from.
enum Entry<'n> {
    Installed(InstalledApp),
    New(&'n NewApp),
}

impl Loader<'_> {
    /// Read the chain.
    pub fn chain(&mut self) -> LoaderResult<Chain> {
        read_chain(
            self.transport,
            self.board.app_address,
            self.board.app_flash_end(),
        )
    }

    fn note(&mut self, text: String) {
        self.progress.event(ProgressEvent::Note(text));
    }

    /// Install apps.
    pub fn install(
        &mut self,
        apps: &[NewApp],
        replace: Replace,
        placement: Placement,
    ) -> LoaderResult<()> {
        if apps.is_empty() {
            return Err(LoaderError::NothingToDo("no apps to install".to_string()));
        }
        for app in apps {
            let candidates = app.candidates.iter();
            if let Some(reason) = candidates
                .filter_map(|c| crate::image::digest_mismatch(&c.bytes))
                .next()
            {
                return Err(LoaderError::Input {
                    path: app.source.clone(),
                    reason: format!("app `{}`: {reason}; nothing was written", app.name),
                });
            }
        }
        let apps: Vec<NewApp> = apps.iter().map(|app| self.constrain_size(app)).collect();
        let chain = self.chain()?;
        let installed: Vec<&InstalledApp> = chain.apps().collect();
        let same_name = |app: &InstalledApp| apps.iter().any(|new| new.name == app.name);
        let replaced: Vec<InstalledApp> = match replace {
            Replace::No => Vec::new(),
            Replace::Yes | Replace::Only => installed
                .iter()
                .filter(|app| same_name(app))
                .map(|app| (*app).clone())
                .collect(),
        };
        let new_apps: Vec<&NewApp> = apps
            .iter()
            .filter(|new| {
                replace != Replace::Only || replaced.iter().any(|old| old.name == new.name)
            })
            .collect();
        if new_apps.is_empty() {
            return Err(LoaderError::NothingToDo(
                "Nothing found to update: none of the apps is installed".to_string(),
            ));
        }
        match placement {
            Placement::Tockloader => {
                let mut entries: Vec<Entry> = Vec::new();
                for app in &installed {
                    match new_apps.iter().find(|new| new.name == app.name) {
                        Some(new) if replace != Replace::No => entries.push(Entry::New(new)),
                        _ => entries.push(Entry::Installed((*app).clone())),
                    }
                }
                for new in &new_apps {
                    let already = entries
                        .iter()
                        .any(|e| matches!(e, Entry::New(n) if n.name == new.name));
                    if !already {
                        entries.push(Entry::New(new));
                    }
                }
                self.relayout(&entries)
            }
            Placement::Append => self.install_appending(&chain, &new_apps, &replaced),
        }
    }

    /// The append placement: position-independent apps into freed space
    /// or after the chain, fixed-address ones where `place_fixed` finds
    /// them a slot; replaced apps become padding once their successors
    /// are linked (or, taken over in their own slot, are stopped first).
    fn install_appending(
        &mut self,
        chain: &Chain,
        new_apps: &[&NewApp],
        replaced: &[InstalledApp],
    ) -> LoaderResult<()> {
        let (fixed, position_independent): (Vec<&NewApp>, Vec<&NewApp>) =
            new_apps.iter().partition(|app| app.is_fixed());
        let (mut writes, rest) = self.fill_holes(chain, &position_independent);
        let entries: Vec<Entry> = rest.iter().map(|new| Entry::New(new)).collect();
        let mut end = None;
        if !entries.is_empty() {
            let (more, appended_end) = self.plan(&entries, chain.end)?;
            writes.extend(more);
            end = Some(appended_end);
        }
        let fixed_plan = self.place_fixed(chain, &fixed, replaced, end.unwrap_or(chain.end))?;
        writes.extend(fixed_plan.writes);
        end = fixed_plan.end.or(end);
        let in_place = |old: &InstalledApp| fixed_plan.in_place.iter().any(|o| &o.old == old);
        for old in replaced.iter().filter(|old| !in_place(old)) {
            writes.push(Write {
                address: old.address,
                bytes: padding_header(old.total_size),
                phase: 4,
                app: Some(old.name.clone()),
                counted: false,
            });
        }
        if self.transport.is_live() && !fixed_plan.in_place.is_empty() {
            // Each slot changes in one commit of the kernel's journal,
            // before the other writes (a refusal changes nothing).
            let copies_from = end.unwrap_or(chain.end).max(chain.end);
            writes = self.replace_in_place_live(&fixed_plan.in_place, writes, copies_from)?;
        }
        self.apply(writes, end, "install")
    }

    /// Put position-independent apps into padding images (holes left by
    /// removed apps) where they fit: first fit, in order. The app's body and
    /// a padding header for what is left of the hole land inside the old
    /// padding's fill; the app's base header, written last, takes the hole
    /// over in one 16-byte write. Returns those writes and the apps left.
    fn fill_holes<'n>(
        &mut self,
        chain: &Chain,
        apps: &[&'n NewApp],
    ) -> (Vec<Write>, Vec<&'n NewApp>) {
        let mut holes: Vec<(u32, u32)> = chain
            .images
            .iter()
            .filter(|image| image.is_padding)
            .map(|image| (image.address, image.total_size))
            .collect();
        let mut writes = Vec::new();
        let mut rest = Vec::new();
        for app in apps {
            let candidate = &app.candidates[0];
            let size = candidate.total_size;
            let fits = |&(address, hole): &(u32, u32)| {
                let aligned = !self.board.align_to_size || address.is_multiple_of(size);
                let room = hole == size || hole >= size + tbf::BASE_HEADER_SIZE as u32;
                aligned && room
            };
            let hole = holes.iter().position(fits);
            let (Some(index), false) = (hole, app.is_fixed()) else {
                rest.push(*app);
                continue;
            };
            let (address, hole_size) = holes[index];
            self.note(format!(
                "{} at {address:#x} ({size} bytes, in freed space)",
                app.name
            ));
            // Fill the whole slot: stale bytes of the removed app must not
            // be read as this app's footers.
            let mut bytes = candidate.bytes.clone();
            bytes.resize(size as usize, 0xFF);
            split_header(&mut writes, address, bytes, Some(&app.name), true);
            if hole_size > size {
                let remainder = hole_size - size;
                writes.push(Write {
                    address: address + size,
                    bytes: padding_header(remainder),
                    phase: 1,
                    app: None,
                    counted: false,
                });
                holes[index] = (address + size, remainder);
            } else {
                holes.remove(index);
            }
        }
        (writes, rest)
    }

    /// tockloader rounds new apps' sizes on Cortex-M (power of two).
    fn constrain_size(&self, app: &NewApp) -> NewApp {
        let mut app = app.clone();
        if self.board.size_constraint == SizeConstraint::PowersOfTwo {
            for candidate in &mut app.candidates {
                let size = candidate.total_size;
                if !size.is_power_of_two() {
                    let rounded = 1u32 << (32 - size.leading_zeros());
                    candidate.total_size = rounded;
                    let header_size = candidate.header_size as usize;
                    if let Some(header) = candidate.bytes.get_mut(..header_size) {
                        set_total_size(header, rounded);
                    }
                }
            }
        }
        app
    }

    /// Lay out `entries` from the app start (tockloader's reshuffle) and
    /// apply.
    fn relayout(&mut self, entries: &[Entry]) -> LoaderResult<()> {
        let (writes, end) = self.plan(entries, self.board.app_address)?;
        self.apply(writes, Some(end), "install")
    }

    fn placeable(entry: &Entry) -> Placeable {
        match entry {
            Entry::Installed(app) => Placeable {
                name: app.name.clone(),
                installed_at: Some(app.address),
                builds: vec![Build {
                    fixed_flash: app.fixed_flash,
                    fixed_ram: app.fixed_ram,
                    total_size: app.total_size,
                    size_before_binary: 0,
                }],
            },
            Entry::New(app) => Placeable {
                name: app.name.clone(),
                installed_at: None,
                builds: app
                    .candidates
                    .iter()
                    .map(|c| Build {
                        fixed_flash: c.fixed_flash,
                        fixed_ram: c.fixed_ram,
                        total_size: c.total_size,
                        size_before_binary: c.size_before_binary,
                    })
                    .collect(),
            },
        }
    }

    /// The writes that realise a layout of `entries` from `start`.
    fn plan(&mut self, entries: &[Entry], start: u32) -> LoaderResult<(Vec<Write>, u32)> {
        let placeables: Vec<Placeable> = entries.iter().map(Self::placeable).collect();
        let Layout { slots, end } = layout(&placeables, &self.board, start)?;
        let mut writes = Vec::new();
        for slot in &slots {
            match *slot {
                Slot::Padding { address, size } => {
                    self.note(format!("padding at {address:#x} ({size} bytes)"));
                    let mut bytes = padding_header(size);
                    bytes.resize(size as usize, 0xFF);
                    split_header(&mut writes, address, bytes, None, false);
                }
                Slot::App {
                    index,
                    build,
                    address,
                    size,
                } => {
                    let entry = &entries[index];
                    let (bytes, starts) = match entry {
                        Entry::New(app) => {
                            self.note(format!("{} at {address:#x} ({size} bytes)", app.name));
                            let bytes = adjust_for_address(&app.candidates[build], address)?;
                            (bytes, Some(app.name.as_str()))
                        }
                        Entry::Installed(app) if app.address == address => {
                            let current = self.transport.read(address, app.header.len())?;
                            if current != app.header {
                                writes.push(Write {
                                    address,
                                    bytes: app.header.clone(),
                                    phase: 3,
                                    app: None,
                                    counted: false,
                                });
                            }
                            continue;
                        }
                        Entry::Installed(app) => {
                            self.note(format!("moving {} to {address:#x}", app.name));
                            let mut bytes =
                                self.transport.read(app.address, app.total_size as usize)?;
                            bytes.splice(..app.header.len(), app.header.iter().copied());
                            (bytes, None)
                        }
                    };
                    // A moved app counts: its bytes are rewritten in full.
                    split_header(&mut writes, address, bytes, starts, true);
                }
            }
        }
        Ok((writes, end))
    }

    /// Apply writes in the cut-safe order, then mark the chain's end.
    fn apply(&mut self, mut writes: Vec<Write>, end: Option<u32>, task: &str) -> LoaderResult<()> {
        let end = end.filter(|end| u64::from(*end) + 8 <= self.board.app_flash_end());
        // Slots taken over in place (0) first; phase 1 ascending; headers
        // (3) descending; replaced apps (4) last.
        writes.sort_by_key(|w| {
            let descending = if w.phase == 3 {
                u32::MAX - w.address
            } else {
                w.address
            };
            (w.phase, descending)
        });
        // Checked before the first write, so a refusal changes nothing.
        for write in &writes {
            self.board
                .check_app_write(write.address, write.bytes.len())?;
        }
        let total: u64 = writes
            .iter()
            .filter(|write| write.counted)
            .map(|write| write.bytes.len() as u64)
            .sum();
        self.progress.event(ProgressEvent::Begin {
            task: task.to_string(),
            total_bytes: total,
        });
        let live = self.transport.is_live();
        let mut end_written = false;
        let mut started = false;
        let mut live_outcome = LiveOutcome::default();
        for write in &writes {
            if let (true, false, Some(end)) = (write.phase != 1, end_written, end) {
                self.transport.mark_chain_end(end)?;
                end_written = true;
            }
            if live && write.phase == 4 && !started {
                live_outcome = self.start_and_stop_live(&writes)?;
                started = true;
            }
            if write.phase == 4 && live_outcome.kept.contains(&write.address) {
                continue;
            }
            // Chunks end on WRITE_CHUNK-aligned addresses, so that no flash
            // page is split between two chunks (and written twice).
            let mut done = 0;
            while done < write.bytes.len() {
                let address = write.address + done as u32;
                let to_boundary = WRITE_CHUNK - address as usize % WRITE_CHUNK;
                let chunk = &write.bytes[done..(done + to_boundary).min(write.bytes.len())];
                self.transport.write(address, chunk)?;
                if write.counted {
                    self.progress.event(ProgressEvent::Advance {
                        bytes: chunk.len() as u64,
                    });
                }
                done += chunk.len();
            }
        }
        if let (false, Some(end)) = (end_written, end) {
            self.transport.mark_chain_end(end)?;
        }
        if live && !started {
            live_outcome = self.start_and_stop_live(&writes)?;
        }
        self.progress.event(ProgressEvent::End);
        self.transport.finish()?;
        match live_outcome.refused {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn find(&mut self, names: &[String]) -> LoaderResult<(Chain, Vec<InstalledApp>)> {
        let chain = self.chain()?;
        let found: Vec<InstalledApp> = chain
            .apps()
            .filter(|app| names.is_empty() || names.contains(&app.name))
            .cloned()
            .collect();
        if found.is_empty() {
            return Err(LoaderError::NoSuchApp {
                names: if names.is_empty() {
                    "(any)".to_string()
                } else {
                    names.join(", ")
                },
                device: self.transport.describe(),
            });
        }
        Ok((chain, found))
    }

    /// Uninstall apps by name: each header becomes a padding header (one
    /// 16-byte write). Sticky apps need `force`.
    pub fn uninstall(&mut self, names: &[String], force: bool) -> LoaderResult<Vec<String>> {
        let (_, found) = self.find(names)?;
        let mut writes = Vec::new();
        let mut removed = Vec::new();
        for app in found {
            if app.sticky && !force {
                self.note(format!(
                    "not removing sticky app {}; pass --force",
                    app.name
                ));
                continue;
            }
            writes.push(Write {
                address: app.address,
                bytes: padding_header(app.total_size),
                phase: 4,
                app: Some(app.name.clone()),
                counted: true,
            });
            removed.push(app.name);
        }
        if writes.is_empty() {
            return Err(LoaderError::NothingToDo(
                "Could not find any apps on the board to uninstall".to_string(),
            ));
        }
        self.apply(writes, None, "uninstall")?;
        Ok(removed)
    }

    /// Erase all apps (sticky ones stay unless `force`): the chain is
    /// ended at the app start, or re-laid out with the sticky apps only.
    /// On a running kernel the apps that go are stopped first (their RAM
    /// freed), so no process outlives its image.
    pub fn erase_apps(&mut self, force: bool) -> LoaderResult<()> {
        let chain = self.chain()?;
        let sticky: Vec<InstalledApp> = chain.apps().filter(|a| a.sticky).cloned().collect();
        if self.transport.is_live() {
            for app in chain.apps().filter(|app| force || !app.sticky) {
                // An app nothing runs from answers OK: nothing to stop.
                self.note(format!("stopping {}", app.name));
                self.transport
                    .live_operation(LiveOperation::Remove(app.address))?;
            }
        }
        if force || sticky.is_empty() {
            self.transport.mark_chain_end(self.board.app_address)?;
            return self.transport.finish();
        }
        let entries: Vec<Entry> = sticky.into_iter().map(Entry::Installed).collect();
        self.relayout(&entries)
    }
}

/// Split an image into its body (phase 1) and base header (phase 3);
/// `starts` names the new app the header links in.
fn split_header(
    writes: &mut Vec<Write>,
    address: u32,
    mut bytes: Vec<u8>,
    starts: Option<&str>,
    counted: bool,
) {
    let body = bytes.split_off(tbf::BASE_HEADER_SIZE.min(bytes.len()));
    if !body.is_empty() {
        writes.push(Write {
            address: address + tbf::BASE_HEADER_SIZE as u32,
            bytes: body,
            phase: 1,
            app: None,
            counted,
        });
    }
    writes.push(Write {
        address,
        bytes,
        phase: 3,
        app: starts.map(str::to_string),
        counted,
    });
}

mod fixed_slots;
mod flags;
mod in_place;
mod live;
mod process_control;
pub mod trust;
use live::LiveOutcome;
#[cfg(test)]
mod fixed_slot_tests;
#[cfg(test)]
mod live_tests;
#[cfg(test)]
mod tests;
