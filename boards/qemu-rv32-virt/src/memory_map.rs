//! The qemu-rv32-virt memory map (must match layout.ld and
//! docs/boards/qemu-rv32-virt.md): the one definition, compiled into both
//! the kernel board and its bootloader (`#[path]` include), so the two
//! never disagree on where apps, the journal or the entry word are.

#![allow(
    dead_code,
    reason = "shared by the board and its bootloader; each uses a part"
)]

/// Pflash unit 0: the reset vector (the bootloader) to the end of the bank.
pub const FLASH_START: usize = 0x2000_0000;
/// End of pflash unit 0 (32 MiB).
pub const FLASH_END: usize = 0x2200_0000;
/// The kernel starts here, after the bootloader's 32 KiB at the reset
/// vector (layout.ld; the bootloader jumps here).
pub const KERNEL_START: usize = 0x2000_8000;
/// Apps: a TBF chain from here to the trust store.
pub const APP_FLASH_START: usize = 0x2004_0000;
/// End of app flash: the kernel's areas follow (trust store, isolated
/// storage, flash journal, key-value store).
pub const APP_FLASH_END: usize = TRUST_STORE_START;
/// pflash's erase block.
pub const ERASE_BLOCK_BYTES: usize = 0x4_0000;
/// The kernel's trust store (signing keys, minimum versions, verified
/// digests): two erase blocks that survive kernel and app updates.
pub const TRUST_STORE_START: usize = ISOLATED_STORAGE_START - 2 * ERASE_BLOCK_BYTES; // 0x21C4_0000
/// Isolated non-volatile storage (driver 0x50004): eight erase blocks, one
/// region per app identity, kept across app updates.
pub const ISOLATED_STORAGE_START: usize = JOURNAL_RECORDS_START - 8 * ERASE_BLOCK_BYTES; // 0x21CC_0000
/// Regions of isolated storage.
pub const ISOLATED_STORAGE_REGIONS: usize = 8;
/// What the flash journal may rewrite, in the kernel and the bootloader
/// alike: app flash, the trust store and isolated storage (every block up
/// to its own records). The loader and app-state drivers check their own,
/// narrower ranges before they ask it.
pub const JOURNAL_AREA_START: usize = APP_FLASH_START;
/// End of what the flash journal may rewrite.
pub const JOURNAL_AREA_END: usize = JOURNAL_RECORDS_START;
/// The flash journal (`kernel::flash_journal`): its commit records,
/// then its spare block, 256 KiB each, just below the key-value store.
pub const JOURNAL_RECORDS_START: usize = JOURNAL_SPARE_START - 0x4_0000; // 0x21EC_0000
/// The journal's spare block: a copy of the block being rewritten.
pub const JOURNAL_SPARE_START: usize = KV_FLASH_START - 0x4_0000; // 0x21F0_0000
/// The key-value store (two 256 KiB erase blocks); the last block of
/// pflash unit 0 (0x21FC_0000..0x2200_0000) stays the test driver's
/// scratch block.
pub const KV_FLASH_START: usize = 0x21F4_0000;
/// Process RAM, above the kernel's 64 KiB.
pub const APP_RAM_START: usize = 0x8001_0000;
/// End of RAM with `-m 1M`.
pub const APP_RAM_END: usize = 0x8010_0000;
/// The bootloader's entry request word: the last 16 bytes of kernel
/// RAM, which layout.ld keeps out of every section.
pub const BOOTLOADER_ENTRY_REQUEST: usize = 0x8000_FFF0;
/// What the bootloader looks for there at reset ("boot load"); any other
/// value boots the kernel.
pub const BOOTLOADER_ENTRY_MAGIC: u32 = 0xB007_104D;
