//! Isolated non-volatile storage against the fake kernel.

extern crate std;

use super::*;
use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
use std::rc::Rc;

type Storage = IsolatedNonvolatileStorage<Fake>;

fn setup(size: usize) -> (Kernel, Rc<drivers::IsolatedNonvolatileStorage>) {
    let kernel = Kernel::new();
    let storage = Rc::new(drivers::IsolatedNonvolatileStorage::new(size));
    kernel.add_driver(&storage);
    (kernel, storage)
}

#[test]
fn written_bytes_read_back_and_buffers_are_withdrawn() {
    let (kernel, storage) = setup(1024);
    assert_eq!(Storage::exists(), Ok(()));
    assert_eq!(Storage::write(100, b"credential"), Ok(()));
    assert_eq!(&storage.contents()[100..110], b"credential");
    let mut read = [0u8; 12];
    assert_eq!(Storage::read(99, &mut read), Ok(()));
    assert_eq!(&read, b"\xffcredential\xff");
    assert!(!kernel.is_allowed_ro(DRIVER_NUMBER, buffer::WRITE));
    assert!(!kernel.is_allowed_rw(DRIVER_NUMBER, buffer::READ));
    for number in [subscribe::SIZE, subscribe::READ, subscribe::WRITE] {
        assert!(!kernel.is_subscribed(DRIVER_NUMBER, number));
    }
}

#[test]
fn size_joins_both_halves_of_the_upcall() {
    let (_kernel, _storage) = setup(3000);
    assert_eq!(Storage::size(), Ok(3000));
}

#[test]
fn the_offset_is_passed_as_low_and_high_halves() {
    let (kernel, _storage) = setup(16);
    let mut read = [0u8; 1];
    assert_eq!(
        Storage::read(0x1_0000_0002, &mut read),
        Err(ErrorCode::Inval)
    );
    let log = kernel.take_syscall_log();
    assert!(log.iter().any(|entry| matches!(
        entry,
        libtock_unittest::SyscallLogEntry::Command {
            driver: DRIVER_NUMBER,
            command: command::READ,
            argument0: 2,
            argument1: 1,
        }
    )));
}

#[test]
fn ranges_outside_the_region_are_invalid_and_touch_nothing() {
    let (_kernel, storage) = setup(64);
    assert_eq!(Storage::write(60, &[0; 5]), Err(ErrorCode::Inval));
    assert_eq!(Storage::write(u64::MAX, &[0; 1]), Err(ErrorCode::Inval));
    assert_eq!(storage.writes(), 0);
    assert_eq!(storage.contents(), std::vec![0xFF; 64]);
    assert_eq!(Storage::write(60, &[0; 4]), Ok(()));
}

#[test]
fn empty_buffers_are_reserve() {
    let (_kernel, _storage) = setup(64);
    assert_eq!(Storage::read(0, &mut []), Err(ErrorCode::Reserve));
    assert_eq!(Storage::write(0, &[]), Err(ErrorCode::Reserve));
}

#[test]
fn an_app_without_a_write_id_is_refused() {
    let kernel = Kernel::new();
    let storage = Rc::new(drivers::IsolatedNonvolatileStorage::without_permission());
    kernel.add_driver(&storage);
    assert_eq!(Storage::exists(), Ok(()));
    assert_eq!(Storage::size(), Err(ErrorCode::NoSupport));
    assert_eq!(Storage::read(0, &mut [0; 4]), Err(ErrorCode::NoSupport));
    assert_eq!(Storage::write(0, &[1; 4]), Err(ErrorCode::NoSupport));
}

#[test]
fn upcall_and_syscall_failures_are_errors() {
    let (kernel, storage) = setup(64);
    storage.fail_next(ErrorCode::Fail);
    assert_eq!(Storage::write(0, b"x"), Err(ErrorCode::Fail));
    assert_eq!(storage.writes(), 0);
    kernel.inject_failure(
        SyscallMatch::AllowRo {
            driver: DRIVER_NUMBER,
            buffer: buffer::WRITE,
        },
        ErrorCode::NoMem,
    );
    assert_eq!(Storage::write(0, b"x"), Err(ErrorCode::NoMem));
    assert_eq!(storage.writes(), 0);
}

#[test]
fn a_missing_driver_is_nodevice() {
    let _kernel = Kernel::new();
    assert_eq!(Storage::exists(), Err(ErrorCode::NoDevice));
    assert_eq!(Storage::size(), Err(ErrorCode::NoDevice));
}
