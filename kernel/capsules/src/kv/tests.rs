//! Host tests of the key-value driver over a fake flash: the upstream
//! interface, persistence, isolation between identities, compaction and
//! power cuts at every step of a write.

extern crate std;

use core::cell::RefCell;
use core::num::NonZeroU32;
use std::boxed::Box;
use std::vec::Vec;

use kernel::driver::SyscallDriver;
use kernel::hil::flash::Flash;
use kernel::identity::{ShortId, StoragePermissions};
use kernel::testing::{TestCapability, TestKernel};
use kernel::{CommandReturn, ErrorCode, ProcessId};

use super::fake_flash::FakeFlash;
use super::store::{LogStore, KEYS_PER_IDENTITY};
use super::{KeyValue, PermissionSource};
use crate::test_support::buffer;

const DRIVER: u32 = kernel_abi::DriverNumber::KV.0;
/// Pages per erase block in these tests: a header and seven records, so
/// compaction happens often.
const BLOCK_PAGES: usize = 8;

/// Process `n` stores under short id `n + 1`; process 3 has no storage.
struct FakePermissions;
impl PermissionSource for FakePermissions {
    fn storage_permissions(&self, process: ProcessId) -> StoragePermissions {
        match process.index {
            3 => StoragePermissions::NONE,
            index => StoragePermissions::own(ShortId(NonZeroU32::new(index as u32 + 1).unwrap())),
        }
    }
}

/// One boot of a device whose flash is `memory`.
struct Device {
    test: TestKernel,
    flash: &'static FakeFlash,
    kv: &'static KeyValue<'static>,
}

impl Device {
    fn boot(memory: &'static RefCell<Vec<u8>>) -> Device {
        let device = Device::boot_without_running(memory, None);
        device.run();
        device
    }

    fn boot_without_running(
        memory: &'static RefCell<Vec<u8>>,
        power_budget: Option<usize>,
    ) -> Device {
        Device::boot_with_blocks(memory, BLOCK_PAGES, power_budget)
    }

    fn boot_with_blocks(
        memory: &'static RefCell<Vec<u8>>,
        block_pages: usize,
        power_budget: Option<usize>,
    ) -> Device {
        let test = TestKernel::new(4, 4096);
        let flash = FakeFlash::new(memory, block_pages);
        flash.power_budget.set(power_budget);
        let store: &'static LogStore<'static> = Box::leak(Box::new(LogStore::new(
            flash,
            0,
            [buffer(512), buffer(512), buffer(512)],
        )));
        flash.set_client(store);
        let kv: &'static KeyValue<'static> = Box::leak(Box::new(KeyValue::new(
            store,
            test.kernel.create_grant(DRIVER, &TestCapability),
            &FakePermissions,
        )));
        store.set_client(kv);
        store.mount().unwrap();
        for index in 0..4 {
            test.subscribe(index, DRIVER, kv, 0);
        }
        Device { test, flash, kv }
    }

    fn run(&self) {
        while self.flash.complete() {}
    }

    /// Runs `command` for process `index` to its upcall: (status, length).
    fn request(&self, index: usize, command: u32, key: &[u8], value: &[u8]) -> (u32, u32) {
        self.start(index, command, key, value);
        self.run();
        let upcalls = self.test.take_upcalls(index);
        assert_eq!(upcalls.len(), 1, "one upcall per request");
        (upcalls[0].arguments[0], upcalls[0].arguments[1])
    }

    fn start(&self, index: usize, command: u32, key: &[u8], value: &[u8]) {
        self.test.allow_read_only(index, DRIVER, self.kv, 0, key);
        self.test.allow_read_only(index, DRIVER, self.kv, 1, value);
        assert_eq!(
            self.kv.command(command, 0, 0, self.test.process_id(index)),
            CommandReturn::success()
        );
    }

    fn set(&self, index: usize, key: &[u8], value: &[u8]) {
        assert_eq!(self.request(index, 2, key, value), (0, 0), "set {key:?}");
    }

    /// The value of `key` for process `index`, or the error status.
    fn get(&self, index: usize, key: &[u8]) -> Result<Vec<u8>, u32> {
        let (output, _) = self.test.allow_read_write(index, DRIVER, self.kv, 0, 64);
        match self.request(index, 1, key, b"") {
            (0, length) => Ok(self.test.read(output, length as usize)),
            (status, _) => Err(status),
        }
    }
}

const NO_SUCH_KEY: u32 = ErrorCode::NoSupport as u32;

#[test]
fn the_upstream_operations_behave_as_documented() {
    let device = Device::boot(FakeFlash::erased(2 * BLOCK_PAGES));
    assert_eq!(device.get(0, b"k"), Err(NO_SUCH_KEY));
    device.set(0, b"k", b"one");
    assert_eq!(device.get(0, b"k").unwrap(), b"one");
    assert_eq!(
        device.request(0, 4, b"k", b"x"),
        (NO_SUCH_KEY, 0),
        "add over a key"
    );
    assert_eq!(device.request(0, 5, b"k", b"two"), (0, 0), "update");
    assert_eq!(device.get(0, b"k").unwrap(), b"two");
    assert_eq!(device.request(0, 3, b"k", b""), (0, 0), "delete");
    assert_eq!(device.get(0, b"k"), Err(NO_SUCH_KEY));
    assert_eq!(
        device.request(0, 3, b"k", b""),
        (NO_SUCH_KEY, 0),
        "delete again"
    );
    assert_eq!(
        device.request(0, 5, b"k", b"x"),
        (NO_SUCH_KEY, 0),
        "update a missing key"
    );
    assert_eq!(device.request(0, 4, b"k", b"three"), (0, 0), "add");
    assert_eq!(device.get(0, b"k").unwrap(), b"three");
}

#[test]
fn bad_requests_get_clear_errors() {
    let device = Device::boot(FakeFlash::erased(2 * BLOCK_PAGES));
    assert_eq!(
        device.request(0, 2, b"", b"v").0,
        ErrorCode::Size as u32,
        "empty key"
    );
    assert_eq!(
        device.request(0, 2, &[b'k'; 65], b"v").0,
        ErrorCode::Size as u32
    );
    assert_eq!(
        device.request(0, 2, b"k", &[0; 433]).0,
        ErrorCode::Size as u32
    );
    assert_eq!(
        device.request(3, 2, b"k", b"v").0,
        ErrorCode::Inval as u32,
        "no write id"
    );
    let process = device.test.process_id(0);
    assert_eq!(
        device.kv.command(7, 0, 0, process),
        CommandReturn::failure(ErrorCode::NoSupport)
    );
    device.set(0, b"long", &[7; 100]);
    let (output, _) = device.test.allow_read_write(0, DRIVER, device.kv, 0, 10);
    assert_eq!(
        device.request(0, 1, b"long", b""),
        (ErrorCode::Size as u32, 100)
    );
    assert_eq!(device.test.read(output, 10), [7; 10]);
}

#[test]
fn values_survive_a_reboot() {
    let memory = FakeFlash::erased(2 * BLOCK_PAGES);
    let device = Device::boot(memory);
    device.set(0, b"counter", b"41");
    device.set(0, b"counter", b"42");
    device.set(1, b"secret", b"s");
    let device = Device::boot(memory);
    assert_eq!(device.get(0, b"counter").unwrap(), b"42");
    assert_eq!(device.get(1, b"secret").unwrap(), b"s");
}

#[test]
fn apps_cannot_read_or_change_each_others_keys() {
    let device = Device::boot(FakeFlash::erased(2 * BLOCK_PAGES));
    device.set(0, b"shared-name", b"zero's");
    assert_eq!(device.get(1, b"shared-name"), Err(NO_SUCH_KEY));
    assert_eq!(device.request(1, 3, b"shared-name", b""), (NO_SUCH_KEY, 0));
    assert_eq!(device.request(1, 5, b"shared-name", b"x"), (NO_SUCH_KEY, 0));
    device.set(1, b"shared-name", b"one's");
    assert_eq!(device.get(0, b"shared-name").unwrap(), b"zero's");
    assert_eq!(device.get(1, b"shared-name").unwrap(), b"one's");
    assert_eq!(device.get(3, b"shared-name"), Err(NO_SUCH_KEY));
}

#[test]
fn many_writes_compact_and_keep_every_newest_value() {
    let memory = FakeFlash::erased(2 * BLOCK_PAGES);
    let device = Device::boot(memory);
    for round in 0..20u8 {
        device.set(0, b"a", &[round]);
        device.set(1, b"b", &[round, round]);
        if round == 5 {
            assert_eq!(device.request(0, 3, b"a", b""), (0, 0));
            device.set(0, b"a", &[round]);
        }
    }
    assert_eq!(device.get(0, b"a").unwrap(), [19]);
    assert_eq!(device.get(1, b"b").unwrap(), [19, 19]);
    let device = Device::boot(memory);
    assert_eq!(device.get(0, b"a").unwrap(), [19]);
    assert_eq!(device.get(1, b"b").unwrap(), [19, 19]);
}

#[test]
fn a_full_store_says_no_memory() {
    let device = Device::boot(FakeFlash::erased(2 * BLOCK_PAGES));
    for key in 0..(BLOCK_PAGES as u8 - 1) {
        device.set(0, &[b'k', key], b"v");
    }
    assert_eq!(
        device.request(0, 2, b"one-too-many", b"v").0,
        ErrorCode::NoMem as u32
    );
    assert_eq!(device.get(0, &[b'k', 0]).unwrap(), b"v", "nothing lost");
}

/// Cuts the power at every write and erase of one `set` (including the
/// compaction it triggers), reboots, and reads: the old value or the
/// new one, and every other key intact.
#[test]
fn a_power_cut_at_any_step_leaves_the_old_or_the_new_value() {
    let template = FakeFlash::erased(2 * BLOCK_PAGES);
    let device = Device::boot(template);
    device.set(1, b"other", b"kept");
    // Seven records fill the block: the next set compacts first.
    for round in 0..6u8 {
        device.set(0, b"k", &[b'v', round]);
    }
    let old = [b'v', 5];
    let mut outcomes = [0usize; 2];
    let mut finished_at = None;
    for budget in 0..24 {
        let memory: &'static RefCell<Vec<u8>> =
            Box::leak(Box::new(RefCell::new(template.borrow().clone())));
        let device = Device::boot_without_running(memory, None);
        device.run();
        device.flash.power_budget.set(Some(budget));
        device.start(0, 2, b"k", b"new");
        device.run();
        let finished = !device.flash.dead.get();
        let device = Device::boot(memory);
        let value = device.get(0, b"k").unwrap();
        assert!(
            value == old || value == b"new",
            "cut after {budget} operations: read {value:?}"
        );
        if finished {
            finished_at.get_or_insert(budget);
            assert_eq!(value, b"new", "a completed set is kept");
        }
        outcomes[usize::from(value == b"new")] += 1;
        assert_eq!(device.get(1, b"other").unwrap(), b"kept");
    }
    assert!(
        outcomes[0] > 0 && outcomes[1] > 0,
        "both outcomes seen: {outcomes:?}"
    );
    assert!(
        finished_at.is_some_and(|budget| budget > 3),
        "the set compacted (erase, copies, header, record) and finished within the budgets tried"
    );
}

#[test]
fn garbage_collection_keeps_every_live_value() {
    let memory = FakeFlash::erased(2 * BLOCK_PAGES);
    let device = Device::boot(memory);
    for round in 0..3u8 {
        device.set(0, b"a", &[round]);
    }
    device.set(1, b"b", b"kept");
    assert_eq!(device.request(0, 3, b"a", b""), (0, 0));
    assert_eq!(device.request(1, 6, b"", b""), (0, 0), "collect");
    let header = |block: usize| memory.borrow()[block * BLOCK_PAGES * 512 + 4];
    assert_eq!(
        (header(0), header(1)),
        (1, 2),
        "block 1 is now the active one"
    );
    let device = Device::boot(memory);
    assert_eq!(device.get(0, b"a"), Err(NO_SUCH_KEY));
    assert_eq!(device.get(1, b"b").unwrap(), b"kept");
    for round in 0..(BLOCK_PAGES as u8) {
        device.set(0, b"a", &[round]);
    }
    assert_eq!(device.get(0, b"a").unwrap(), [BLOCK_PAGES as u8 - 1]);
}

const NO_MEMORY: u32 = ErrorCode::NoMem as u32;

/// A store large enough for every quota (128 pages per block).
fn large_device(memory: &'static RefCell<Vec<u8>>) -> Device {
    let device = Device::boot_with_blocks(memory, 128, None);
    device.run();
    device
}

#[test]
fn an_identity_over_its_key_quota_gets_no_memory_at_once() {
    let memory = FakeFlash::erased(2 * 128);
    let device = large_device(memory);
    for key in 0..KEYS_PER_IDENTITY as u8 {
        device.set(0, &[b'k', key], b"v");
    }
    let before = device.flash.operations.get();
    for key in 0..50u8 {
        assert_eq!(device.request(0, 2, &[b'n', key], b"v").0, NO_MEMORY);
    }
    assert_eq!(
        device.flash.operations.get(),
        before,
        "a write over quota touches no flash"
    );
    device.set(0, &[b'k', 0], b"replaced");
    device.set(1, b"other-app", b"still room");
    assert_eq!(device.request(0, 3, &[b'k', 1], b""), (0, 0), "delete");
    device.set(0, b"after-delete", b"v");
    let device = large_device(memory);
    assert_eq!(
        device.request(0, 2, b"after-reboot", b"v").0,
        NO_MEMORY,
        "the quota is rebuilt at mount"
    );
    assert_eq!(device.get(0, &[b'k', 0]).unwrap(), b"replaced");
}

/// A hostile app can cost the store bounded flash work: every flash
/// callback starts at most one operation (the fake refuses a second), a
/// refused write costs none, and repeating a compaction with nothing
/// written since costs none.
#[test]
fn a_hostile_app_cannot_make_the_store_repeat_work() {
    let memory = FakeFlash::erased(2 * BLOCK_PAGES);
    let device = Device::boot(memory);
    for round in 0..40u8 {
        device.set(0, &[b'k', round % 4], &[round]);
    }
    assert_eq!(device.request(0, 6, b"", b""), (0, 0), "collect");
    let before = device.flash.operations.get();
    for _ in 0..20 {
        assert_eq!(device.request(0, 6, b"", b""), (0, 0), "collect again");
    }
    assert_eq!(device.flash.operations.get(), before);
    for round in 0..40u8 {
        device.set(0, &[b'k', round % 4], &[round]);
        let start = device.flash.operations.get();
        device.start(0, 1, &[b'k', round % 4], b"");
        let mut steps = 0;
        while device.flash.complete() {
            steps += 1;
        }
        device.test.take_upcalls(0);
        assert!(
            device.flash.operations.get() - start <= BLOCK_PAGES,
            "a lookup reads each page at most once"
        );
        assert!(steps <= BLOCK_PAGES);
    }
}
