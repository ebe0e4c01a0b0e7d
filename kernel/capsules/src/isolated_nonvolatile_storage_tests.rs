//! Host tests of the isolated non-volatile storage driver over a fake NOR
//! flash: upstream's interface and errors, isolation between write ids,
//! persistence across boots, programming versus the journal, and torn
//! headers.

extern crate std;

use core::cell::{Cell, RefCell};
use core::num::NonZeroU32;
use std::boxed::Box;
use std::vec::Vec;

use kernel::deferred_call::DeferredCalls;
use kernel::driver::SyscallDriver;
use kernel::flash_journal::{BlockRewrite, JournalError, NorError, NorFlash};
use kernel::identity::{ShortId, StoragePermissions};
use kernel::testing::{TestCapability, TestKernel};
use kernel::{CommandReturn, ErrorCode, ProcessId};

use super::{
    decode_header, encode_header, IsolatedNonvolatileStorage, PermissionSource, StorageArea,
    HEADER_BYTES,
};

const DRIVER: u32 = kernel_abi::DriverNumber::ISOLATED_NONVOLATILE_STORAGE.0;
const BLOCK: usize = 2048;
/// Block 0 is someone else's; regions are blocks 1..=3; block 4 follows.
const AREA: StorageArea = StorageArea {
    start: BLOCK,
    count: 3,
};
const BLOCKS: usize = 5;
const REGION_BYTES: usize = BLOCK - HEADER_BYTES;

/// Process `n` stores under write id `n + 1`; process 3 has no write id.
struct FakePermissions;
impl PermissionSource for FakePermissions {
    fn storage_permissions(&self, process: ProcessId) -> StoragePermissions {
        match process.index {
            3 => StoragePermissions::NONE,
            index => StoragePermissions::own(ShortId(NonZeroU32::new(index as u32 + 1).unwrap())),
        }
    }
}

/// A NOR flash in memory that, like real ones, only clears bits when
/// programming; it counts programs and erases.
struct FakeNor {
    memory: &'static RefCell<Vec<u8>>,
    programs: Cell<usize>,
    erases: Cell<usize>,
}

impl NorFlash for FakeNor {
    fn block_size(&self) -> usize {
        BLOCK
    }
    fn read(&self, offset: usize, buffer: &mut [u8]) -> Result<(), NorError> {
        let memory = self.memory.borrow();
        let bytes = memory
            .get(offset..offset + buffer.len())
            .ok_or(NorError::OutOfRange)?;
        buffer.copy_from_slice(bytes);
        Ok(())
    }
    fn program(&self, offset: usize, data: &[u8]) -> Result<(), NorError> {
        let mut memory = self.memory.borrow_mut();
        let bytes = memory
            .get_mut(offset..offset + data.len())
            .ok_or(NorError::OutOfRange)?;
        bytes
            .iter_mut()
            .zip(data)
            .for_each(|(old, new)| *old &= new);
        self.programs.set(self.programs.get() + 1);
        Ok(())
    }
    fn erase_block(&self, offset: usize) -> Result<(), NorError> {
        assert_eq!(offset % BLOCK, 0, "erase at a block start");
        self.memory.borrow_mut()[offset..offset + BLOCK].fill(0xff);
        self.erases.set(self.erases.get() + 1);
        Ok(())
    }
}

/// The journal's effect (its power-cut safety has its own tests): the
/// bytes land whole, inside one block; each call is counted.
struct FakeJournal {
    memory: &'static RefCell<Vec<u8>>,
    rewrites: Cell<usize>,
}

impl BlockRewrite for FakeJournal {
    fn rewrite(&self, offset: usize, data: &[u8]) -> Result<(), JournalError> {
        assert_eq!(
            offset / BLOCK,
            (offset + data.len() - 1) / BLOCK,
            "one block"
        );
        self.memory.borrow_mut()[offset..offset + data.len()].copy_from_slice(data);
        self.rewrites.set(self.rewrites.get() + 1);
        Ok(())
    }
    fn rewrite_from_flash(&self, _: usize, _: usize, _: usize) -> Result<(), JournalError> {
        unreachable!("the driver rewrites from RAM only")
    }
}

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// One boot of a device whose flash is `memory`, four processes
/// subscribed to all three upcalls.
struct Device {
    test: TestKernel,
    memory: &'static RefCell<Vec<u8>>,
    flash: &'static FakeNor,
    journal: &'static FakeJournal,
    calls: &'static DeferredCalls,
    driver: &'static IsolatedNonvolatileStorage<'static>,
}

impl Device {
    fn erased() -> Device {
        Device::boot(leak(RefCell::new(std::vec![0xff; BLOCKS * BLOCK])))
    }

    fn boot(memory: &'static RefCell<Vec<u8>>) -> Device {
        let test = TestKernel::new(4, 16384);
        let flash = leak(FakeNor {
            memory,
            programs: Cell::new(0),
            erases: Cell::new(0),
        });
        let journal = leak(FakeJournal {
            memory,
            rewrites: Cell::new(0),
        });
        let calls = leak(DeferredCalls::new());
        let call = calls.allocate();
        let driver = leak(IsolatedNonvolatileStorage::new(
            test.kernel.create_grant(DRIVER, &TestCapability),
            leak(FakePermissions),
            (flash, journal),
            AREA,
            call,
        ));
        call.register(driver);
        for index in 0..4 {
            for subscribe in 0..3 {
                test.subscribe(index, DRIVER, driver, subscribe);
            }
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

    fn command(&self, index: usize, command: u32, offset: u64) -> CommandReturn {
        let process = self.test.process_id(index);
        self.driver
            .command(command, offset as u32, (offset >> 32) as u32, process)
    }

    fn run(&self) {
        while self.calls.service_next() {}
    }

    /// The upcalls process `index` got: (subscribe, arguments).
    fn upcalls(&self, index: usize) -> Vec<(u8, [u32; 3])> {
        let upcalls = self.test.take_upcalls(index);
        upcalls
            .iter()
            .map(|upcall| (upcall.subscribe, upcall.arguments))
            .collect()
    }

    /// Writes `data` at `offset` for `index`; returns the upcall's status.
    fn write(&self, index: usize, offset: u64, data: &[u8]) -> u32 {
        self.test
            .allow_read_only(index, DRIVER, self.driver, 0, data);
        assert_eq!(self.command(index, 3, offset), CommandReturn::success());
        self.run();
        let upcalls = self.upcalls(index);
        assert_eq!(upcalls.len(), 1);
        assert_eq!(upcalls[0].0, 2, "the write upcall");
        upcalls[0].1[0]
    }

    /// Reads `length` bytes at `offset` for `index`: the status and bytes.
    fn read(&self, index: usize, offset: u64, length: usize) -> (u32, Vec<u8>) {
        let (address, _) = self
            .test
            .allow_read_write(index, DRIVER, self.driver, 0, length);
        assert_eq!(self.command(index, 2, offset), CommandReturn::success());
        self.run();
        let upcalls = self.upcalls(index);
        assert_eq!(upcalls.len(), 1);
        assert_eq!(upcalls[0].0, 1, "the read upcall");
        (upcalls[0].1[0], self.test.read(address, length))
    }

    fn block(&self, index: usize) -> Vec<u8> {
        self.memory.borrow()[index * BLOCK..(index + 1) * BLOCK].to_vec()
    }
}

const OK: u32 = 0;
fn status(error: ErrorCode) -> u32 {
    error as u32
}

#[test]
fn exists_for_everyone_and_unknown_commands_are_nosupport() {
    let device = Device::erased();
    assert_eq!(device.command(3, 0, 0), CommandReturn::success());
    assert_eq!(
        device.command(0, 4, 0),
        CommandReturn::failure(ErrorCode::NoSupport)
    );
}

#[test]
fn a_process_without_a_write_id_is_refused_at_every_command() {
    let device = Device::erased();
    for command in 1..=3 {
        assert_eq!(
            device.command(3, command, 0),
            CommandReturn::failure(ErrorCode::NoSupport)
        );
    }
    device.run();
    assert!(device.upcalls(3).is_empty());
}

#[test]
fn size_comes_later_as_two_halves() {
    let device = Device::erased();
    assert_eq!(device.command(0, 1, 0), CommandReturn::success());
    assert!(device.upcalls(0).is_empty(), "no upcall from the command");
    device.run();
    assert_eq!(device.upcalls(0), [(0, [OK, REGION_BYTES as u32, 0])]);
}

#[test]
fn written_bytes_read_back_after_a_claimed_header() {
    let device = Device::erased();
    assert_eq!(device.write(0, 5, b"credential"), OK);
    let block = device.block(1);
    assert_eq!(&block[..HEADER_BYTES], &encode_header(1));
    assert_eq!(&block[HEADER_BYTES + 5..HEADER_BYTES + 15], b"credential");
    assert_eq!(device.read(0, 4, 12), (OK, b"\xffcredential\xff".to_vec()));
    assert_eq!(device.block(0), std::vec![0xff; BLOCK], "outside the area");
    assert_eq!(device.block(4), std::vec![0xff; BLOCK], "outside the area");
}

#[test]
fn an_unclaimed_region_reads_erased_and_stays_unclaimed() {
    let device = Device::erased();
    assert_eq!(device.read(0, 0, 8), (OK, std::vec![0xff; 8]));
    assert_eq!(device.flash.programs.get(), 0);
    assert_eq!(device.block(1), std::vec![0xff; BLOCK]);
}

#[test]
fn identities_get_separate_regions_and_never_see_each_other() {
    let device = Device::erased();
    assert_eq!(device.write(0, 0, b"alice's secret"), OK);
    assert_eq!(device.write(1, 0, b"bob"), OK);
    assert_eq!(
        device.read(1, 0, 14).1,
        b"bob\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    );
    assert_eq!(device.read(2, 0, 14).1, std::vec![0xff; 14]);
    assert_eq!(device.read(0, 0, 14).1, b"alice's secret");
    assert_eq!(
        decode_header(&device.block(2)[..HEADER_BYTES].try_into().unwrap()),
        Some(2)
    );
}

#[test]
fn bytes_survive_a_reboot_and_stay_with_their_write_id() {
    let device = Device::erased();
    assert_eq!(device.write(1, 0, b"bob first"), OK);
    assert_eq!(device.write(0, 100, b"alice"), OK);
    let rebooted = Device::boot(device.memory);
    assert_eq!(rebooted.read(0, 100, 5).1, b"alice");
    assert_eq!(rebooted.read(1, 0, 9).1, b"bob first");
}

#[test]
fn clearing_bits_programs_in_place_and_setting_bits_uses_the_journal() {
    let device = Device::erased();
    assert_eq!(device.write(0, 0, &[0xf0; 8]), OK);
    assert_eq!(device.journal.rewrites.get(), 0);
    assert_eq!(device.write(0, 0, &[0x30; 8]), OK);
    assert_eq!(device.journal.rewrites.get(), 0, "only bits cleared");
    let programs = device.flash.programs.get();
    assert_eq!(device.write(0, 0, &[0x30; 8]), OK);
    assert_eq!(
        device.flash.programs.get(),
        programs,
        "unchanged: no operation"
    );
    assert_eq!(device.write(0, 0, &[0x31; 8]), OK);
    assert_eq!(device.journal.rewrites.get(), 1);
    assert_eq!(device.read(0, 0, 8).1, [0x31; 8]);
}

#[test]
fn a_long_write_spans_pieces_up_to_the_region_end() {
    let device = Device::erased();
    let data: Vec<u8> = (0..REGION_BYTES).map(|index| (index % 251) as u8).collect();
    assert_eq!(device.write(0, 0, &data), OK);
    assert_eq!(device.read(0, 0, REGION_BYTES).1, data);
    let tail: Vec<u8> = std::vec![0x5a; 700];
    assert_eq!(device.write(0, (REGION_BYTES - 700) as u64, &tail), OK);
    assert_eq!(device.read(0, (REGION_BYTES - 700) as u64, 700).1, tail);
}

#[test]
fn an_empty_buffer_is_reserve_at_the_command_and_a_missing_one_in_the_upcall() {
    let device = Device::erased();
    device.test.allow_read_write(0, DRIVER, device.driver, 0, 0);
    assert_eq!(
        device.command(0, 2, 0),
        CommandReturn::failure(ErrorCode::Reserve)
    );
    for (command, upcall) in [(2, 1), (3, 2)] {
        assert_eq!(device.command(1, command, 0), CommandReturn::success());
        device.run();
        assert_eq!(
            device.upcalls(1),
            [(upcall, [status(ErrorCode::Reserve), 0, 0])]
        );
    }
    assert_eq!(device.write(0, 0, &[]), status(ErrorCode::Reserve));
    assert_eq!(device.flash.programs.get(), 0);
}

#[test]
fn ranges_outside_the_region_are_inval_at_the_command_and_touch_nothing() {
    let device = Device::erased();
    let end = REGION_BYTES as u64;
    for (offset, length) in [
        (end - 5, 10),
        (end + 10, 10),
        (0, REGION_BYTES + 1),
        (end - 1, 2),
        (end, 1),
        (0xffff_ffff, 512),
        (1 << 32, 1),
        (u64::MAX, 1),
        (u64::MAX - 1, 4),
    ] {
        let data = std::vec![0u8; length];
        let refused = CommandReturn::failure(ErrorCode::Inval);
        device
            .test
            .allow_read_only(0, DRIVER, device.driver, 0, &data);
        assert_eq!(
            device.command(0, 3, offset),
            refused,
            "write {offset}+{length}"
        );
        device
            .test
            .allow_read_write(0, DRIVER, device.driver, 0, length);
        assert_eq!(
            device.command(0, 2, offset),
            refused,
            "read {offset}+{length}"
        );
    }
    device.run();
    assert!(device.upcalls(0).is_empty());
    assert_eq!(device.flash.programs.get(), 0);
    assert_eq!(device.write(0, end - 1, &[0]), OK);
}

#[test]
fn a_buffer_allowed_anew_after_the_command_is_checked_again() {
    let device = Device::erased();
    device
        .test
        .allow_read_only(0, DRIVER, device.driver, 0, &[1; 4]);
    let end = REGION_BYTES as u64;
    assert_eq!(device.command(0, 3, end - 4), CommandReturn::success());
    device
        .test
        .allow_read_only(0, DRIVER, device.driver, 0, &[1; 8]);
    device.run();
    assert_eq!(device.upcalls(0), [(2, [status(ErrorCode::Inval), 0, 0])]);
    assert_eq!(device.flash.programs.get(), 0);
}

#[test]
fn a_second_request_before_the_first_ends_is_busy() {
    let device = Device::erased();
    assert_eq!(device.command(0, 1, 0), CommandReturn::success());
    assert_eq!(
        device.command(0, 1, 0),
        CommandReturn::failure(ErrorCode::Busy)
    );
    assert_eq!(device.command(1, 1, 0), CommandReturn::success());
    device.run();
    assert_eq!(device.upcalls(0).len(), 1);
    assert_eq!(device.upcalls(1).len(), 1);
}

#[test]
fn every_torn_header_is_invalid() {
    let header = encode_header(0x8123_4567);
    assert_eq!(decode_header(&header), Some(0x8123_4567));
    let zeros: Vec<usize> = (0..HEADER_BYTES * 8)
        .filter(|bit| header[bit / 8] & (1 << (bit % 8)) == 0)
        .collect();
    // Each zero bit left unprogrammed, alone and with every other one.
    for (position, &bit) in zeros.iter().enumerate() {
        for &other in &zeros[position..] {
            let mut torn = header;
            torn[bit / 8] |= 1 << (bit % 8);
            torn[other / 8] |= 1 << (other % 8);
            assert_eq!(decode_header(&torn), None, "bits {bit} and {other}");
        }
    }
    assert_eq!(decode_header(&[0xff; HEADER_BYTES]), None);
}

#[test]
fn a_block_with_a_torn_header_is_erased_before_it_is_claimed() {
    let memory = leak(RefCell::new(std::vec![0xff; BLOCKS * BLOCK]));
    {
        let mut flash = memory.borrow_mut();
        // The complement's low byte (0xf8) not yet programmed.
        let mut torn = encode_header(7);
        torn[8] = 0xff;
        flash[BLOCK..BLOCK + HEADER_BYTES].copy_from_slice(&torn);
        flash[BLOCK + 100] = 0x00;
    }
    let device = Device::boot(memory);
    assert_eq!(device.read(0, 84, 1).1, [0xff], "not read as anyone's");
    assert_eq!(device.write(0, 0, b"x"), OK);
    assert_eq!(device.flash.erases.get(), 1);
    assert_eq!(&device.block(1)[..HEADER_BYTES], &encode_header(1));
    assert_eq!(device.read(0, 84, 1).1, [0xff], "the old byte is gone");
}

#[test]
fn with_every_region_taken_a_new_identity_gets_nomem() {
    let memory = leak(RefCell::new(std::vec![0xff; BLOCKS * BLOCK]));
    memory.borrow_mut()[BLOCK..BLOCK + HEADER_BYTES].copy_from_slice(&encode_header(99));
    let device = Device::boot(memory);
    assert_eq!(device.write(0, 0, b"a"), OK);
    assert_eq!(device.write(1, 0, b"b"), OK);
    assert_eq!(device.write(2, 0, b"c"), status(ErrorCode::NoMem));
    assert_eq!(&device.block(1)[..HEADER_BYTES], &encode_header(99), "kept");
    assert_eq!(device.write(0, 1, b"a"), OK, "existing regions still work");
}
