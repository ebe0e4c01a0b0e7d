//! A fixed-address build replacing its old version in the old one's own
//! slot, on a running kernel: atomic through the kernel's flash journal.
//!
//! ```text
//!  slot's new content (lead padding, new image, padding after it)
//!    --write--> past the chain's end (no header links it: invisible)
//!  REPLACE_IN_PLACE(old, new, copy, length)
//!    kernel: checks the copy (one erase block, credential policy), stops
//!    the old process, copies it over the slot in one journal commit,
//!    starts the new image
//! ```
//!
//! A cut before the commit leaves the old version (the copy is never
//! linked), after it the new one; a build the board refuses is refused
//! before the old process stops. A slot spanning two erase blocks is
//! refused by the kernel before anything changes.

use super::fixed_slots::InPlaceSlot;
use super::{Loader, Write, WRITE_CHUNK};
use crate::error::{LoaderError, LoaderResult};
use crate::transport::LiveOperation;

impl Loader<'_> {
    /// Replace each of `slots` through the kernel's journal; returns the
    /// writes of `writes` that do not belong to those slots. Copies go
    /// from the first page boundary past `copies_from` (and its
    /// end-of-chain mark).
    pub(super) fn replace_in_place_live(
        &mut self,
        slots: &[InPlaceSlot],
        writes: Vec<Write>,
        copies_from: u32,
    ) -> LoaderResult<Vec<Write>> {
        let mut rest = writes;
        let mut next_copy = copies_from;
        for slot in slots {
            let start = slot.old.address;
            let (mut inside, outside): (Vec<Write>, Vec<Write>) = rest
                .into_iter()
                .partition(|write| write.address >= start && write.address < slot.end);
            rest = outside;
            inside.sort_by_key(|write| write.phase);
            let mut content = self.transport.read(start, (slot.end - start) as usize)?;
            for write in &inside {
                let offset = (write.address - start) as usize;
                let Some(target) = content.get_mut(offset..offset + write.bytes.len()) else {
                    return Err(LoaderError::Refused(format!(
                        "internal plan error: a write at {:#x} runs past the slot of `{}` ending at {:#x}; nothing was written",
                        write.address, slot.old.name, slot.end
                    )));
                };
                target.copy_from_slice(&write.bytes);
            }
            let source = self.copy_address(next_copy, content.len(), &slot.old.name)?;
            if u64::from(slot.end) > slot.old.end() {
                // The slot grows past the chain's end: nothing stale there
                // may read as a header once the new image is linked.
                self.transport.mark_chain_end(slot.end)?;
            }
            self.note(format!(
                "{} replaces its old build in its own slot at {start:#x} in one flash-journal commit (copy at {source:#x})",
                slot.old.name
            ));
            self.write_chunked(source, &content)?;
            self.transport
                .live_operation(LiveOperation::ReplaceInPlace {
                    old: start,
                    new: slot.new,
                    source,
                    length: content.len() as u32,
                })?;
            next_copy = source + content.len() as u32;
        }
        Ok(rest)
    }

    /// Where a copy of `length` bytes goes: a page past `after` and the
    /// end-of-chain mark there, inside app flash, or why not.
    fn copy_address(&self, after: u32, length: usize, name: &str) -> LoaderResult<u32> {
        let page = self.board.page_size.max(1);
        let unaligned = u64::from(after) + tbf::BASE_HEADER_SIZE as u64;
        let source = unaligned.div_ceil(u64::from(page)) * u64::from(page);
        let end = source + length as u64;
        if end > self.board.app_flash_end() {
            return Err(LoaderError::NoSpace {
                reason: format!(
                    "replacing `{name}` in its own slot needs {length} free bytes after the last app for the new build's copy (from {source:#x}; app flash ends at {:#x}); nothing was written. Uninstall the old app first, then install the new build",
                    self.board.app_flash_end()
                ),
            });
        }
        self.board.check_app_write(source as u32, length)?;
        Ok(source as u32)
    }

    /// Write `bytes` at `address` in chunks that never split a flash page.
    fn write_chunked(&mut self, address: u32, bytes: &[u8]) -> LoaderResult<()> {
        let mut done = 0;
        while done < bytes.len() {
            let at = address + done as u32;
            let to_boundary = WRITE_CHUNK - at as usize % WRITE_CHUNK;
            let chunk = &bytes[done..(done + to_boundary).min(bytes.len())];
            self.transport.write(at, chunk)?;
            done += chunk.len();
        }
        Ok(())
    }
}
