//! Board settings: where flash and apps are, the architecture, and
//! tockloader's app placement rules for the board.
//!
//! Settings come, in this order of precedence, from the command line, the
//! table of known boards below (same values as tockloader's for boards it
//! knows), and the bootloader's attributes.

use crate::error::{LoaderError, LoaderResult};

/// In which order tockloader lays out position-independent apps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppOrder {
    /// Keep the order: installed apps, then new ones.
    AsGiven,
    /// Largest first (Cortex-M, so MPU alignment wastes less).
    SizeDescending,
}

/// How tockloader rounds an app's total size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeConstraint {
    /// Keep the size.
    None,
    /// Round up to a power of two (Cortex-M MPU regions).
    PowersOfTwo,
}

/// Everything the loader needs to know about a board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    /// Board name as tockloader spells it (or ours).
    pub name: String,
    /// Architecture of the app images to pick from a TAB.
    pub arch: Option<String>,
    /// Absolute address of the first byte of flash (file offset 0 of a
    /// flash file).
    pub flash_address: u32,
    /// Flash size in bytes (the size of a flash file).
    pub flash_size: u32,
    /// Absolute address where the app chain starts.
    pub app_address: u32,
    /// Flash page size (erase and write unit on the device).
    pub page_size: u32,
    /// Start of app RAM, used to choose among fixed-address images.
    pub app_ram_address: Option<u32>,
    /// Order of position-independent apps.
    pub order: AppOrder,
    /// Size rounding of position-independent apps.
    pub size_constraint: SizeConstraint,
    /// Whether each app must start at a multiple of its size.
    pub align_to_size: bool,
    /// Flash after the app region that apps must never reach (a journal,
    /// a key-value store); `None` when apps may use flash to its end.
    pub reserved_after_apps: Option<ReservedFlash>,
}

/// Flash the board keeps for itself after app flash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservedFlash {
    /// Its first byte: where app flash ends.
    pub start: u32,
    /// What it holds, for messages.
    pub holds: &'static str,
}

const MIB: u32 = 1 << 20;

/// Our emulated board: QEMU `virt` with a 32 MiB CFI pflash at 0x20000000;
/// the kernel takes the first 256 KiB (one erase block), apps follow.
pub const QEMU_RV32_VIRT: &str = "qemu-rv32-virt";

impl Board {
    fn risc_v(name: &str, flash_address: u32, flash_size: u32, app_address: u32) -> Board {
        Board {
            name: name.to_string(),
            arch: Some("rv32imac".to_string()),
            flash_address,
            flash_size,
            app_address,
            page_size: 512,
            app_ram_address: None,
            order: AppOrder::AsGiven,
            size_constraint: SizeConstraint::None,
            align_to_size: false,
            reserved_after_apps: None,
        }
    }

    fn cortex_m(name: &str, arch: &str, page_size: u32, app_address: u32) -> Board {
        Board {
            name: name.to_string(),
            arch: Some(arch.to_string()),
            flash_address: 0,
            flash_size: MIB,
            app_address,
            page_size,
            app_ram_address: None,
            order: AppOrder::SizeDescending,
            size_constraint: SizeConstraint::PowersOfTwo,
            align_to_size: true,
            reserved_after_apps: None,
        }
    }

    /// A board from the known table.
    pub fn known(name: &str) -> Option<Board> {
        let board = match name {
            // App RAM from boards/qemu-rv32-virt/src/memory_map.rs: a
            // fixed-address build whose RAM lies below it cannot run.
            QEMU_RV32_VIRT => Board {
                app_ram_address: Some(0x8001_0000),
                // The trust store, isolated app storage, the flash
                // journal's records and spare blocks, then the key-value
                // store (boards/qemu-rv32-virt's memory map).
                reserved_after_apps: Some(ReservedFlash {
                    start: 0x21C4_0000,
                    holds: "the trust store, isolated app storage, the flash journal and the key-value store",
                }),
                ..Board::risc_v(name, 0x2000_0000, 32 * MIB, 0x2004_0000)
            },
            "hifive1b" => Board::risc_v(name, 0x2000_0000, 32 * MIB, 0x2004_0000),
            "qemu_rv32_virt" => Board {
                app_ram_address: Some(0x8030_0000),
                ..Board::risc_v(name, 0x8000_0000, 2 * MIB, 0x8010_0000)
            },
            "nrf52dk" => Board {
                app_ram_address: Some(0x2000_8000),
                ..Board::cortex_m(name, "cortex-m4", 4096, 0x40000)
            },
            "nrf52840dk" | "microbit_v2" | "particle_boron" => {
                Board::cortex_m(name, "cortex-m4", 4096, 0x40000)
            }
            "nrf51dk" => Board::cortex_m(name, "cortex-m0", 1024, 0x30000),
            // Flash mapped at 0x10000000 (XIP), 2 MiB; apps where
            // tockloader puts them.
            "raspberry_pi_pico" => Board {
                flash_address: 0x1000_0000,
                flash_size: 2 * MIB,
                ..Board::cortex_m(name, "cortex-m0", 4096, 0x1002_0000)
            },
            _ => return None,
        };
        Some(board)
    }

    /// Names in the known table.
    pub const KNOWN: &'static [&'static str] = &[
        QEMU_RV32_VIRT,
        "hifive1b",
        "qemu_rv32_virt",
        "nrf52dk",
        "nrf52840dk",
        "microbit_v2",
        "particle_boron",
        "nrf51dk",
        "raspberry_pi_pico",
    ];

    /// A board nobody described: tockloader's defaults (apps at 0x30000,
    /// flash at 0, no placement rules); `arch` must come from elsewhere.
    pub fn generic(name: &str) -> Board {
        Board {
            name: name.to_string(),
            arch: None,
            flash_address: 0,
            flash_size: 64 * MIB,
            app_address: 0x30000,
            page_size: 512,
            app_ram_address: None,
            order: AppOrder::AsGiven,
            size_constraint: SizeConstraint::None,
            align_to_size: false,
            reserved_after_apps: None,
        }
    }

    /// Apply an architecture's rules (Cortex-M: sorted, power-of-two sizes,
    /// aligned), as tockloader does when `--arch` names one.
    pub fn with_arch(mut self, arch: &str) -> Board {
        let cortex_m = arch.starts_with("cortex-m");
        self.arch = Some(arch.to_string());
        if cortex_m {
            self.order = AppOrder::SizeDescending;
            self.size_constraint = SizeConstraint::PowersOfTwo;
            self.align_to_size = true;
        }
        self
    }

    /// The architecture, or an error saying how to give it.
    pub fn require_arch(&self) -> LoaderResult<&str> {
        self.arch.as_deref().ok_or_else(|| LoaderError::Configuration {
            what: "architecture".to_string(),
            hint: format!(
                "board `{}` does not say which images to install; pass --arch (e.g. --arch rv32imac)",
                self.name
            ),
        })
    }

    /// One past the last flash byte.
    pub fn flash_end(&self) -> u64 {
        u64::from(self.flash_address) + u64::from(self.flash_size)
    }

    /// One past the last byte apps may use: the start of the board's
    /// reserved flash, or the end of flash.
    pub fn app_flash_end(&self) -> u64 {
        let reserved = self.reserved_after_apps.as_ref();
        reserved.map_or(self.flash_end(), |reserved| {
            u64::from(reserved.start).min(self.flash_end())
        })
    }

    /// What lies at and after `address` when it is past app flash, for
    /// messages: the board's reserved flash, or the end of flash.
    pub fn beyond_app_flash(&self) -> String {
        match &self.reserved_after_apps {
            Some(reserved) => format!(
                "{} ({:#x}..{:#x})",
                reserved.holds,
                reserved.start,
                self.flash_end()
            ),
            None => format!("the end of flash ({:#x})", self.flash_end()),
        }
    }

    /// Refuse a write of `length` bytes at `address` that is not inside
    /// app flash, naming what it would have overwritten.
    pub fn check_app_write(&self, address: u32, length: usize) -> LoaderResult<()> {
        let end = u64::from(address) + length as u64;
        if address >= self.app_address && end <= self.app_flash_end() {
            return Ok(());
        }
        let overwritten = if address < self.app_address {
            format!(
                "the kernel and what precedes app flash (below {:#x})",
                self.app_address
            )
        } else {
            self.beyond_app_flash()
        };
        Err(LoaderError::OutsideAppFlash {
            address,
            length,
            start: self.app_address,
            end: self.app_flash_end(),
            overwritten,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_board_resolves_and_apps_lie_in_flash() {
        for name in Board::KNOWN {
            let board = Board::known(name).unwrap();
            assert!(u64::from(board.app_address) < board.flash_end(), "{name}");
            assert!(board.app_address >= board.flash_address, "{name}");
        }
        assert_eq!(Board::known("no-such-board"), None);
    }

    #[test]
    fn cortex_m_arch_brings_tockloader_rules() {
        let board = Board::generic("custom").with_arch("cortex-m0");
        assert_eq!(board.order, AppOrder::SizeDescending);
        assert!(board.align_to_size);
        assert!(Board::generic("x").require_arch().is_err());
    }
}
