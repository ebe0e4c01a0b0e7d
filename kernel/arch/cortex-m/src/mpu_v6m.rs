//! ARMv6-M MPU placement: whole power-of-two regions, no subregions. Pure
//! functions, tested on the host.
//!
//! The region format is ARMv7-M's (same RBAR/RASR), but the smallest region
//! is 256 bytes and this path never uses subregions, so a range is covered
//! exactly only by its binary decomposition into aligned powers of two
//! ([`crate::mpu::cover_with`] with [`ARMV6M_RULES`]). A process's RAM is
//! therefore placed on a boundary of its own size rounded up to a power of
//! two, `P`, and every break is a multiple of [`GRANULE`]; then the
//! accessible range `[start, break)` needs one region per set bit of
//! `(break - start) / GRANULE`:
//!
//! ```text
//!  start (aligned to P)                     break          start + P
//!  | 2^k region | 2^j region | 2^i region |  ...  grants  |
//!    k > j > i: one bit each of (break - start) / GRANULE
//! ```
//!
//! With [`RAM_REGION_BUDGET`] regions, every break is representable while
//! `P <= GRANULE << RAM_REGION_BUDGET` ([`ALWAYS_REPRESENTABLE_RAM`]);
//! above that, a break needing more regions is refused (the kernel answers
//! the `brk` with NOMEM) and the app asks for a rounder one.
//!
//! RAM lost to alignment, for a process asking for `m` bytes:
//! - before the region: up to `P - GRANULE` bytes (its start is aligned to
//!   `P`), where ARMv7-M with subregions loses at most `P / 8 - 32`;
//! - at the end: under [`GRANULE`] bytes (the size and every enforced break
//!   are rounded up to it), where ARMv7-M loses under 32.
//!
//! [`alignment_loss`] computes it; the tests check both bounds.

use crate::mpu::{round_up_to, ARMV6M_RULES, FLASH_REGION_BUDGET, REGION_COUNT};

/// Granularity of every break and RAM size: 512 bytes, so that processes
/// with up to 16 KiB of RAM can have any break in five regions.
pub const GRANULE: usize = 512;
/// Regions left for RAM once the flash image has its budget.
pub const RAM_REGION_BUDGET: usize = REGION_COUNT - FLASH_REGION_BUDGET;
/// The largest process RAM (rounded up to a power of two) in which every
/// break is representable: one region per bit of `break / GRANULE`.
pub const ALWAYS_REPRESENTABLE_RAM: usize = GRANULE << RAM_REGION_BUDGET;

/// Where a process's RAM of at least `minimum_size` bytes goes in
/// `[available_start, available_end)`: `(start, size)` with the size a
/// multiple of [`GRANULE`] and the start aligned to the size's next power
/// of two (at least the smallest region).
pub fn ram_placement(
    available_start: usize,
    available_end: usize,
    minimum_size: usize,
) -> Option<(usize, usize)> {
    let size = round_up_to(minimum_size.max(1), GRANULE)?;
    let alignment = size
        .checked_next_power_of_two()?
        .max(ARMV6M_RULES.minimum_region_size());
    let start = round_up_to(available_start, alignment)?;
    let end = start.checked_add(size)?;
    (end <= available_end && u32::try_from(end).is_ok()).then_some((start, size))
}

/// RAM lost to alignment when a process asking for `minimum_size` bytes is
/// placed at `available_start`: the gap before the region plus the
/// rounding at its end.
pub fn alignment_loss(available_start: usize, minimum_size: usize) -> Option<usize> {
    let (start, size) = ram_placement(available_start, usize::MAX, minimum_size)?;
    Some(start - available_start + size - minimum_size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mpu::{self, cover_with, MpuRegion};
    use kernel::platform::Permissions;
    use proptest::prelude::*;

    #[test]
    fn regions_are_whole_and_at_least_256_bytes() {
        // 0x1600 from a 0x2000-aligned start: 4 KiB + 1 KiB + 512 bytes.
        let list =
            cover_with(ARMV6M_RULES, 0x2000_2000, 0x1600, Permissions::ReadWrite, 8).unwrap();
        let sizes: Vec<u8> = list.iter().map(|region| region.size_log2).collect();
        assert_eq!(sizes, [12, 10, 9]);
        for region in list.iter() {
            assert_eq!(region.enabled_subregions, 0xff);
            assert_eq!(region.rasr() >> 8 & 0xff, 0, "no subregion disabled");
            assert_eq!(
                MpuRegion::from_registers(region.rbar(0), region.rasr()),
                Some(*region)
            );
        }
        assert_eq!(
            cover_with(ARMV6M_RULES, 0x2000_0020, 0x100, Permissions::ReadWrite, 8),
            Err(mpu::MpuError::Misaligned),
            "32-byte granules exist only on ARMv7-M"
        );
    }

    #[test]
    fn loss_is_bounded_by_the_power_of_two_and_compared_with_v7() {
        // The figure documented beside ARMv7-M's: 9 KiB placed right after
        // 256 bytes of another process. ARMv7-M loses under 2 KiB; whole
        // regions align to 16 KiB.
        let v6 = alignment_loss(0x2000_0100, 9 * 1024).unwrap();
        let v7 = mpu::alignment_loss(0x2000_0100, 9 * 1024).unwrap();
        // docs/boards/mps2-an386.md quotes these two figures.
        assert_eq!(v6, 16_128);
        assert_eq!(v7, 1_792);
        assert_eq!(alignment_loss(0x2000_4000, 9 * 1024), Some(0));
        assert_eq!(alignment_loss(0x2000_4000, 9 * 1024 + 1), Some(GRANULE - 1));
    }

    #[test]
    fn a_break_with_too_many_bits_in_large_ram_is_refused() {
        // 64 KiB of RAM: 0x7e00 bytes are six regions (16K+8K+4K+2K+1K+512).
        let start = 0x2001_0000;
        let refused = cover_with(
            ARMV6M_RULES,
            start,
            0x7e00,
            Permissions::ReadWrite,
            RAM_REGION_BUDGET,
        );
        assert_eq!(refused, Err(mpu::MpuError::OutOfRegions));
        assert!(cover_with(
            ARMV6M_RULES,
            start,
            0x8000,
            Permissions::ReadWrite,
            RAM_REGION_BUDGET
        )
        .is_ok());
    }

    proptest! {
        #[test]
        fn every_break_of_ram_up_to_the_bound_fits_the_ram_budget(
            available in 0x2000_0000usize..0x2010_0000,
            minimum in 1usize..=ALWAYS_REPRESENTABLE_RAM,
            fraction in 0usize..=1000,
        ) {
            let (start, size) = ram_placement(available, 0x3000_0000, minimum).unwrap();
            let power = size.next_power_of_two();
            prop_assert!(start >= available && size >= minimum && size - minimum < GRANULE);
            prop_assert!(start.is_multiple_of(power) && start - available < power);
            let length = (size * fraction / 1000) & !(GRANULE - 1);
            let list = cover_with(ARMV6M_RULES, start as u32, length as u32,
                Permissions::ReadWrite, RAM_REGION_BUDGET);
            prop_assert!(list.is_ok(), "break {length:#x} of {start:#x}+{size:#x}: {list:?}");
            let list = list.unwrap();
            let mut cursor = start as u64;
            for region in list.iter() {
                // Whole, aligned, adjacent: exactly [start, start + length).
                prop_assert_eq!(region.enabled_subregions, 0xff);
                prop_assert_eq!(u64::from(region.base), cursor);
                prop_assert_eq!(cursor % region.size(), 0);
                cursor += region.size();
            }
            prop_assert_eq!(cursor, (start + length) as u64);
            prop_assert_eq!(list.len(), (length / GRANULE).count_ones() as usize);
        }

        #[test]
        fn size_aligned_flash_images_are_one_region(
            slot in 0u32..64, size_log2 in 8u32..16,
        ) {
            // elf2tab pads Cortex-M images to a power of two and tockloader
            // places each on a multiple of its size.
            let size = 1u32 << size_log2;
            let list = cover_with(ARMV6M_RULES, 0x0004_0000 + slot * size, size,
                Permissions::ReadExecute, FLASH_REGION_BUDGET);
            prop_assert_eq!(list.map(|list| list.len()), Ok(1));
        }
    }
}
