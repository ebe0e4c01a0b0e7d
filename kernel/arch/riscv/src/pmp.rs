//! Physical memory protection (PMP): the region math, pure and host-tested,
//! and (on riscv32) the write of a computed configuration to the CSRs.
//!
//! A process gets exactly two regions: its flash (read + execute) and its
//! RAM from the start up to its break (read + write). Everything else,
//! MMIO included, is denied to U-mode because no entry matches it. No entry
//! is ever locked, so machine mode (the kernel) is never restricted.
//!
//! Encoding (privileged spec §3.7): `pmpaddrN` holds `address >> 2`.
//!
//! ```text
//!  TOR   : entry i matches pmpaddr[i-1] <= a < pmpaddr[i]   (2 entries,
//!          or 1 when the previous entry already ends at the start)
//!  NAPOT : base aligned to size, size = 2^k >= 8:
//!          pmpaddr = (base | (size/2 - 1)) >> 2              (1 entry)
//! ```

/// Number of PMP entries on QEMU's `virt` harts.
pub const ENTRY_COUNT: usize = 16;

const CFG_READ: u8 = 1 << 0;
const CFG_WRITE: u8 = 1 << 1;
const CFG_EXECUTE: u8 = 1 << 2;
const CFG_TOR: u8 = 1 << 3;
const CFG_NAPOT: u8 = 3 << 3;
const CFG_MODE_MASK: u8 = 3 << 3;

/// What U-mode may do in a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permissions {
    /// Code: the process's flash.
    ReadExecute,
    /// Data: the process's RAM below its break.
    ReadWrite,
    /// Read-only data.
    ReadOnly,
}

impl Permissions {
    const fn bits(self) -> u8 {
        match self {
            Permissions::ReadExecute => CFG_READ | CFG_EXECUTE,
            Permissions::ReadWrite => CFG_READ | CFG_WRITE,
            Permissions::ReadOnly => CFG_READ,
        }
    }
}

/// The kind of access U-mode attempts, for [`PmpConfig::allows`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Load.
    Read,
    /// Store.
    Write,
    /// Instruction fetch.
    Execute,
}

/// Why a region cannot be expressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PmpError {
    /// The region has no bytes.
    Empty,
    /// Start or size is not a multiple of 4, the PMP granule.
    Misaligned {
        /// The region's start.
        start: u32,
        /// The region's size.
        size: u32,
    },
    /// The region runs past the end of the 32-bit address space.
    Overflow,
    /// All [`ENTRY_COUNT`] entries are in use.
    OutOfEntries,
}

/// A complete PMP configuration: what goes into `pmpcfg0..3` and
/// `pmpaddr0..N`. Unused entries are OFF (match nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PmpConfig {
    cfg: [u8; ENTRY_COUNT],
    addr: [u32; ENTRY_COUNT],
    used: u8,
    /// Entries from here to `used` are standalone regions (see
    /// [`PmpConfig::add_standalone_region`]); before it, the process's own.
    standalone_from: u8,
}

// Standalone regions live in the entries, not in extra fields: the
// per-process configuration (kernel RAM per process) does not grow.
const _: () = assert!(core::mem::size_of::<PmpConfig>() == 84);

impl Default for PmpConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl PmpConfig {
    /// A configuration that allows U-mode nothing.
    pub const fn new() -> Self {
        PmpConfig {
            cfg: [0; ENTRY_COUNT],
            addr: [0; ENTRY_COUNT],
            used: 0,
            standalone_from: 0,
        }
    }

    /// A process's configuration: `flash` read-execute, `ram_start..brk`
    /// read-write. An empty RAM part (break at the start) adds no entry.
    pub fn for_process(
        flash_start: u32,
        flash_size: u32,
        ram_start: u32,
        brk: u32,
    ) -> Result<Self, PmpError> {
        let mut config = PmpConfig::new();
        config.add_region(flash_start, flash_size, Permissions::ReadExecute)?;
        if brk > ram_start {
            config.add_region(ram_start, brk - ram_start, Permissions::ReadWrite)?;
        }
        Ok(config)
    }

    /// Entries in use.
    pub const fn used_entries(&self) -> usize {
        self.used as usize
    }

    /// Adds `start..start+size` with `permissions`: one NAPOT entry when
    /// the region is a naturally aligned power of two, else TOR. The
    /// process's own regions come first: once a standalone region is
    /// added, this refuses (`OutOfEntries`).
    pub fn add_region(
        &mut self,
        start: u32,
        size: u32,
        permissions: Permissions,
    ) -> Result<(), PmpError> {
        let end = checked_end(start, size)?;
        if self.standalone_from != self.used {
            return Err(PmpError::OutOfEntries);
        }
        if is_napot(start, size) {
            self.push(
                (start | (size / 2 - 1)) >> 2,
                CFG_NAPOT | permissions.bits(),
            )?;
        } else {
            // TOR takes its lower bound from the previous entry's address.
            let used = usize::from(self.used);
            let previous_bound = match used {
                0 => Some(0),
                n if self.cfg[n - 1] & CFG_MODE_MASK != CFG_NAPOT => Some(self.addr[n - 1] << 2),
                _ => None,
            };
            if previous_bound != Some(start) {
                self.push(start >> 2, 0)?;
            }
            self.push(end >> 2, CFG_TOR | permissions.bits())?;
        }
        self.standalone_from = self.used;
        Ok(())
    }

    /// Adds `start..start+size` after everything else as a region of its
    /// own: one NAPOT entry, or an OFF entry holding its start followed by
    /// its TOR entry. It never takes a bound from the entry before it, so
    /// it can be carried over unchanged when the regions before it change
    /// ([`PmpConfig::with_standalone_regions_of`]).
    ///
    /// ```text
    ///  | own regions ... | NAPOT (base|size/2-1) | OFF start>>2 , TOR end>>2 | off ...
    ///                    ^ standalone_from
    /// ```
    pub fn add_standalone_region(
        &mut self,
        start: u32,
        size: u32,
        permissions: Permissions,
    ) -> Result<(), PmpError> {
        let end = checked_end(start, size)?;
        if is_napot(start, size) {
            return self.push(
                (start | (size / 2 - 1)) >> 2,
                CFG_NAPOT | permissions.bits(),
            );
        }
        if usize::from(self.used) + 2 > ENTRY_COUNT {
            return Err(PmpError::OutOfEntries);
        }
        self.push(start >> 2, 0)?;
        self.push(end >> 2, CFG_TOR | permissions.bits())
    }

    /// This configuration's own regions followed by the standalone regions
    /// of `previous` (entry for entry: they depend on no entry before them).
    pub fn with_standalone_regions_of(mut self, previous: &PmpConfig) -> Result<Self, PmpError> {
        let first = usize::from(previous.standalone_from);
        for index in first..usize::from(previous.used) {
            self.push(previous.addr[index], previous.cfg[index])?;
        }
        Ok(self)
    }

    /// This configuration without its standalone regions.
    pub fn without_standalone_regions(mut self) -> Self {
        let first = usize::from(self.standalone_from);
        self.cfg[first..].fill(0);
        self.addr[first..].fill(0);
        self.used = self.standalone_from;
        self
    }

    fn push(&mut self, addr: u32, cfg: u8) -> Result<(), PmpError> {
        let used = usize::from(self.used);
        if used == ENTRY_COUNT {
            return Err(PmpError::OutOfEntries);
        }
        self.addr[used] = addr;
        self.cfg[used] = cfg;
        self.used += 1;
        Ok(())
    }

    /// The four `pmpcfg` words (rv32 packs four entries per word).
    pub fn cfg_words(&self) -> [u32; ENTRY_COUNT / 4] {
        let mut words = [0; ENTRY_COUNT / 4];
        for (index, byte) in self.cfg.iter().enumerate() {
            words[index / 4] |= u32::from(*byte) << ((index % 4) * 8);
        }
        words
    }

    /// The `pmpaddr` values of the entries in use.
    pub fn addresses(&self) -> &[u32] {
        &self.addr[..usize::from(self.used)]
    }

    /// Whether U-mode may perform `access` at byte `address`, evaluated the
    /// way the hardware does: the lowest-numbered matching entry decides,
    /// and no match denies.
    pub fn allows(&self, address: u32, access: Access) -> bool {
        let wanted = match access {
            Access::Read => CFG_READ,
            Access::Write => CFG_WRITE,
            Access::Execute => CFG_EXECUTE,
        };
        let address = u64::from(address);
        for index in 0..usize::from(self.used) {
            let cfg = self.cfg[index];
            let this = u64::from(self.addr[index]) << 2;
            let matched = match cfg & CFG_MODE_MASK {
                CFG_TOR => {
                    let low = if index == 0 {
                        0
                    } else {
                        u64::from(self.addr[index - 1]) << 2
                    };
                    low <= address && address < this
                }
                CFG_NAPOT => {
                    let trailing_ones = u64::from((!self.addr[index]).trailing_zeros());
                    let size = 8u64 << trailing_ones;
                    let base = this & !(size - 1);
                    base <= address && address < base + size
                }
                _ => false,
            };
            if matched {
                return cfg & wanted != 0;
            }
        }
        false
    }

    /// Writes this configuration to the hardware: the address registers
    /// first, then all four cfg words (so stale entries of a previous
    /// process are switched off in the same step). `words` must be
    /// [`PmpConfig::cfg_words`] of `self`, computed once in advance.
    #[cfg(target_arch = "riscv32")]
    pub fn write_to_hardware_with(&self, words: &[u32; ENTRY_COUNT / 4]) {
        for (index, addr) in self.addresses().iter().enumerate() {
            write_pmpaddr(index, *addr);
        }
        // SAFETY: pmpcfg writes only change what U-mode may access; no
        // entry is locked, so machine mode (running this code) is unaffected.
        unsafe {
            core::arch::asm!(
                "csrw pmpcfg0, {0}",
                "csrw pmpcfg1, {1}",
                "csrw pmpcfg2, {2}",
                "csrw pmpcfg3, {3}",
                in(reg) words[0], in(reg) words[1], in(reg) words[2], in(reg) words[3],
            );
        }
    }
}

/// The end of `start..start+size` if the PMP can express it (4-byte
/// granules, not empty, inside the address space).
fn checked_end(start: u32, size: u32) -> Result<u32, PmpError> {
    if size == 0 {
        return Err(PmpError::Empty);
    }
    if !start.is_multiple_of(4) || !size.is_multiple_of(4) {
        return Err(PmpError::Misaligned { start, size });
    }
    start.checked_add(size).ok_or(PmpError::Overflow)
}

/// Can one NAPOT entry express it (a power of two of 8 bytes or more,
/// aligned to its size)?
fn is_napot(start: u32, size: u32) -> bool {
    size >= 8 && size.is_power_of_two() && start.is_multiple_of(size)
}

#[cfg(target_arch = "riscv32")]
fn write_pmpaddr(index: usize, value: u32) {
    macro_rules! write_csr {
        ($($n:literal),*) => {
            match index {
                $($n => {
                    // SAFETY: see `write_to_hardware`: unlocked entries
                    // never restrict machine mode.
                    unsafe { core::arch::asm!(concat!("csrw pmpaddr", $n, ", {0}"), in(reg) value) }
                })*
                _ => {}
            }
        };
    }
    write_csr!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_exact(config: &PmpConfig, start: u32, end: u32, permissions: Permissions) {
        let (read, write, execute) = match permissions {
            Permissions::ReadExecute => (true, false, true),
            Permissions::ReadWrite => (true, true, false),
            Permissions::ReadOnly => (true, false, false),
        };
        for address in [start, start + 1, end - 1, start + (end - start) / 2] {
            assert_eq!(config.allows(address, Access::Read), read, "{address:#x}");
            assert_eq!(config.allows(address, Access::Write), write, "{address:#x}");
            assert_eq!(config.allows(address, Access::Execute), execute);
        }
    }

    fn denied(config: &PmpConfig, address: u32) -> bool {
        !config.allows(address, Access::Read)
            && !config.allows(address, Access::Write)
            && !config.allows(address, Access::Execute)
    }

    #[test]
    fn process_gets_exactly_its_flash_and_ram_below_break() {
        let config = PmpConfig::for_process(0x2004_0000, 0x1234, 0x8001_0000, 0x8001_0a00).unwrap();
        check_exact(&config, 0x2004_0000, 0x2004_1234, Permissions::ReadExecute);
        check_exact(&config, 0x8001_0000, 0x8001_0a00, Permissions::ReadWrite);
        for address in [
            0x0,
            0x10_0000,
            0x1000_0000,
            0x2000_0000,
            0x2003_fffc,
            0x2004_1234,
            0x7fff_fffc,
            0x8000_0000,
            0x8000_fffc,
            0x8001_0a00,
            0xffff_fffc,
        ] {
            assert!(denied(&config, address), "{address:#x} must be denied");
        }
        // Two TOR pairs: four entries, the rest off.
        assert_eq!(config.used_entries(), 4);
        assert_eq!(config.cfg_words()[1..], [0, 0, 0]);
    }

    #[test]
    fn aligned_power_of_two_uses_one_napot_entry() {
        let mut config = PmpConfig::new();
        config
            .add_region(0x8001_0000, 0x1000, Permissions::ReadWrite)
            .unwrap();
        assert_eq!(config.used_entries(), 1);
        assert_eq!(config.addresses(), &[(0x8001_0000 | 0x7ff) >> 2]);
        check_exact(&config, 0x8001_0000, 0x8001_1000, Permissions::ReadWrite);
        assert!(denied(&config, 0x8000_fffc));
        assert!(denied(&config, 0x8001_1000));
        // A following TOR region needs its own lower bound after a NAPOT.
        config
            .add_region(0x2004_0000, 0x300, Permissions::ReadExecute)
            .unwrap();
        assert_eq!(config.used_entries(), 3);
        check_exact(&config, 0x2004_0000, 0x2004_0300, Permissions::ReadExecute);
    }

    #[test]
    fn contiguous_tor_regions_share_a_bound() {
        let mut config = PmpConfig::new();
        config
            .add_region(0x100, 0x104, Permissions::ReadOnly)
            .unwrap();
        config
            .add_region(0x204, 0x10, Permissions::ReadWrite)
            .unwrap();
        assert_eq!(config.used_entries(), 3);
        check_exact(&config, 0x100, 0x204, Permissions::ReadOnly);
        check_exact(&config, 0x204, 0x214, Permissions::ReadWrite);
    }

    #[test]
    fn first_tor_region_at_zero_needs_one_entry() {
        let mut config = PmpConfig::new();
        config.add_region(0, 0x24, Permissions::ReadOnly).unwrap();
        assert_eq!(config.used_entries(), 1);
        check_exact(&config, 0, 0x24, Permissions::ReadOnly);
    }

    #[test]
    fn bad_regions_are_refused_with_a_reason() {
        let mut config = PmpConfig::new();
        assert_eq!(
            config.add_region(0x100, 0, Permissions::ReadOnly),
            Err(PmpError::Empty)
        );
        assert_eq!(
            config.add_region(0x102, 0x10, Permissions::ReadOnly),
            Err(PmpError::Misaligned {
                start: 0x102,
                size: 0x10
            })
        );
        assert_eq!(
            config.add_region(0xffff_fff0, 0x20, Permissions::ReadOnly),
            Err(PmpError::Overflow)
        );
        for index in 0..8 {
            config
                .add_region(index * 0x100 + 4, 0x10, Permissions::ReadOnly)
                .unwrap();
        }
        assert_eq!(
            config.add_region(0x1_0000, 0x10, Permissions::ReadOnly),
            Err(PmpError::OutOfEntries)
        );
    }

    #[test]
    fn a_standalone_region_right_after_own_ram_takes_its_own_bound() {
        let mut config =
            PmpConfig::for_process(0x2004_0000, 0x100, 0x8001_0000, 0x8001_0a00).unwrap();
        // Another process's buffer starting where this one's RAM ends.
        config
            .add_standalone_region(0x8001_0a00, 0x24, Permissions::ReadWrite)
            .unwrap();
        check_exact(&config, 0x8001_0a00, 0x8001_0a24, Permissions::ReadWrite);
        // New own regions: the buffer is carried over byte for byte.
        let moved = PmpConfig::for_process(0x2004_0000, 0x100, 0x8001_0000, 0x8001_0400)
            .unwrap()
            .with_standalone_regions_of(&config)
            .unwrap();
        check_exact(&moved, 0x8001_0000, 0x8001_0400, Permissions::ReadWrite);
        check_exact(&moved, 0x8001_0a00, 0x8001_0a24, Permissions::ReadWrite);
        assert!(denied(&moved, 0x8001_0400));
        assert!(denied(&moved, 0x8001_09fc));
        assert!(denied(&moved, 0x8001_0a24));
        let alone = moved.without_standalone_regions();
        assert!(denied(&alone, 0x8001_0a00));
        assert_eq!(alone.used_entries(), 2, "two NAPOT entries");
        assert_eq!(alone.cfg_words()[1..], [0, 0, 0]);
    }

    #[test]
    fn own_regions_cannot_follow_standalone_ones() {
        let mut config = PmpConfig::new();
        config
            .add_standalone_region(0x8002_0000, 0x40, Permissions::ReadWrite)
            .unwrap();
        assert_eq!(
            config.add_region(0x8001_0000, 0x40, Permissions::ReadWrite),
            Err(PmpError::OutOfEntries)
        );
    }

    #[test]
    fn break_at_ram_start_grants_no_ram() {
        let config = PmpConfig::for_process(0x2004_0000, 0x800, 0x8001_0000, 0x8001_0000).unwrap();
        assert!(denied(&config, 0x8001_0000));
        assert_eq!(config.used_entries(), 1); // 0x800 at 0x20040000 is NAPOT
    }

    #[test]
    fn many_sizes_are_exact() {
        for size in (4..0x400).step_by(4) {
            for start in [0x8001_0000u32, 0x8001_0004, 0x8001_0100] {
                let config =
                    PmpConfig::for_process(0x2004_0000, 0x100, start, start + size).unwrap();
                check_exact(&config, start, start + size, Permissions::ReadWrite);
                assert!(denied(&config, start - 4));
                assert!(denied(&config, start + size));
            }
        }
    }
}
