//! [`MemoryProtection`] on the PMP: a process may touch its flash (R-X)
//! and `[ram.start, app_break)` (RW), and buffers other processes shared
//! with it (RW, [`kernel::sharing`]), nothing else.
//!
//! ```text
//!  ram.start          app_break        kernel_break          ram end
//!  | stack, data, heap |  (free)        | grant region (kernel) |
//!  |<---- PMP RW ----->|<--------- no PMP entry: denied ---------->|
//!
//!  entries: flash (1-2) | own RAM (0-2) | each shared buffer (1-2) | off
//! ```
//!
//! A shared buffer is mapped exactly: its ends are multiples of 4 (the
//! kernel refuses to share anything else), which NAPOT (aligned powers of
//! two) or an OFF + TOR pair expresses to the byte. They are standalone
//! entries after the process's own ([`PmpConfig::add_standalone_region`]),
//! carried over entry for entry when the break moves, so the configuration
//! needs no extra field. At most 2 + 2 + 2 x
//! `MAX_SHARED_PER_PROCESS` = 8 of the 16 entries are ever used.

use core::cell::Cell;

use kernel::platform::{MemoryProtection, MemoryProtectionError, Region};
use kernel::sharing::MAX_SHARED_PER_PROCESS;

use crate::pmp::{Permissions, PmpConfig, PmpError};

/// One process's protection: the computed entries and what they came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessProtection {
    flash: Region,
    /// Its own regions, then buffers other processes shared with it as
    /// standalone regions (no extra bytes: the kernel RAM per process
    /// stays as it was).
    pmp: PmpConfig,
    /// The `pmpcfg0..3` words, computed when the regions change so the
    /// context switch only copies them.
    cfg_words: [u32; 4],
    /// Unique per computed configuration (0: none yet): the hardware is
    /// rewritten only when it holds another one.
    stamp: u32,
}

impl ProcessProtection {
    /// The computed PMP entries.
    pub fn pmp(&self) -> &PmpConfig {
        &self.pmp
    }
}

/// The PMP of a `virt` hart (16 entries, 4-byte granularity).
#[derive(Default)]
pub struct Pmp {
    /// The last stamp handed out.
    last_stamp: Cell<u32>,
    /// The stamp of the configuration in the hardware (0: none).
    in_hardware: Cell<u32>,
}

impl Pmp {
    /// The PMP.
    pub const fn new() -> Self {
        Pmp {
            last_stamp: Cell::new(0),
            in_hardware: Cell::new(0),
        }
    }

    fn next_stamp(&self) -> u32 {
        // Wrapping to 0 would mean "none": skip it.
        let stamp = self.last_stamp.get().wrapping_add(1).max(1);
        self.last_stamp.set(stamp);
        stamp
    }

    /// True if `config` must be written (it is not what the hardware holds).
    pub fn needs_write(&self, config: &ProcessProtection) -> bool {
        config.stamp == 0 || config.stamp != self.in_hardware.get()
    }

    /// Store `pmp` in `config` with its cfg words and a new stamp.
    fn install(&self, pmp: PmpConfig, config: &mut ProcessProtection) {
        config.pmp = pmp;
        config.cfg_words = pmp.cfg_words();
        config.stamp = self.next_stamp();
    }
}

fn to_u32(value: usize) -> Result<u32, MemoryProtectionError> {
    u32::try_from(value).map_err(|_| MemoryProtectionError::Unrepresentable)
}

fn map_error(error: PmpError) -> MemoryProtectionError {
    match error {
        PmpError::OutOfEntries => MemoryProtectionError::OutOfRegions,
        PmpError::Empty | PmpError::Misaligned { .. } | PmpError::Overflow => {
            MemoryProtectionError::Unrepresentable
        }
    }
}

impl MemoryProtection for Pmp {
    type Config = ProcessProtection;

    fn granularity(&self) -> usize {
        4
    }

    fn allocate_ram(
        &self,
        available: Region,
        minimum_size: usize,
        _config: &mut ProcessProtection,
    ) -> Result<Region, MemoryProtectionError> {
        // TOR expresses any 4-byte aligned range, so the region starts
        // where it is offered (fixed-address apps get exactly their
        // address) and is only rounded to the granule.
        let start = available
            .start
            .checked_add(3)
            .ok_or(MemoryProtectionError::DoesNotFit)?
            & !3;
        let size = minimum_size
            .checked_add(3)
            .ok_or(MemoryProtectionError::DoesNotFit)?
            & !3;
        let end = start
            .checked_add(size)
            .ok_or(MemoryProtectionError::DoesNotFit)?;
        if size == 0 || end > available.end() {
            return Err(MemoryProtectionError::DoesNotFit);
        }
        Ok(Region::new(start, size))
    }

    fn set_flash(
        &self,
        flash: Region,
        config: &mut ProcessProtection,
    ) -> Result<(), MemoryProtectionError> {
        let pmp = PmpConfig::for_process(to_u32(flash.start)?, to_u32(flash.size)?, 0, 0)
            .map_err(map_error)?;
        config.flash = flash;
        self.install(pmp, config);
        Ok(())
    }

    fn update_app_break(
        &self,
        ram: Region,
        app_break: usize,
        kernel_break: usize,
        config: &mut ProcessProtection,
    ) -> Result<(), MemoryProtectionError> {
        if app_break < ram.start || app_break > kernel_break || kernel_break > ram.end() {
            return Err(MemoryProtectionError::DoesNotFit);
        }
        if !app_break.is_multiple_of(4) {
            return Err(MemoryProtectionError::Unrepresentable);
        }
        let pmp = PmpConfig::for_process(
            to_u32(config.flash.start)?,
            to_u32(config.flash.size)?,
            to_u32(ram.start)?,
            to_u32(app_break)?,
        )
        .and_then(|own| own.with_standalone_regions_of(&config.pmp))
        .map_err(map_error)?;
        self.install(pmp, config);
        Ok(())
    }

    fn set_shared_regions(
        &self,
        regions: &[Region],
        config: &mut ProcessProtection,
    ) -> Result<(), MemoryProtectionError> {
        if regions.len() > MAX_SHARED_PER_PROCESS {
            return Err(MemoryProtectionError::OutOfRegions);
        }
        let mut pmp = config.pmp.without_standalone_regions();
        for region in regions {
            pmp.add_standalone_region(
                to_u32(region.start)?,
                to_u32(region.size)?,
                Permissions::ReadWrite,
            )
            .map_err(map_error)?;
        }
        self.install(pmp, config);
        Ok(())
    }

    fn configure_for_process(&self, config: &ProcessProtection) {
        if !self.needs_write(config) {
            return;
        }
        self.in_hardware.set(config.stamp);
        #[cfg(target_arch = "riscv32")]
        config.pmp.write_to_hardware_with(&config.cfg_words);
    }

    fn disable_user_regions(&self) {
        // Nothing to do: no entry is locked, so the PMP never restricts
        // machine mode, and the next `configure_for_process` rewrites all
        // four cfg words (switching off every entry of the last process).
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pmp::Access;

    #[test]
    fn app_break_moves_the_rw_region_and_never_reaches_grants() {
        let pmp = Pmp::new();
        let mut config = ProcessProtection::default();
        let ram = pmp
            .allocate_ram(Region::new(0x8001_0000, 0x10000), 0x3000, &mut config)
            .unwrap();
        assert_eq!(ram, Region::new(0x8001_0000, 0x3000));
        pmp.set_flash(Region::new(0x2004_0000, 0x1000), &mut config)
            .unwrap();
        pmp.update_app_break(ram, 0x8001_1000, 0x8001_2c00, &mut config)
            .unwrap();
        assert!(config.pmp().allows(0x8001_0ffc, Access::Write));
        assert!(!config.pmp().allows(0x8001_1000, Access::Read));
        assert!(
            !config.pmp().allows(0x8001_2c00, Access::Read),
            "grant region"
        );
        assert!(config.pmp().allows(0x2004_0000, Access::Execute));
        assert!(!config.pmp().allows(0x2004_0000, Access::Write));
        assert_eq!(
            pmp.update_app_break(ram, 0x8001_2d00, 0x8001_2c00, &mut config),
            Err(MemoryProtectionError::DoesNotFit)
        );
    }

    #[test]
    fn hardware_is_rewritten_only_for_another_configuration() {
        let pmp = Pmp::new();
        let ram = Region::new(0x8001_0000, 0x2000);
        let (mut first, mut second) = (ProcessProtection::default(), ProcessProtection::default());
        assert!(pmp.needs_write(&first), "never computed");
        pmp.set_flash(Region::new(0x2004_0000, 0x100), &mut first)
            .unwrap();
        pmp.set_flash(Region::new(0x2005_0000, 0x100), &mut second)
            .unwrap();
        pmp.configure_for_process(&first);
        assert!(!pmp.needs_write(&first));
        assert!(pmp.needs_write(&second));
        pmp.update_app_break(ram, 0x8001_0100, 0x8001_1c00, &mut first)
            .unwrap();
        assert!(
            pmp.needs_write(&first),
            "a new break is a new configuration"
        );
    }

    fn process_with_ram(pmp: &Pmp) -> (Region, ProcessProtection) {
        let mut config = ProcessProtection::default();
        let ram = Region::new(0x8001_0000, 0x3000);
        pmp.set_flash(Region::new(0x2004_0000, 0x1000), &mut config)
            .unwrap();
        pmp.update_app_break(ram, 0x8001_1000, 0x8001_2c00, &mut config)
            .unwrap();
        (ram, config)
    }

    #[test]
    fn a_shared_buffer_is_reachable_to_the_byte_and_survives_a_new_break() {
        let pmp = Pmp::new();
        let (ram, mut config) = process_with_ram(&pmp);
        // Another process's buffers: a NAPOT one and a TOR one.
        let shared = [
            Region::new(0x8002_0840, 0x40),
            Region::new(0x8003_0104, 0x1c),
        ];
        pmp.set_shared_regions(&shared, &mut config).unwrap();
        for region in shared {
            let (start, end) = (region.start as u32, region.end() as u32);
            for address in [start, end - 1] {
                assert!(config.pmp().allows(address, Access::Write));
                assert!(!config.pmp().allows(address, Access::Execute));
            }
            assert!(!config.pmp().allows(start - 1, Access::Read), "{start:#x}");
            assert!(!config.pmp().allows(end, Access::Read), "{end:#x}");
        }
        pmp.update_app_break(ram, 0x8001_2000, 0x8001_2c00, &mut config)
            .unwrap();
        assert!(config.pmp().allows(0x8002_0840, Access::Write));
        assert!(config.pmp().allows(0x8001_1ffc, Access::Write), "own RAM");
        assert!(!config.pmp().allows(0x8001_2c00, Access::Read), "grants");
    }

    #[test]
    fn removing_shared_buffers_leaves_only_the_process_itself() {
        let pmp = Pmp::new();
        let (_, mut config) = process_with_ram(&pmp);
        let alone = config;
        pmp.set_shared_regions(&[Region::new(0x8002_0840, 0x40)], &mut config)
            .unwrap();
        assert!(pmp.needs_write(&config));
        pmp.set_shared_regions(&[], &mut config).unwrap();
        assert!(!config.pmp().allows(0x8002_0840, Access::Read));
        assert_eq!(config.pmp().addresses(), alone.pmp().addresses());
        assert_eq!(config.cfg_words, alone.cfg_words);
    }

    #[test]
    fn a_buffer_the_pmp_cannot_map_exactly_changes_nothing() {
        let pmp = Pmp::new();
        let (_, mut config) = process_with_ram(&pmp);
        let before = config;
        assert_eq!(
            pmp.set_shared_regions(&[Region::new(0x8002_0842, 0x40)], &mut config),
            Err(MemoryProtectionError::Unrepresentable)
        );
        let too_many = [Region::new(0x8002_0000, 0x40); MAX_SHARED_PER_PROCESS + 1];
        assert_eq!(
            pmp.set_shared_regions(&too_many, &mut config),
            Err(MemoryProtectionError::OutOfRegions)
        );
        assert_eq!(config, before);
    }

    #[test]
    fn ram_that_does_not_fit_is_refused() {
        let pmp = Pmp::new();
        let mut config = ProcessProtection::default();
        assert_eq!(
            pmp.allocate_ram(Region::new(0x8001_0000, 0x1000), 0x2000, &mut config),
            Err(MemoryProtectionError::DoesNotFit)
        );
        assert_eq!(
            pmp.allocate_ram(Region::new(0x8001_0002, 0x1000), 0x100, &mut config),
            Ok(Region::new(0x8001_0004, 0x100))
        );
    }
}
