//! [`MemoryProtection`] on the ARMv7-M MPU: a process may read and execute
//! its flash and read and write `[ram.start, app_break)`, nothing else.
//! The kernel runs privileged with PRIVDEFENA set, so the MPU never
//! limits it.
//!
//! ```text
//!  regions 0..f   flash image, read + execute  (f <= FLASH_REGION_BUDGET)
//!  regions f..r   RAM below the break, read + write, execute-never
//!  regions r..8   disabled
//! ```

use core::cell::Cell;

use kernel::platform::{MemoryProtection, MemoryProtectionError, Permissions, Region};

use crate::mpu::{
    cover, ram_placement, round_up_to_granule, MpuError, MpuRegion, RegionList,
    FLASH_REGION_BUDGET, MINIMUM_REGION_SIZE, REGION_COUNT,
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
    /// Unique per computed configuration (0: none yet).
    stamp: u32,
}

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
        for (offset, region) in regions.iter().enumerate() {
            let number = first + offset;
            self.registers[number] = (region.rbar(number), region.rasr());
        }
    }
}

/// The MPU of an ARMv7-M core with 8 regions.
#[derive(Default)]
pub struct Mpu {
    last_stamp: Cell<u32>,
    in_hardware: Cell<u32>,
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

impl Mpu {
    /// The MPU.
    pub const fn new() -> Self {
        Mpu {
            last_stamp: Cell::new(0),
            in_hardware: Cell::new(0),
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

impl MemoryProtection for Mpu {
    type Config = ProcessProtection;

    fn granularity(&self) -> usize {
        MINIMUM_REGION_SIZE
    }

    fn allocate_ram(
        &self,
        available: Region,
        minimum_size: usize,
        _config: &mut ProcessProtection,
    ) -> Result<Region, MemoryProtectionError> {
        let (start, size) = ram_placement(available.start, available.end(), minimum_size)
            .ok_or(MemoryProtectionError::DoesNotFit)?;
        Ok(Region::new(start, size))
    }

    fn set_flash(
        &self,
        flash: Region,
        config: &mut ProcessProtection,
    ) -> Result<(), MemoryProtectionError> {
        // The image's ends are rounded out to 32 bytes: at most 28 bytes of
        // a neighbouring image's header or footer become readable.
        let start = flash.start & !(MINIMUM_REGION_SIZE - 1);
        let end = round_up_to_granule(flash.end()).ok_or(MemoryProtectionError::Unrepresentable)?;
        let flash_regions = cover(
            to_u32(start)?,
            to_u32(end - start)?,
            Permissions::ReadExecute,
            FLASH_REGION_BUDGET,
        )
        .map_err(map_error)?;
        config.set_regions(0, &flash_regions);
        config.flash_regions = flash_regions.len() as u8;
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
        // Exactly the break: the kernel rounds breaks to the granule first.
        if !app_break.is_multiple_of(MINIMUM_REGION_SIZE) {
            return Err(MemoryProtectionError::Unrepresentable);
        }
        let first = usize::from(config.flash_regions);
        let budget = REGION_COUNT - first;
        let ram_regions = cover(
            to_u32(ram.start)?,
            to_u32(app_break - ram.start)?,
            Permissions::ReadWrite,
            budget,
        )
        .map_err(map_error)?;
        config.set_regions(first, &ram_regions);
        config.stamp = self.next_stamp();
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
        assert_eq!(
            mpu.update_app_break(ram, 0x2001_1010, 0x2001_2800, &mut config),
            Err(MemoryProtectionError::Unrepresentable)
        );
        assert_eq!(
            mpu.update_app_break(ram, 0x2001_2900, 0x2001_2800, &mut config),
            Err(MemoryProtectionError::DoesNotFit)
        );
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
