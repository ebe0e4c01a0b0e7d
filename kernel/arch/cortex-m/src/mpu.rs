//! ARMv7-M MPU region math: pure functions, tested on the host.
//!
//! A hardware region is a power of two in size (32 bytes to 4 GiB),
//! aligned to its size. Regions of 256 bytes or more are split into eight
//! equal subregions, each of which can be switched off. The MPU has
//! [`REGION_COUNT`] regions; a process uses them for exactly two ranges:
//!
//! ```text
//!  flash: [image start, image end rounded up to 32)   read + execute
//!  RAM:   [ram.start, app break rounded up to 32)     read + write, never execute
//! ```
//!
//! [`cover`] covers a 32-byte aligned range *exactly* (never a byte more)
//! with as few regions as it can: at each step it takes the region that
//! covers the most bytes from the cursor on, using subregions to trim both
//! ends. [`ram_placement`] places a process's RAM so that every break from
//! its start to its end stays coverable within the RAM budget.
//!
//! RAM lost to alignment, for a process asking for `m` bytes with
//! `P = next_power_of_two(m)`:
//! - before the region: up to `P / 8 - 32` bytes (its start is aligned to
//!   `P / 8`, the size of one subregion of a `P`-byte region), on average
//!   half of that; a whole-region design aligns to `P` and loses up to
//!   `P - 32`;
//! - at the end: under 32 bytes (the size is rounded up to 32), where a
//!   whole-region design rounds `m` up to `P` and loses up to `P / 2`.
//!
//! [`alignment_loss`] computes it; the tests check the bound.

use kernel::platform::Permissions;

/// Regions in an ARMv7-M MPU (Cortex-M3/M4/M7 with 8 regions).
pub const REGION_COUNT: usize = 8;
/// Smallest region, and the granularity of every covered range.
pub const MINIMUM_REGION_SIZE: usize = 32;
/// Smallest region that has subregions.
pub const SUBREGION_MINIMUM_REGION_SIZE: usize = 256;
/// Regions a process's flash may use; RAM gets the rest.
pub const FLASH_REGION_BUDGET: usize = 3;

/// What regions a core's MPU has: the smallest region, and whether
/// regions of 256 bytes or more have subregions that [`cover`] may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionRules {
    /// log2 of the smallest region (and of every covered range's granule).
    pub minimum_size_log2: u8,
    /// Whether to trim regions with subregions.
    pub subregions: bool,
}

/// ARMv7-M: 32-byte regions, subregions used.
pub const ARMV7M_RULES: RegionRules = RegionRules {
    minimum_size_log2: 5,
    subregions: true,
};

/// ARMv6-M (Cortex-M0+ with its optional MPU): 256-byte regions at the
/// least (PMSAv6: RASR.SIZE >= 7), whole regions only.
pub const ARMV6M_RULES: RegionRules = RegionRules {
    minimum_size_log2: 8,
    subregions: false,
};

impl RegionRules {
    /// The smallest region in bytes: every covered range is a multiple.
    pub const fn minimum_region_size(&self) -> usize {
        1 << self.minimum_size_log2
    }
}

/// Why a range cannot be protected as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MpuError {
    /// The range is empty where it must not be, or wraps the address space.
    InvalidRange,
    /// The start or end is not a multiple of [`MINIMUM_REGION_SIZE`].
    Misaligned,
    /// Covering the range exactly needs more regions than allowed.
    OutOfRegions,
}

/// One hardware region: `2^size_log2` bytes at `base`, with the
/// subregions whose bit is set in `enabled_subregions` switched on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MpuRegion {
    /// Base address, aligned to the region size.
    pub base: u32,
    /// log2 of the region size, 5..=32.
    pub size_log2: u8,
    /// Bit `i` set: subregion `i` is enabled (always `0xff` below 256 bytes).
    pub enabled_subregions: u8,
    /// What an unprivileged access may do.
    pub permissions: Permissions,
}

/// RASR bit positions and fields.
mod rasr {
    pub const ENABLE: u32 = 1;
    pub const SIZE_SHIFT: u32 = 1;
    pub const SRD_SHIFT: u32 = 8;
    /// Normal memory, write-through, not shareable: TEX 000, C 1, B 0.
    pub const NORMAL_MEMORY: u32 = 1 << 17;
    pub const AP_SHIFT: u32 = 24;
    /// Privileged and unprivileged read-only.
    pub const AP_READ_ONLY: u32 = 0b110;
    /// Privileged and unprivileged read-write.
    pub const AP_READ_WRITE: u32 = 0b011;
    pub const EXECUTE_NEVER: u32 = 1 << 28;
}

/// RBAR: the region number in bits 3:0 is used when VALID (bit 4) is set.
const RBAR_VALID: u32 = 1 << 4;

impl MpuRegion {
    /// Size in bytes (saturating at 4 GiB - 1 on 32-bit hosts never matters:
    /// callers use u64 arithmetic through [`MpuRegion::covered`]).
    pub fn size(&self) -> u64 {
        1u64 << self.size_log2
    }

    fn subregion_size(&self) -> u64 {
        if self.size() >= SUBREGION_MINIMUM_REGION_SIZE as u64 {
            self.size() / 8
        } else {
            self.size()
        }
    }

    /// The bytes this region lets through, `[start, end)`: the enabled
    /// subregions, which [`cover`] always keeps contiguous.
    pub fn covered(&self) -> (u64, u64) {
        if self.size() < SUBREGION_MINIMUM_REGION_SIZE as u64 {
            let base = u64::from(self.base);
            return (base, base + self.size());
        }
        let mask = self.enabled_subregions;
        let first = u64::from(mask.trailing_zeros());
        let last = 8 - u64::from(mask.leading_zeros());
        let base = u64::from(self.base);
        let step = self.subregion_size();
        (base + first * step, base + last * step)
    }

    /// Does this region allow an unprivileged `access` at `address`?
    pub fn allows(&self, address: u32, access: Permissions) -> bool {
        let (start, end) = self.covered();
        let inside = (start..end).contains(&u64::from(address));
        let permitted = matches!(
            (self.permissions, access),
            (
                Permissions::ReadWrite,
                Permissions::ReadWrite | Permissions::ReadOnly
            ) | (
                Permissions::ReadExecute,
                Permissions::ReadExecute | Permissions::ReadOnly
            ) | (Permissions::ReadOnly, Permissions::ReadOnly)
        );
        inside && permitted
    }

    /// Decodes a region back from its RBAR and RASR values (`None` if
    /// RASR has it disabled): what the hardware will enforce.
    pub fn from_registers(rbar: u32, rasr: u32) -> Option<MpuRegion> {
        if rasr & rasr::ENABLE == 0 {
            return None;
        }
        let size_log2 = (((rasr >> rasr::SIZE_SHIFT) & 0x1f) + 1) as u8;
        let access = (rasr >> rasr::AP_SHIFT) & 0b111;
        let permissions = match (access, rasr & rasr::EXECUTE_NEVER != 0) {
            (rasr::AP_READ_WRITE, _) => Permissions::ReadWrite,
            (rasr::AP_READ_ONLY, false) => Permissions::ReadExecute,
            _ => Permissions::ReadOnly,
        };
        let enabled_subregions = if size_log2 >= 8 {
            !((rasr >> rasr::SRD_SHIFT) as u8)
        } else {
            0xff
        };
        let size_mask = ((1u64 << size_log2) - 1) as u32;
        Some(MpuRegion {
            base: rbar & !0x1f & !size_mask,
            size_log2,
            enabled_subregions,
            permissions,
        })
    }

    /// The RBAR value that selects region `number` and sets its base.
    pub fn rbar(&self, number: usize) -> u32 {
        self.base | RBAR_VALID | (number as u32 & 0xf)
    }

    /// The RASR value: size, disabled subregions, access, enable.
    pub fn rasr(&self) -> u32 {
        let (access, execute_never) = match self.permissions {
            Permissions::ReadExecute => (rasr::AP_READ_ONLY, 0),
            Permissions::ReadOnly => (rasr::AP_READ_ONLY, rasr::EXECUTE_NEVER),
            Permissions::ReadWrite => (rasr::AP_READ_WRITE, rasr::EXECUTE_NEVER),
        };
        let disabled = if self.size() >= SUBREGION_MINIMUM_REGION_SIZE as u64 {
            u32::from(!self.enabled_subregions)
        } else {
            0
        };
        execute_never
            | (access << rasr::AP_SHIFT)
            | rasr::NORMAL_MEMORY
            | (disabled << rasr::SRD_SHIFT)
            | ((u32::from(self.size_log2) - 1) << rasr::SIZE_SHIFT)
            | rasr::ENABLE
    }
}

/// Up to [`REGION_COUNT`] regions, in use from index 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegionList {
    regions: [Option<MpuRegion>; REGION_COUNT],
    count: usize,
}

impl RegionList {
    /// The regions in use.
    pub fn iter(&self) -> impl Iterator<Item = &MpuRegion> {
        self.regions[..self.count].iter().flatten()
    }

    /// How many regions are in use.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True if no region is in use.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn push(&mut self, region: MpuRegion) -> Result<(), MpuError> {
        let slot = self
            .regions
            .get_mut(self.count)
            .ok_or(MpuError::OutOfRegions)?;
        *slot = Some(region);
        self.count += 1;
        Ok(())
    }

    /// Does any region allow an unprivileged `access` at `address`?
    pub fn allows(&self, address: u32, access: Permissions) -> bool {
        self.iter().any(|region| region.allows(address, access))
    }
}

/// The region of size `2^size_log2` that covers the most bytes of
/// `[cursor, end)` starting exactly at `cursor`, with how many it covers.
fn best_region_of_size(
    cursor: u64,
    end: u64,
    size_log2: u8,
    permissions: Permissions,
    subregions: bool,
) -> Option<(MpuRegion, u64)> {
    let size = 1u64 << size_log2;
    let base = cursor & !(size - 1);
    if size < SUBREGION_MINIMUM_REGION_SIZE as u64 || !subregions {
        return (base == cursor && cursor + size <= end).then_some((
            MpuRegion {
                base: base as u32,
                size_log2,
                enabled_subregions: 0xff,
                permissions,
            },
            size,
        ));
    }
    let step = size / 8;
    if !cursor.is_multiple_of(step) {
        return None;
    }
    let first = (cursor - base) / step;
    let last = ((end.min(base + size) - base) / step).min(8);
    if last <= first {
        return None;
    }
    let mask = ((1u16 << last) - (1u16 << first)) as u8;
    let region = MpuRegion {
        base: base as u32,
        size_log2,
        enabled_subregions: mask,
        permissions,
    };
    Some((region, (last - first) * step))
}

/// Covers `[start, start + size)` exactly with at most `budget` ARMv7-M
/// regions. An empty range needs none. Both ends must be 32-byte aligned.
pub fn cover(
    start: u32,
    size: u32,
    permissions: Permissions,
    budget: usize,
) -> Result<RegionList, MpuError> {
    cover_with(ARMV7M_RULES, start, size, permissions, budget)
}

/// [`cover`] for a core's `rules`: both ends must be multiples of its
/// smallest region. Without subregions the result is the binary
/// decomposition of the range into aligned powers of two.
pub fn cover_with(
    rules: RegionRules,
    start: u32,
    size: u32,
    permissions: Permissions,
    budget: usize,
) -> Result<RegionList, MpuError> {
    let mut list = RegionList::default();
    let (mut cursor, end) = (u64::from(start), u64::from(start) + u64::from(size));
    if end > 1 << 32 {
        return Err(MpuError::InvalidRange);
    }
    let granule = rules.minimum_region_size() as u64;
    if !cursor.is_multiple_of(granule) || !end.is_multiple_of(granule) {
        return Err(MpuError::Misaligned);
    }
    while cursor < end {
        if list.len() == budget.min(REGION_COUNT) {
            return Err(MpuError::OutOfRegions);
        }
        let (region, covered) = (rules.minimum_size_log2..=32)
            .filter_map(|size_log2| {
                best_region_of_size(cursor, end, size_log2, permissions, rules.subregions)
            })
            .max_by_key(|(region, covered)| (*covered, core::cmp::Reverse(region.size_log2)))
            .ok_or(MpuError::Misaligned)?;
        list.push(region)?;
        cursor += covered;
    }
    Ok(list)
}

/// Rounds `value` up to a multiple of [`MINIMUM_REGION_SIZE`] (`None` on
/// overflow).
pub fn round_up_to_granule(value: usize) -> Option<usize> {
    round_up_to(value, MINIMUM_REGION_SIZE)
}

/// Rounds `value` up to a multiple of `alignment`, a power of two (`None`
/// on overflow).
pub fn round_up_to(value: usize, alignment: usize) -> Option<usize> {
    Some(value.checked_add(alignment - 1)? & !(alignment - 1))
}

/// Where a process's RAM of at least `minimum_size` bytes goes in
/// `[available_start, available_end)`: `(start, size)` with `start`
/// aligned to one eighth of the next power of two of the size, so every
/// break in `[start, start + size]` is coverable in the RAM budget.
pub fn ram_placement(
    available_start: usize,
    available_end: usize,
    minimum_size: usize,
) -> Option<(usize, usize)> {
    let size = round_up_to_granule(minimum_size.max(1))?;
    let alignment = (size.checked_next_power_of_two()? / 8).max(MINIMUM_REGION_SIZE);
    let start = available_start.checked_add(alignment - 1)? & !(alignment - 1);
    let end = start.checked_add(size)?;
    (end <= available_end && u32::try_from(end).is_ok()).then_some((start, size))
}

/// RAM lost to alignment when a process asking for `minimum_size` bytes
/// is placed at `available_start`: the gap before the region plus the
/// rounding at its end.
pub fn alignment_loss(available_start: usize, minimum_size: usize) -> Option<usize> {
    let (start, size) = ram_placement(available_start, usize::MAX, minimum_size)?;
    Some(start - available_start + size - minimum_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The union of the regions, as sorted disjoint ranges.
    fn union(list: &RegionList) -> Vec<(u64, u64)> {
        let mut ranges: Vec<(u64, u64)> = list.iter().map(MpuRegion::covered).collect();
        ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if last.1 >= start => {
                    assert_eq!(last.1, start, "regions overlap");
                    last.1 = end;
                }
                _ => merged.push((start, end)),
            }
        }
        merged
    }

    #[test]
    fn aligned_power_of_two_is_one_region() {
        let list = cover(0x2000_0000, 0x1_0000, Permissions::ReadWrite, 8).unwrap();
        assert_eq!(list.len(), 1);
        let region = list.iter().next().unwrap();
        assert_eq!(region.size_log2, 16);
        assert_eq!(region.enabled_subregions, 0xff);
        // The smallest region wins among equal covers. SIZE = 15, AP = 011, XN, C, enable.
        assert_eq!(
            region.rasr(),
            (1 << 28) | (0b011 << 24) | (1 << 17) | (15 << 1) | 1
        );
        assert_eq!(region.rbar(2), 0x2000_0000 | (1 << 4) | 2);
    }

    #[test]
    fn subregions_trim_the_end() {
        // 0x1400 bytes from a 0x2000-aligned base: one 8 KiB region with 5 of
        // its 1 KiB subregions enabled.
        let list = cover(0x2000_2000, 0x1400, Permissions::ReadExecute, 8).unwrap();
        assert_eq!(list.len(), 1);
        let region = list.iter().next().unwrap();
        assert_eq!(region.enabled_subregions, 0b0001_1111);
        assert_eq!(
            MpuRegion::from_registers(region.rbar(3), region.rasr()),
            Some(*region),
            "the register values decode to the same region"
        );
        assert_eq!(region.rasr() >> 8 & 0xff, 0b1110_0000, "SRD disables 5..7");
        assert!(region.allows(0x2000_33ff, Permissions::ReadExecute));
        assert!(!region.allows(0x2000_3400, Permissions::ReadOnly));
        assert!(!region.allows(0x2000_2000, Permissions::ReadWrite));
    }

    #[test]
    fn misaligned_and_oversized_ranges_are_refused() {
        assert_eq!(
            cover(0x2000_0004, 0x100, Permissions::ReadWrite, 8),
            Err(MpuError::Misaligned)
        );
        assert_eq!(
            cover(0xffff_ff00, 0x200, Permissions::ReadWrite, 8),
            Err(MpuError::InvalidRange)
        );
        // Crossing a 256-byte boundary off a 64-byte one needs two regions.
        assert_eq!(
            cover(0x2000_00e0, 0x40, Permissions::ReadWrite, 1),
            Err(MpuError::OutOfRegions)
        );
        assert!(cover(0x2000_0000, 0, Permissions::ReadWrite, 0)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn loss_is_small_next_to_whole_regions() {
        // 9 KiB: a whole-region design needs 16 KiB aligned to 16 KiB.
        let loss = alignment_loss(0x2000_0100, 9 * 1024).unwrap();
        assert!(loss < 2048, "lost {loss}");
        assert_eq!(alignment_loss(0x2000_0000, 9 * 1024), Some(0));
    }

    proptest! {
        #[test]
        fn cover_is_exact(start in 0u32..0x0800_0000, size in 0u32..0x0010_0000) {
            let start = start & !31;
            let size = size & !31;
            if let Ok(list) = cover(start, size, Permissions::ReadWrite, 8) {
                let expected = if size == 0 { vec![] } else {
                    vec![(u64::from(start), u64::from(start) + u64::from(size))]
                };
                prop_assert_eq!(union(&list), expected);
                for region in list.iter() {
                    prop_assert_eq!(u64::from(region.base) % region.size(), 0);
                    // What is written to the MPU decodes to the same region.
                    let decoded = MpuRegion::from_registers(region.rbar(0), region.rasr());
                    prop_assert_eq!(decoded, Some(*region));
                }
            }
        }

        #[test]
        fn every_break_of_a_placed_region_fits_the_ram_budget(
            available in 0x2000_0000usize..0x2010_0000,
            minimum in 1usize..0x0001_8000,
            fraction in 0usize..=1000,
        ) {
            let (start, size) = ram_placement(available, 0x3000_0000, minimum).unwrap();
            prop_assert!(start >= available && size >= minimum && size - minimum < 32);
            prop_assert!(start - available < (size.next_power_of_two() / 8).max(32));
            let length = (size * fraction / 1000) & !31;
            let list = cover(start as u32, length as u32, Permissions::ReadWrite,
                REGION_COUNT - FLASH_REGION_BUDGET);
            prop_assert!(list.is_ok(), "break {length:#x} of {start:#x}+{size:#x}: {list:?}");
        }

        #[test]
        fn aligned_flash_images_fit_the_flash_budget(
            slot in 0u32..64, size_log2 in 8u32..16, extra in 0u32..32,
        ) {
            // Images at 64 KiB slots, any size up to 64 KiB in 32-byte steps.
            let size = ((1u32 << size_log2) + extra * (1 << size_log2) / 32) & !31;
            let list = cover(0x0004_0000 + slot * 0x1_0000, size, Permissions::ReadExecute,
                FLASH_REGION_BUDGET);
            prop_assert!(list.is_ok(), "{size:#x}: {list:?}");
        }
    }
}
