//! Host tests of the app-state driver over a fake flash bank: upstream's
//! interface, the range checks, the choice between programming and the
//! journal, queueing, and what a power cut leaves.

extern crate std;

use core::cell::RefCell;
use std::boxed::Box;
use std::vec::Vec;

use kernel::deferred_call::DeferredCalls;
use kernel::driver::SyscallDriver;
use kernel::flash_journal::{BlockRewrite, JournalError};
use kernel::hil::flash::Flash;
use kernel::platform::Region;
use kernel::testing::{TestCapability, TestKernel};
use kernel::{CommandReturn, ErrorCode, Kernel, ProcessId};

use super::{AppState, FlashContents, ProcessImages, MAX_WRITE_BYTES};
use crate::kv::fake_flash::FakeFlash;
use crate::test_support::buffer;

const DRIVER: u32 = kernel_abi::DriverNumber::APP_STATE.0;
/// Where the fake bank is "mapped".
const BANK: usize = 0x2000_0000;
/// 512-byte pages, four to an erase block: 4 KiB in all.
const PAGES: usize = 8;
const BLOCK_PAGES: usize = 4;
/// Process 0 may rewrite 0x100..0x400 (across the page boundary at
/// 0x200); process 1 0x900..0xA00.
const OWN_0: Region = Region::new(BANK + 0x100, 0x300);
const OWN_1: Region = Region::new(BANK + 0x900, 0x100);

/// The rewritable ranges of live processes.
struct FakeImages(&'static Kernel);

impl ProcessImages for FakeImages {
    fn rewritable(&self, process: ProcessId) -> Option<Region> {
        self.0.process(process)?;
        [OWN_0, OWN_1].get(process.index).copied()
    }
}

/// The fake bank read as mapped memory.
struct Contents(&'static RefCell<Vec<u8>>);

impl FlashContents for Contents {
    fn read(&self, address: usize, destination: &mut [u8]) -> bool {
        let memory = self.0.borrow();
        let bytes = address
            .checked_sub(BANK)
            .and_then(|offset| memory.get(offset..offset + destination.len()));
        bytes
            .map(|bytes| destination.copy_from_slice(bytes))
            .is_some()
    }
}

/// The journal's effect (its power-cut safety has its own tests): the
/// bytes land whole; each call is recorded.
struct FakeJournal {
    memory: &'static RefCell<Vec<u8>>,
    calls: RefCell<Vec<(usize, Vec<u8>)>>,
}

impl BlockRewrite for FakeJournal {
    fn rewrite(&self, offset: usize, data: &[u8]) -> Result<(), JournalError> {
        let block = BLOCK_PAGES * 512;
        assert_eq!(
            offset / block,
            (offset + data.len() - 1) / block,
            "one block"
        );
        self.memory.borrow_mut()[offset..offset + data.len()].copy_from_slice(data);
        self.calls.borrow_mut().push((offset, data.to_vec()));
        Ok(())
    }

    fn rewrite_from_flash(
        &self,
        offset: usize,
        source: usize,
        length: usize,
    ) -> Result<(), JournalError> {
        let data = self.memory.borrow()[source..source + length].to_vec();
        self.rewrite(offset, &data)
    }
}

struct Device {
    test: TestKernel,
    memory: &'static RefCell<Vec<u8>>,
    flash: &'static FakeFlash,
    journal: &'static FakeJournal,
    calls: &'static DeferredCalls,
    driver: &'static AppState<'static>,
}

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

impl Device {
    /// A bank filled with `fill`, two processes subscribed.
    fn new(fill: u8) -> Device {
        let test = TestKernel::new(2, 4096);
        let memory = FakeFlash::erased(PAGES);
        memory.borrow_mut().fill(fill);
        let flash = FakeFlash::new(memory, BLOCK_PAGES);
        let journal = leak(FakeJournal {
            memory,
            calls: RefCell::new(Vec::new()),
        });
        let calls = leak(DeferredCalls::new());
        let call = calls.allocate();
        let driver = leak(AppState::new(
            test.kernel.create_grant(DRIVER, &TestCapability),
            leak(FakeImages(test.kernel)),
            (flash, journal),
            (leak(Contents(memory)), BANK),
            buffer(512),
            call,
        ));
        call.register(driver);
        flash.set_client(driver);
        for index in 0..2 {
            test.subscribe(index, DRIVER, driver, 0);
        }
        Device {
            test,
            memory,
            flash,
            journal,
            calls,
            driver,
        }
    }

    /// Allows `data` and issues command 1 at `address` for `index`.
    fn write(&self, index: usize, address: usize, data: &[u8]) -> CommandReturn {
        self.test
            .allow_read_only(index, DRIVER, self.driver, 0, data);
        self.driver
            .command(1, address as u32, 0, self.test.process_id(index))
    }

    /// Runs deferred calls and flash completions until nothing is left.
    fn run(&self) {
        while self.calls.service_next() || self.flash.complete() {}
    }

    /// The statuses of the upcalls process `index` got.
    fn statuses(&self, index: usize) -> Vec<u32> {
        let upcalls = self.test.take_upcalls(index);
        upcalls.iter().map(|upcall| upcall.arguments[0]).collect()
    }

    fn bytes(&self, address: usize, length: usize) -> Vec<u8> {
        self.memory.borrow()[address - BANK..address - BANK + length].to_vec()
    }
}

#[test]
fn command_0_answers_and_unknown_commands_are_nosupport() {
    let device = Device::new(0xff);
    let process = device.test.process_id(0);
    assert_eq!(
        device.driver.command(0, 0, 0, process),
        CommandReturn::success()
    );
    assert_eq!(
        device.driver.command(2, 0, 0, process),
        CommandReturn::failure(ErrorCode::NoSupport)
    );
}

#[test]
fn a_write_that_sets_bits_goes_through_the_journal_and_lands_whole() {
    // Upstream's app_state section starts zeroed: the first save sets bits.
    let device = Device::new(0x00);
    let state = [0xfe, 0xca, 0, 0, 1, 0, 0, 0];
    assert_eq!(
        device.write(0, OWN_0.start, &state),
        CommandReturn::success()
    );
    assert!(
        device.statuses(0).is_empty(),
        "no upcall from inside the command"
    );
    device.run();
    assert_eq!(device.statuses(0), [0]);
    assert_eq!(device.bytes(OWN_0.start, 8), state);
    assert_eq!(*device.journal.calls.borrow(), [(0x100, state.to_vec())]);
    assert_eq!(
        device.flash.operations.get(),
        0,
        "nothing programmed directly"
    );
}

#[test]
fn a_write_that_only_clears_bits_is_programmed_page_by_page() {
    let device = Device::new(0xff);
    let data: Vec<u8> = (0..16).collect();
    let address = BANK + 0x1f8; // eight bytes in page 0, eight in page 1
    assert_eq!(device.write(0, address, &data), CommandReturn::success());
    device.run();
    assert_eq!(device.statuses(0), [0]);
    assert_eq!(device.bytes(address, 16), data);
    assert_eq!(device.flash.operations.get(), 2, "two page programs");
    assert!(device.journal.calls.borrow().is_empty());
    let memory = device.memory.borrow();
    let outside = memory[..0x1f8].iter().chain(&memory[0x208..]);
    assert!(outside.into_iter().all(|&byte| byte == 0xff));
}

#[test]
fn an_unchanged_write_touches_no_flash_and_answers_later() {
    let device = Device::new(0x5a);
    assert_eq!(
        device.write(1, OWN_1.start, &[0x5a; 4]),
        CommandReturn::success()
    );
    assert!(device.statuses(1).is_empty());
    device.run();
    assert_eq!(device.statuses(1), [0]);
    assert_eq!(device.flash.operations.get(), 0);
    assert!(device.journal.calls.borrow().is_empty());
}

#[test]
fn writes_outside_the_own_binary_are_refused_and_change_nothing() {
    let device = Device::new(0x00);
    let inval = CommandReturn::failure(ErrorCode::Inval);
    let cases = [
        (OWN_0.start - 1, 4, inval),   // into the header
        (OWN_0.end() - 3, 4, inval),   // past the binary's end
        (OWN_1.start, 4, inval),       // another process's image
        (u32::MAX as usize, 4, inval), // wraps round
        (OWN_0.start, 0, inval),       // nothing to write
        (
            OWN_0.start,
            MAX_WRITE_BYTES + 1,
            CommandReturn::failure(ErrorCode::Size),
        ),
    ];
    for (address, length, expected) in cases {
        let data = std::vec![0xaa; length];
        assert_eq!(
            device.write(0, address, &data),
            expected,
            "{address:#x} {length}"
        );
    }
    device.run();
    assert!(device.statuses(0).is_empty());
    assert!(device.memory.borrow().iter().all(|&byte| byte == 0));
    assert_eq!(device.flash.operations.get(), 0);
    assert!(device.journal.calls.borrow().is_empty());
}

#[test]
fn the_whole_own_range_may_be_written() {
    let device = Device::new(0xff);
    let last = OWN_0.end() - MAX_WRITE_BYTES;
    assert_eq!(
        device.write(0, last, &[0x11; MAX_WRITE_BYTES]),
        CommandReturn::success()
    );
    device.run();
    assert_eq!(device.statuses(0), [0]);
    assert_eq!(device.bytes(last, MAX_WRITE_BYTES), [0x11; MAX_WRITE_BYTES]);
}

#[test]
fn a_second_write_of_one_process_is_busy_and_other_processes_queue() {
    let device = Device::new(0x00);
    assert_eq!(
        device.write(0, OWN_0.start, &[1, 2]),
        CommandReturn::success()
    );
    assert_eq!(
        device.write(0, OWN_0.start + 4, &[3]),
        CommandReturn::failure(ErrorCode::Busy)
    );
    assert_eq!(
        device.write(1, OWN_1.start, &[4, 5]),
        CommandReturn::success()
    );
    device.run();
    assert_eq!(device.statuses(0), [0]);
    assert_eq!(device.statuses(1), [0]);
    assert_eq!(device.bytes(OWN_0.start, 2), [1, 2]);
    assert_eq!(device.bytes(OWN_1.start, 2), [4, 5]);
    // Once answered, the process may write again.
    assert_eq!(
        device.write(0, OWN_0.start + 4, &[3]),
        CommandReturn::success()
    );
    device.run();
    assert_eq!(device.statuses(0), [0]);
}

#[test]
fn a_power_cut_while_programming_changes_no_byte_outside_the_range() {
    let device = Device::new(0xff);
    device.memory.borrow_mut()[0x100..0x110].fill(0x0f);
    let before = device.memory.borrow().clone();
    device.flash.power_budget.set(Some(0));
    let address = BANK + 0x120;
    assert_eq!(
        device.write(0, address, &[0x00; 8]),
        CommandReturn::success()
    );
    device.run();
    let after = device.memory.borrow();
    for (offset, (old, new)) in before.iter().zip(after.iter()).enumerate() {
        if !(0x120..0x128).contains(&offset) {
            assert_eq!(old, new, "byte {offset:#x} outside the range changed");
        }
    }
}

#[test]
fn a_write_whose_process_restarted_before_it_ran_is_dropped() {
    let device = Device::new(0x00);
    assert_eq!(
        device.write(0, OWN_0.start, &[0xff; 4]),
        CommandReturn::success()
    );
    device.test.restart(0);
    device.run();
    assert!(device.journal.calls.borrow().is_empty());
    assert_eq!(device.bytes(OWN_0.start, 4), [0; 4]);
}

#[test]
fn the_kernel_lets_a_process_rewrite_from_its_app_start_to_its_binary_end() {
    let test = TestKernel::new(1, 4096);
    let process = test.process_id(0);
    assert_eq!(test.kernel.rewritable(process), None, "no header: nothing");
    test.set_identity(0, "state", kernel::identity::Approval::Unverified, None);
    let image = test.kernel.processes()[0].image();
    let header = tbf::parse_header(image).unwrap();
    let own = test.kernel.rewritable(process).unwrap();
    let app_start = image.as_ptr() as usize + usize::from(header.header_size());
    // The test header's binary ends where the header does: empty.
    assert_eq!(own, Region::new(app_start, 0));
    test.restart(0);
    assert_eq!(test.kernel.rewritable(process), None, "a stale id");
}
