//! [`MemoryProtection`] on the ARMv7-M MPU ([`Mpu`], with subregions) and
//! the ARMv6-M MPU ([`MpuV6m`], whole regions): a process may read and
//! execute its flash and read and write `[ram.start, app_break)` and the
//! buffers other processes shared with it ([`kernel::sharing`]), nothing
//! else. The kernel runs privileged with PRIVDEFENA set, so the MPU never
//! limits it. Both write the same RBAR/RASR pairs; they differ in the
//! region rules and in where a process's RAM may start.
//!
//! ```text
//!  regions 0..f   flash image, read + execute  (f <= FLASH_REGION_BUDGET)
//!  regions f..r   RAM below the break, read + write, execute-never
//!  regions r..s   shared buffers, read + write, execute-never
//!  regions s..8   disabled
//! ```
//!
//! A shared buffer is covered exactly, never a byte more: upstream's rule
//! (a power of two, aligned to its size, at least 32 bytes) always fits one
//! region; other 32-byte aligned buffers take as many as [`cover_with`]
//! needs, and one that does not fit the regions left is refused. Shared
//! regions take what the process's own RAM does not use: a later break
//! that needs one of them fails (NOMEM) while the buffer is shared.

use core::cell::Cell;
use core::marker::PhantomData;

use kernel::platform::{MemoryProtection, MemoryProtectionError, Permissions, Region};
use kernel::sharing::MAX_SHARED_PER_PROCESS;

use crate::mpu::{
    cover_with, round_up_to, MpuError, MpuRegion, RegionList, RegionRules, ARMV6M_RULES,
    ARMV7M_RULES, FLASH_REGION_BUDGET, REGION_COUNT,
};

/// MPU_CTRL: enable, with the default map for privileged code.
pub const MPU_CTRL_ENABLE_PRIVDEFENA: u32 = 0b101;

/// One process's protection: the register values the context switch
/// copies (the regions are decoded back from them when asked, so what is
/// checked is what the hardware gets).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessProtection {
    /// `(RBAR, RASR)` for each hardware region (RASR 0: disabled).
    registers: [(u32, u32); REGION_COUNT],
    /// Regions 0..flash_regions hold the flash image; RAM follows.
    flash_regions: u8,
    /// Regions after the flash's holding its own RAM (in the padding: the
    /// configuration does not grow).
    ram_regions: u8,
    /// Regions after those holding buffers other processes shared with it.
    shared_regions: u8,
    /// Unique per computed configuration (0: none yet).
    stamp: u32,
}

// The region counts fill what was padding: shared buffers cost no kernel
// RAM per process.
const _: () = assert!(core::mem::size_of::<ProcessProtection>() == 72);

impl ProcessProtection {
    /// Does the configuration allow an unprivileged `access` at `address`?
    pub fn allows(&self, address: u32, access: Permissions) -> bool {
        self.regions().any(|region| region.allows(address, access))
    }

    /// Hardware regions in use.
    pub fn regions_in_use(&self) -> usize {
        self.regions().count()
    }

    fn regions(&self) -> impl Iterator<Item = MpuRegion> + '_ {
        self.registers
            .iter()
            .filter_map(|(rbar, rasr)| MpuRegion::from_registers(*rbar, *rasr))
    }

    /// Writes `regions` from hardware region `first` on and disables every
    /// region after them.
    fn set_regions(&mut self, first: usize, regions: &RegionList) {
        for number in first..REGION_COUNT {
            // RBAR with VALID selects the region; RASR 0 disables it.
            self.registers[number] = ((1 << 4) | number as u32, 0);
        }
        self.write_regions(first, regions);
    }

    /// Writes `regions` from hardware region `first` on.
    fn write_regions(&mut self, first: usize, regions: &RegionList) {
        for (offset, region) in regions.iter().enumerate() {
            let number = first + offset;
            self.registers[number] = (region.rbar(number), region.rasr());
        }
    }
}

/// What differs between the MPUs of the two architectures.
pub trait MpuVariant {
    /// The regions the hardware has.
    const RULES: RegionRules;
    /// Granularity of every break: the kernel rounds breaks up to it.
    const GRANULE: usize;
    /// Where a process's RAM goes (see `mpu::ram_placement`).
    fn ram_placement(start: usize, end: usize, minimum_size: usize) -> Option<(usize, usize)>;
}

/// ARMv7-M: 32-byte granules, subregions.
pub struct ArmV7m;

impl MpuVariant for ArmV7m {
    const RULES: RegionRules = ARMV7M_RULES;
    const GRANULE: usize = ARMV7M_RULES.minimum_region_size();
    fn ram_placement(start: usize, end: usize, minimum_size: usize) -> Option<(usize, usize)> {
        crate::mpu::ram_placement(start, end, minimum_size)
    }
}

/// ARMv6-M: whole regions of 256 bytes or more, 512-byte breaks.
pub struct ArmV6m;

impl MpuVariant for ArmV6m {
    const RULES: RegionRules = ARMV6M_RULES;
    const GRANULE: usize = crate::mpu_v6m::GRANULE;
    fn ram_placement(start: usize, end: usize, minimum_size: usize) -> Option<(usize, usize)> {
        crate::mpu_v6m::ram_placement(start, end, minimum_size)
    }
}

/// An 8-region MPU following `V`'s rules.
pub struct RegionMpu<V: MpuVariant> {
    last_stamp: Cell<u32>,
    in_hardware: Cell<u32>,
    variant: PhantomData<V>,
}

/// The MPU of an ARMv7-M core (Cortex-M3/M4/M7) with 8 regions.
pub type Mpu = RegionMpu<ArmV7m>;
/// The MPU of an ARMv6-M core (Cortex-M0+) with 8 regions.
pub type MpuV6m = RegionMpu<ArmV6m>;
/// The MPU of the architecture this crate is built for ([`Mpu`] on the
/// host, where the tests exercise both explicitly).
#[cfg(not(armv6m))]
pub type ArchitectureMpu = Mpu;
/// The MPU of the architecture this crate is built for.
#[cfg(armv6m)]
pub type ArchitectureMpu = MpuV6m;

impl<V: MpuVariant> Default for RegionMpu<V> {
    fn default() -> Self {
        Self::new()
    }
}

fn map_error(error: MpuError) -> MemoryProtectionError {
    match error {
        MpuError::OutOfRegions => MemoryProtectionError::OutOfRegions,
        MpuError::InvalidRange | MpuError::Misaligned => MemoryProtectionError::Unrepresentable,
    }
}

fn to_u32(value: usize) -> Result<u32, MemoryProtectionError> {
    u32::try_from(value).map_err(|_| MemoryProtectionError::Unrepresentable)
}

impl<V: MpuVariant> RegionMpu<V> {
    /// The MPU.
    pub const fn new() -> Self {
        RegionMpu {
            last_stamp: Cell::new(0),
            in_hardware: Cell::new(0),
            variant: PhantomData,
        }
    }

    fn next_stamp(&self) -> u32 {
        let stamp = self.last_stamp.get().wrapping_add(1).max(1);
        self.last_stamp.set(stamp);
        stamp
    }

    /// True if `config` must be written (the hardware holds another one).
    pub fn needs_write(&self, config: &ProcessProtection) -> bool {
        config.stamp == 0 || config.stamp != self.in_hardware.get()
    }
}

impl<V: MpuVariant> MemoryProtection for RegionMpu<V> {
    type Config = ProcessProtection;

    fn granularity(&self) -> usize {
        V::GRANULE
    }

    fn allocate_ram(
        &self,
        available: Region,
        minimum_size: usize,
        _config: &mut ProcessProtection,
    ) -> Result<Region, MemoryProtectionError> {
        let (start, size) = V::ram_placement(available.start, available.end(), minimum_size)
            .ok_or(MemoryProtectionError::DoesNotFit)?;
        Ok(Region::new(start, size))
    }

    fn set_flash(
        &self,
        flash: Region,
        config: &mut ProcessProtection,
    ) -> Result<(), MemoryProtectionError> {
        // The image's ends are rounded out to the smallest region (32 bytes
        // on ARMv7-M, 256 on ARMv6-M): a few bytes of a neighbouring
        // image's header or footer may become readable, never writable.
        let granule = V::RULES.minimum_region_size();
        let start = flash.start & !(granule - 1);
        let end =
            round_up_to(flash.end(), granule).ok_or(MemoryProtectionError::Unrepresentable)?;
        let flash_regions = cover_with(
            V::RULES,
            to_u32(start)?,
            to_u32(end - start)?,
            Permissions::ReadExecute,
            FLASH_REGION_BUDGET,
        )
        .map_err(map_error)?;
        config.set_regions(0, &flash_regions);
        config.flash_regions = flash_regions.len() as u8;
        config.ram_regions = 0;
        config.shared_regions = 0;
        config.stamp = self.next_stamp();
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
        // The break rounded up to the granule, as the kernel rounds it when
        // it places grants (`granularity`); `brk` passes it rounded, but the
        // initial break (RAM start + the 32-byte frame) is not, and needs
        // it on ARMv6-M's 512-byte granule.
        let protected_end = round_up_to(app_break, V::GRANULE)
            .filter(|end| *end <= kernel_break)
            .ok_or(MemoryProtectionError::DoesNotFit)?;
        let first = usize::from(config.flash_regions);
        let shared = usize::from(config.shared_regions);
        let ram_regions = cover_with(
            V::RULES,
            to_u32(ram.start)?,
            to_u32(protected_end - ram.start)?,
            Permissions::ReadWrite,
            REGION_COUNT - first - shared,
        )
        .map_err(map_error)?;
        // The shared buffers' regions move up or down behind the new RAM
        // regions, register pair for register pair (only RBAR's region
        // number changes).
        let old_shared = first + usize::from(config.ram_regions);
        let carried = config.registers;
        config.set_regions(first, &ram_regions);
        let new_shared = first + ram_regions.len();
        for offset in 0..shared {
            let (rbar, rasr) = carried[old_shared + offset];
            let number = new_shared + offset;
            config.registers[number] = ((rbar & !0xf) | number as u32, rasr);
        }
        config.ram_regions = ram_regions.len() as u8;
        config.stamp = self.next_stamp();
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
        let mut updated = *config;
        let first = usize::from(config.flash_regions) + usize::from(config.ram_regions);
        updated.set_regions(first, &RegionList::default());
        let mut next = first;
        for region in regions {
            let covering = cover_with(
                V::RULES,
                to_u32(region.start)?,
                to_u32(region.size)?,
                Permissions::ReadWrite,
                REGION_COUNT - next,
            )
            .map_err(map_error)?;
            updated.write_regions(next, &covering);
            next += covering.len();
        }
        updated.shared_regions = (next - first) as u8;
        updated.stamp = self.next_stamp();
        *config = updated;
        Ok(())
    }

    fn configure_for_process(&self, config: &ProcessProtection) {
        if !self.needs_write(config) {
            return;
        }
        self.in_hardware.set(config.stamp);
        #[cfg(target_arch = "arm")]
        {
            use tock_registers::interfaces::Writeable;
            let scb = crate::registers::scb();
            for (rbar, rasr) in config.registers {
                scb.mpu_region_base_address.set(rbar);
                scb.mpu_region_attribute_and_size.set(rasr);
            }
        }
    }

    fn disable_user_regions(&self) {
        // Nothing to do: the kernel is privileged (PRIVDEFENA), and the next
        // `configure_for_process` rewrites all eight regions.
    }
}

/// Turns the MPU on with the privileged default map and no region.
#[cfg(target_arch = "arm")]
pub fn enable_mpu() {
    use tock_registers::interfaces::Writeable;
    let scb = crate::registers::scb();
    for number in 0..REGION_COUNT as u32 {
        scb.mpu_region_base_address.set((1 << 4) | number);
        scb.mpu_region_attribute_and_size.set(0);
    }
    scb.mpu_control.set(MPU_CTRL_ENABLE_PRIVDEFENA);
    // SAFETY: barriers only order the MPU writes before later accesses.
    unsafe { core::arch::asm!("dsb", "isb") };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_reaches_its_flash_and_ram_below_the_break_only() {
        let mpu = Mpu::new();
        let mut config = ProcessProtection::default();
        let ram = mpu
            .allocate_ram(Region::new(0x2001_0000, 0x10_0000), 0x2c00, &mut config)
            .unwrap();
        assert_eq!(ram, Region::new(0x2001_0000, 0x2c00));
        mpu.set_flash(Region::new(0x0004_0000, 0x1000), &mut config)
            .unwrap();
        mpu.update_app_break(ram, 0x2001_1020, 0x2001_2800, &mut config)
            .unwrap();
        assert!(config.allows(0x0004_0ffc, Permissions::ReadExecute));
        assert!(!config.allows(0x0004_1000, Permissions::ReadOnly));
        assert!(!config.allows(0x0004_0000, Permissions::ReadWrite));
        assert!(config.allows(0x2001_101c, Permissions::ReadWrite));
        assert!(
            !config.allows(0x2001_1020, Permissions::ReadOnly),
            "above the break"
        );
        assert!(
            !config.allows(0x2001_2800, Permissions::ReadOnly),
            "grant region"
        );
        assert!(
            !config.allows(0x2001_0000, Permissions::ReadExecute),
            "RAM is XN"
        );
        assert!(config.regions_in_use() <= REGION_COUNT);
        mpu.update_app_break(ram, 0x2001_1010, 0x2001_2800, &mut config)
            .unwrap();
        assert!(
            config.allows(0x2001_101c, Permissions::ReadWrite),
            "rounded up to 32 bytes"
        );
        assert_eq!(
            mpu.update_app_break(ram, 0x2001_27f0, 0x2001_27f8, &mut config),
            Err(MemoryProtectionError::DoesNotFit),
            "rounding would reach the grant region"
        );
        assert_eq!(
            mpu.update_app_break(ram, 0x2001_2900, 0x2001_2800, &mut config),
            Err(MemoryProtectionError::DoesNotFit)
        );
    }

    #[test]
    fn armv6m_process_gets_whole_regions_over_exactly_its_memory() {
        let mpu = MpuV6m::new();
        let mut config = ProcessProtection::default();
        assert_eq!(mpu.granularity(), 512);
        // 6 KiB asked after another process's 0x100 bytes: aligned to 8 KiB.
        let ram = mpu
            .allocate_ram(Region::new(0x2000_0100, 0x10_0000), 0x1800, &mut config)
            .unwrap();
        assert_eq!(ram, Region::new(0x2000_2000, 0x1800));
        mpu.set_flash(Region::new(0x0004_0000, 0x1000), &mut config)
            .unwrap();
        mpu.update_app_break(ram, 0x2000_2600, 0x2000_3400, &mut config)
            .unwrap();
        assert_eq!(config.regions_in_use(), 3, "4 KiB flash, 1 KiB + 512 RAM");
        assert!(config.allows(0x0004_0ffc, Permissions::ReadExecute));
        assert!(!config.allows(0x0004_1000, Permissions::ReadOnly));
        assert!(config.allows(0x2000_25fc, Permissions::ReadWrite));
        assert!(!config.allows(0x2000_2600, Permissions::ReadOnly));
        assert!(!config.allows(0x2000_1ffc, Permissions::ReadOnly));
        for region in config.regions() {
            assert_eq!(region.enabled_subregions, 0xff, "no subregions");
            assert!(region.size_log2 >= 8);
        }
        // The initial break, RAM start + 32, protects the first 512 bytes.
        mpu.update_app_break(ram, 0x2000_2020, 0x2000_3400, &mut config)
            .unwrap();
        assert!(config.allows(0x2000_21fc, Permissions::ReadWrite));
        assert!(!config.allows(0x2000_2200, Permissions::ReadOnly));
    }

    fn process_with_ram(mpu: &Mpu) -> (Region, ProcessProtection) {
        let mut config = ProcessProtection::default();
        let ram = Region::new(0x2001_0000, 0x2c00);
        mpu.set_flash(Region::new(0x0004_0000, 0x1000), &mut config)
            .unwrap();
        mpu.update_app_break(ram, 0x2001_1000, 0x2001_2800, &mut config)
            .unwrap();
        (ram, config)
    }

    #[test]
    fn an_aligned_shared_buffer_takes_one_region_covering_exactly_it() {
        let mpu = Mpu::new();
        let (ram, mut config) = process_with_ram(&mpu);
        let used = config.regions_in_use();
        // upstream's rot13 client: 64 bytes aligned to 64.
        let buffer = Region::new(0x2002_0840, 0x40);
        mpu.set_shared_regions(&[buffer], &mut config).unwrap();
        assert_eq!(config.regions_in_use(), used + 1);
        assert!(config.allows(0x2002_0840, Permissions::ReadWrite));
        assert!(config.allows(0x2002_087f, Permissions::ReadWrite));
        assert!(!config.allows(0x2002_0880, Permissions::ReadOnly));
        assert!(!config.allows(0x2002_083f, Permissions::ReadOnly));
        assert!(!config.allows(0x2002_0840, Permissions::ReadExecute), "XN");
        // A break that needs one more RAM region moves the shared one up.
        mpu.update_app_break(ram, 0x2001_1020, 0x2001_2800, &mut config)
            .unwrap();
        assert_eq!(config.regions_in_use(), used + 2);
        assert!(config.allows(0x2002_0840, Permissions::ReadWrite), "kept");
        assert!(!config.allows(0x2002_0880, Permissions::ReadOnly));
        assert!(config.allows(0x2001_101c, Permissions::ReadWrite));
        assert!(!config.allows(0x2001_1020, Permissions::ReadOnly));
        for (number, (rbar, _)) in config.registers.iter().enumerate() {
            assert_eq!(
                rbar & 0x1f,
                0x10 | number as u32,
                "RBAR selects its own region"
            );
        }
        mpu.update_app_break(ram, 0x2001_2000, 0x2001_2800, &mut config)
            .unwrap();
        assert!(config.allows(0x2002_0840, Permissions::ReadWrite), "kept");
        assert!(config.allows(0x2001_1ffc, Permissions::ReadWrite));
        mpu.set_shared_regions(&[], &mut config).unwrap();
        assert!(!config.allows(0x2002_0840, Permissions::ReadOnly));
    }

    #[test]
    fn a_shared_buffer_the_mpu_cannot_cover_exactly_changes_nothing() {
        let mpu = Mpu::new();
        let (_, mut config) = process_with_ram(&mpu);
        let before = config;
        assert_eq!(
            mpu.set_shared_regions(&[Region::new(0x2002_0844, 0x40)], &mut config),
            Err(MemoryProtectionError::Unrepresentable),
            "not on 32 bytes: mapping it would expose its neighbours"
        );
        // Starting 32 bytes past a power of two and ending 32 bytes short
        // of one, each needs five regions; the process has three left.
        let scattered = [
            Region::new(0x2002_0020, 0x3fc0),
            Region::new(0x2003_0020, 0x3fc0),
        ];
        assert_eq!(
            mpu.set_shared_regions(&scattered, &mut config),
            Err(MemoryProtectionError::OutOfRegions)
        );
        assert_eq!(config, before);
    }

    #[test]
    fn unused_regions_are_written_disabled_and_rewrites_are_skipped() {
        let mpu = Mpu::new();
        let mut config = ProcessProtection::default();
        mpu.set_flash(Region::new(0x0004_0000, 0x800), &mut config)
            .unwrap();
        assert_eq!(config.registers[7], ((1 << 4) | 7, 0));
        assert!(mpu.needs_write(&config));
        mpu.configure_for_process(&config);
        assert!(!mpu.needs_write(&config));
    }
}
