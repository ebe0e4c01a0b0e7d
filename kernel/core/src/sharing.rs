//! Buffers one process shares with another through the memory protection,
//! as upstream Tock's IPC does: when a client notifies a service, the
//! service may read and write, in place, the buffer the client allowed for
//! it. This table records who shares what; the kernel loop turns it into
//! extra PMP/MPU regions of the receiving process
//! ([`crate::platform::MemoryProtection::set_shared_regions`]).
//!
//! ```text
//!  client RAM                                  service's regions
//!  | stack, data | shared buffer | heap |  ->  flash (R-X), own RAM (RW),
//!                 ^ allowed by the client       + exactly the shared buffer (RW)
//!                   for the service
//! ```
//!
//! Invariants, each enforced here or where named:
//! - Only trusted code adds an entry: [`crate::grant::Grant::share_read_write_buffer`]
//!   takes a [`crate::capability::MemorySharingCapability`], and maps only
//!   a buffer the owner allowed (so it consented), non-empty, inside the
//!   owner's RAM below its break (never grant memory: the allow floor keeps
//!   the break above it), and with both ends on the protection's granule,
//!   so the hardware maps exactly those bytes and never a neighbour's.
//! - An entry lives no longer than the owner's allow and both incarnations:
//!   re-allowing or un-allowing that buffer ([`SharedBuffers::revoke_buffer`],
//!   from the allow system call) and any reset of either process's slot
//!   (exit, fault, restart, termination, unloading:
//!   [`SharedBuffers::revoke_process`], from [`crate::kernel::Kernel`])
//!   remove it at once.
//! - A change marks the receiving process stale; the kernel loop rewrites
//!   the regions of every marked process before it switches to any
//!   process, and again after any system call that marked one, so a
//!   removed buffer is never reachable by process code again (the kernel
//!   itself runs in machine mode or privileged, where the regions do not
//!   apply).

use core::cell::Cell;

use kernel_abi::ErrorCode;

use crate::platform::Region;
use crate::process::ProcessId;

/// Shared buffers the kernel tracks at once, for all processes together.
pub const MAX_SHARED_BUFFERS: usize = 4;
/// Shared buffers one process may be given at once (extra regions in its
/// PMP/MPU configuration).
pub const MAX_SHARED_PER_PROCESS: usize = 2;
/// Process slots the stale mask can name.
const MAX_SLOTS: usize = u32::BITS as usize;

/// One buffer `owner` shares with `peer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedBuffer {
    /// The process whose memory it is (the IPC client).
    pub owner: ProcessId,
    /// The owner's grant the buffer was allowed to.
    pub grant: u8,
    /// The read-write allow number within that grant.
    pub buffer: u8,
    /// The process that gains access (the IPC service).
    pub peer: ProcessId,
    /// The bytes, exactly as allowed.
    pub region: Region,
}

/// The regions shared with one process, with the table entries they come
/// from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SharedRegions {
    regions: [Region; MAX_SHARED_PER_PROCESS],
    entries: [usize; MAX_SHARED_PER_PROCESS],
    count: usize,
}

impl SharedRegions {
    /// The regions, in table order.
    pub fn regions(&self) -> &[Region] {
        &self.regions[..self.count]
    }

    /// The table entry of region `position`.
    pub(crate) fn entry(&self, position: usize) -> Option<usize> {
        self.entries[..self.count].get(position).copied()
    }
}

/// Every shared buffer, and which processes need their regions rewritten.
pub struct SharedBuffers {
    entries: [Cell<Option<SharedBuffer>>; MAX_SHARED_BUFFERS],
    /// Bit `n`: slot `n`'s shared regions changed since they were written.
    stale: Cell<u32>,
    /// Both ends of a shared buffer must be multiples of this (the memory
    /// protection's granule); 0 until the kernel loop knows the chip.
    granule: Cell<usize>,
}

impl Default for SharedBuffers {
    fn default() -> Self {
        Self::new()
    }
}

impl SharedBuffers {
    /// An empty table; sharing is refused until [`Self::set_granule`].
    pub const fn new() -> Self {
        SharedBuffers {
            entries: [const { Cell::new(None) }; MAX_SHARED_BUFFERS],
            stale: Cell::new(0),
            granule: Cell::new(0),
        }
    }

    /// The granule of the memory protection (its smallest exact region).
    pub(crate) fn set_granule(&self, granule: usize) {
        self.granule.set(granule);
    }

    fn mark_stale(&self, index: usize) {
        if index < MAX_SLOTS {
            self.stale.set(self.stale.get() | 1 << index);
        }
    }

    /// Record that `shared.owner` shares `shared.region` with
    /// `shared.peer` (callers have checked the owner allowed it). Sharing
    /// the same buffer again is a no-op. Fails with INVAL if the hardware
    /// cannot map exactly those bytes, NOMEM if the table or the peer's
    /// share is full, NOSUPPORT before the chip is known.
    pub(crate) fn share(&self, shared: SharedBuffer) -> Result<(), ErrorCode> {
        let granule = self.granule.get();
        if granule == 0 {
            return Err(ErrorCode::NoSupport);
        }
        let region = shared.region;
        let exact = region.size != 0
            && region.start.is_multiple_of(granule)
            && region.size.is_multiple_of(granule)
            && region.start.checked_add(region.size).is_some();
        if !exact || shared.peer.index >= MAX_SLOTS || shared.owner.index == shared.peer.index {
            return Err(ErrorCode::Inval);
        }
        if self.iter().any(|(_, existing)| existing == shared) {
            return Ok(());
        }
        let given = self
            .iter()
            .filter(|(_, existing)| existing.peer.index == shared.peer.index)
            .count();
        let free = self.entries.iter().find(|entry| entry.get().is_none());
        match free {
            Some(entry) if given < MAX_SHARED_PER_PROCESS => {
                entry.set(Some(shared));
                self.mark_stale(shared.peer.index);
                Ok(())
            }
            _ => Err(ErrorCode::NoMem),
        }
    }

    fn remove_where(&self, condition: impl Fn(&SharedBuffer) -> bool) {
        for entry in &self.entries {
            if let Some(shared) = entry.get().filter(|shared| condition(shared)) {
                entry.set(None);
                self.mark_stale(shared.peer.index);
            }
        }
    }

    /// The owner in slot `owner_index` re-allowed (or un-allowed) buffer
    /// `buffer` of grant `grant`: nobody may reach the old one any more.
    pub(crate) fn revoke_buffer(&self, owner_index: usize, grant: usize, buffer: usize) {
        self.remove_where(|shared| {
            shared.owner.index == owner_index
                && usize::from(shared.grant) == grant
                && usize::from(shared.buffer) == buffer
        });
    }

    /// Slot `index` is reset (exit, fault, restart, termination): its
    /// buffers leave every peer, and buffers shared with it are dropped.
    pub(crate) fn revoke_process(&self, index: usize) {
        self.remove_where(|shared| shared.owner.index == index || shared.peer.index == index);
        self.mark_stale(index);
    }

    /// Drop table entry `entry` (its peer becomes stale).
    pub(crate) fn revoke_entry(&self, entry: usize) {
        if let Some(shared) = self.entries.get(entry).and_then(Cell::take) {
            self.mark_stale(shared.peer.index);
        }
    }

    /// True if some process's regions must be rewritten.
    #[inline(always)] // reason: checked after every system call, measured
    pub fn any_stale(&self) -> bool {
        self.stale.get() != 0
    }

    /// Clear slot `index`'s stale mark; true if it was set.
    pub(crate) fn take_stale(&self, index: usize) -> bool {
        let stale = self.stale.get();
        let bit = if index < MAX_SLOTS { 1 << index } else { 0 };
        self.stale.set(stale & !bit);
        stale & bit != 0
    }

    /// Every shared buffer, with its table entry.
    pub fn iter(&self) -> impl Iterator<Item = (usize, SharedBuffer)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(entry, shared)| shared.get().map(|shared| (entry, shared)))
    }

    /// The regions shared with the process in slot `index`.
    pub fn regions_of(&self, index: usize) -> SharedRegions {
        let mut regions = SharedRegions::default();
        for (entry, shared) in self.iter().filter(|(_, s)| s.peer.index == index) {
            if regions.count == MAX_SHARED_PER_PROCESS {
                break;
            }
            regions.regions[regions.count] = shared.region;
            regions.entries[regions.count] = entry;
            regions.count += 1;
        }
        regions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(index: usize, identifier: u32) -> ProcessId {
        ProcessId { index, identifier }
    }

    fn buffer(owner: usize, peer: usize, start: usize) -> SharedBuffer {
        SharedBuffer {
            owner: id(owner, owner as u32 + 10),
            grant: 3,
            buffer: peer as u8,
            peer: id(peer, peer as u32 + 10),
            region: Region::new(start, 64),
        }
    }

    fn table() -> SharedBuffers {
        let table = SharedBuffers::new();
        table.set_granule(32);
        table
    }

    #[test]
    fn sharing_records_exactly_the_buffer_and_marks_the_peer_stale() {
        let table = table();
        table.share(buffer(0, 2, 0x8000_0040)).unwrap();
        assert_eq!(
            table.regions_of(2).regions(),
            &[Region::new(0x8000_0040, 64)]
        );
        assert!(table.regions_of(0).regions().is_empty(), "not the owner's");
        assert!(table.regions_of(1).regions().is_empty(), "not a third's");
        assert!(table.take_stale(2));
        assert!(!table.take_stale(2));
        assert!(!table.any_stale());
    }

    #[test]
    fn sharing_the_same_buffer_again_takes_no_second_entry() {
        let table = table();
        for _ in 0..10 {
            table.share(buffer(0, 2, 0x8000_0040)).unwrap();
        }
        assert_eq!(table.iter().count(), 1);
    }

    #[test]
    fn buffers_the_hardware_cannot_map_exactly_are_refused() {
        let table = table();
        let mut misaligned = buffer(0, 2, 0x8000_0044);
        assert_eq!(table.share(misaligned), Err(ErrorCode::Inval));
        misaligned.region = Region::new(0x8000_0040, 48);
        assert_eq!(table.share(misaligned), Err(ErrorCode::Inval), "size");
        misaligned.region = Region::new(0x8000_0040, 0);
        assert_eq!(table.share(misaligned), Err(ErrorCode::Inval), "empty");
        assert_eq!(
            table.share(buffer(2, 2, 0x8000_0040)),
            Err(ErrorCode::Inval),
            "with itself"
        );
        assert!(!table.any_stale());
        assert_eq!(
            SharedBuffers::new().share(buffer(0, 2, 0x8000_0040)),
            Err(ErrorCode::NoSupport),
            "before the chip is known"
        );
    }

    #[test]
    fn a_peer_gets_at_most_its_share_and_the_table_its_size() {
        let table = table();
        table.share(buffer(0, 3, 0x8000_0000)).unwrap();
        table.share(buffer(1, 3, 0x8001_0000)).unwrap();
        assert_eq!(
            table.share(buffer(2, 3, 0x8002_0000)),
            Err(ErrorCode::NoMem)
        );
        table.share(buffer(0, 1, 0x8000_0100)).unwrap();
        table.share(buffer(3, 2, 0x8003_0000)).unwrap();
        assert_eq!(
            table.share(buffer(3, 0, 0x8003_0100)),
            Err(ErrorCode::NoMem)
        );
    }

    #[test]
    fn reallowing_the_buffer_removes_it_from_the_peer() {
        let table = table();
        table.share(buffer(0, 2, 0x8000_0040)).unwrap();
        table.share(buffer(1, 2, 0x8001_0040)).unwrap();
        table.take_stale(2);
        table.revoke_buffer(0, 3, 1);
        assert_eq!(table.iter().count(), 2, "another buffer number");
        table.revoke_buffer(0, 4, 2);
        assert_eq!(table.iter().count(), 2, "another grant");
        table.revoke_buffer(0, 3, 2);
        assert_eq!(
            table.regions_of(2).regions(),
            &[Region::new(0x8001_0040, 64)]
        );
        assert!(table.take_stale(2));
    }

    #[test]
    fn a_reset_of_owner_or_peer_removes_the_buffer() {
        let table = table();
        table.share(buffer(0, 2, 0x8000_0040)).unwrap();
        table.share(buffer(1, 3, 0x8001_0040)).unwrap();
        table.take_stale(2);
        table.take_stale(3);
        table.revoke_process(0);
        assert!(table.regions_of(2).regions().is_empty(), "owner reset");
        assert!(table.take_stale(2));
        table.revoke_process(3);
        assert!(table.regions_of(3).regions().is_empty(), "peer reset");
        assert!(table.take_stale(3));
        assert_eq!(table.iter().count(), 0);
    }

    #[test]
    fn revoking_an_entry_marks_its_peer() {
        let table = table();
        table.share(buffer(0, 2, 0x8000_0040)).unwrap();
        table.take_stale(2);
        let entry = table.regions_of(2).entry(0).unwrap();
        table.revoke_entry(entry);
        assert!(table.take_stale(2));
        assert_eq!(table.iter().count(), 0);
    }
}
