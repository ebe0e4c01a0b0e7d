//! Pure memory-range logic: does `[address, address + length)` lie inside a
//! region the process may name? Runs on the host; no pointer is ever
//! dereferenced here.
//!
//! A process's RAM, as the kernel lays it out:
//!
//! ```text
//!  ram.start                app_break          kernel_break         ram.end()
//!  |  stack, data, heap  -->  |    (free)        |  <-- grant region   |
//!  |<---- process RW ------->|                  |<- kernel only ----->|
//!  memop brk/sbrk moves app_break; grants move kernel_break down;
//!  invariant: ram.start <= app_break <= kernel_break <= ram.end()
//! ```

use crate::platform::Region;

/// True if `[address, address + length)` lies inside `region`. A zero-length
/// range is inside any region (TRD104: zero-length buffers may have any
/// address). An overflowing range is never inside.
pub fn range_within(region: Region, address: usize, length: usize) -> bool {
    if length == 0 {
        return true;
    }
    match address.checked_add(length) {
        Some(end) => address >= region.start && end <= region.start + region.size,
        None => false,
    }
}

/// True if two non-empty ranges share a byte.
pub fn ranges_overlap(a: Region, b: Region) -> bool {
    a.size != 0 && b.size != 0 && a.start < b.end() && b.start < a.end()
}

/// The memory layout of one process, as numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryLayout {
    /// The whole TBF image in flash (R-X for the process).
    pub flash: Region,
    /// The whole RAM region (app memory and grant region).
    pub ram: Region,
    /// First byte the process may not touch.
    pub app_break: usize,
    /// Lowest byte of the grant region.
    pub kernel_break: usize,
}

impl MemoryLayout {
    /// A fresh layout: break at the RAM start, empty grant region.
    pub const fn new(flash: Region, ram: Region) -> Self {
        MemoryLayout {
            flash,
            ram,
            app_break: ram.start,
            kernel_break: ram.start + ram.size,
        }
    }

    /// The process's read-write memory: `[ram.start, app_break)`.
    pub const fn accessible_ram(&self) -> Region {
        Region::new(self.ram.start, self.app_break - self.ram.start)
    }

    /// May the process pass this range as a read-write buffer?
    pub fn is_writeable_range(&self, address: usize, length: usize) -> bool {
        range_within(self.accessible_ram(), address, length)
    }

    /// May the process pass this range as a read-only buffer (its RAM or
    /// its own flash)?
    pub fn is_readable_range(&self, address: usize, length: usize) -> bool {
        self.is_writeable_range(address, length) || range_within(self.flash, address, length)
    }

    /// Is `address` a possible upcall entry point (inside its own flash)?
    pub fn is_code_address(&self, address: usize) -> bool {
        range_within(self.flash, address, 1)
    }

    /// Is `new_break` a legal app break? It must not pass below the RAM
    /// start, below `floor` (the end of the highest allowed buffer) or
    /// into the grant region.
    pub fn is_valid_break(&self, new_break: usize, floor: usize) -> bool {
        new_break >= self.ram.start && new_break >= floor && new_break <= self.kernel_break
    }

    /// The end of what the process can reach when the memory protection
    /// rounds the break up to `granule` bytes (1: exact).
    pub fn enforced_break(&self, granule: usize) -> Option<usize> {
        self.app_break.checked_next_multiple_of(granule.max(1))
    }

    /// Carve `size` bytes aligned to `align` (a power of two) off the
    /// bottom of the grant region, never below what the process can reach
    /// ([`Self::enforced_break`] for the protection's `granule`). Returns
    /// the new allocation's address.
    pub fn allocate_grant(&mut self, size: usize, align: usize, granule: usize) -> Option<usize> {
        let start = self.kernel_break.checked_sub(size)? & !(align - 1);
        if start < self.enforced_break(granule)? {
            return None;
        }
        self.kernel_break = start;
        Some(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> MemoryLayout {
        let mut layout = MemoryLayout::new(
            Region::new(0x2000_0000, 0x1000),
            Region::new(0x8000_0000, 0x1000),
        );
        layout.app_break = 0x8000_0800;
        layout
    }

    #[test]
    fn ranges_inside_and_outside() {
        let layout = layout();
        assert!(layout.is_writeable_range(0x8000_0000, 0x800));
        assert!(!layout.is_writeable_range(0x8000_0000, 0x801));
        assert!(!layout.is_writeable_range(0x7fff_ffff, 2));
        assert!(layout.is_readable_range(0x2000_0ff0, 0x10));
        assert!(!layout.is_writeable_range(0x2000_0ff0, 0x10));
    }

    #[test]
    fn overflowing_pointer_is_never_inside() {
        let layout = layout();
        assert!(!layout.is_writeable_range(usize::MAX - 3, 8));
        assert!(!range_within(Region::new(0, usize::MAX), usize::MAX, 2));
    }

    #[test]
    fn zero_length_is_inside_anywhere() {
        assert!(layout().is_writeable_range(0xdead_beef, 0));
    }

    #[test]
    fn grant_region_is_not_writeable_by_the_process() {
        let mut layout = layout();
        let grant = layout.allocate_grant(0x40, 8, 1).unwrap();
        assert_eq!(grant, 0x8000_0fc0);
        assert!(!layout.is_writeable_range(grant, 4));
        assert!(!layout.is_valid_break(grant + 4, 0));
        assert!(layout.is_valid_break(grant, 0));
    }

    #[test]
    fn grants_never_cross_the_break() {
        let mut layout = layout();
        assert_eq!(layout.allocate_grant(0x900, 4, 1), None);
        assert!(layout.allocate_grant(0x800, 4, 1).is_some());
        assert_eq!(layout.allocate_grant(1, 1, 1), None);
    }

    #[test]
    fn grants_stay_above_the_break_the_hardware_enforces() {
        let mut layout = layout();
        layout.app_break = 0x8000_0f04;
        assert_eq!(layout.enforced_break(32), Some(0x8000_0f20));
        assert_eq!(
            layout.allocate_grant(0xf0, 4, 32),
            None,
            "0x8000_0f10 is reachable"
        );
        assert_eq!(layout.allocate_grant(0xe0, 4, 32), Some(0x8000_0f20));
    }

    #[test]
    fn break_floor_protects_allowed_buffers() {
        let layout = layout();
        assert!(!layout.is_valid_break(0x8000_0100, 0x8000_0200));
        assert!(layout.is_valid_break(0x8000_0200, 0x8000_0200));
        assert!(!layout.is_valid_break(0x7fff_0000, 0));
    }

    #[test]
    fn overlap() {
        assert!(ranges_overlap(Region::new(0, 4), Region::new(3, 4)));
        assert!(!ranges_overlap(Region::new(0, 4), Region::new(4, 4)));
        assert!(!ranges_overlap(Region::new(0, 0), Region::new(0, 4)));
    }
}
