//! Isolated non-volatile storage (driver 0x50004, feature
//! `isolated_storage`): one region per app write id in the eight erase
//! blocks from `ISOLATED_STORAGE_START`, kept across reboots, app updates
//! and removals (see `capsules::isolated_nonvolatile_storage`).
//!
//! ```text
//!  Pflash (blocking: read, program, erase) --+--> IsolatedNonvolatileStorage
//!  FlashJournal (rewrites that set bits)  ---'       (Kernel: write ids)
//! ```

use capsules::isolated_nonvolatile_storage::{IsolatedNonvolatileStorage, StorageArea};
use chip_qemu_virt::pflash::Pflash;
use kernel::deferred_call::DeferredCalls;
use kernel::flash_journal::FlashJournal;
use kernel::Kernel;
use kernel_abi::DriverNumber;

use crate::io::BoardCapability;
use crate::memory_map::{ISOLATED_STORAGE_REGIONS, ISOLATED_STORAGE_START};
use crate::static_init;

/// The driver over the pflash and the journal (which must cover the
/// storage area: `memory_map::JOURNAL_AREA_END`).
pub fn isolated_storage(
    kernel: &'static Kernel,
    flash: &'static Pflash,
    journal: &'static FlashJournal<'static, Pflash>,
    calls: &'static DeferredCalls,
) -> &'static IsolatedNonvolatileStorage<'static> {
    let grant = kernel.create_grant(
        DriverNumber::ISOLATED_NONVOLATILE_STORAGE.0,
        &BoardCapability,
    );
    let area = StorageArea {
        start: ISOLATED_STORAGE_START - flash.base(),
        count: ISOLATED_STORAGE_REGIONS,
    };
    let call = calls.allocate();
    let driver = static_init!(
        IsolatedNonvolatileStorage<'static>,
        IsolatedNonvolatileStorage::new(grant, kernel, (flash, journal), area, call)
    );
    call.register(driver);
    driver
}
