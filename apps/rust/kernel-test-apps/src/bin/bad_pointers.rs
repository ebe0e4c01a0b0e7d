//! Allows and subscribes that name memory outside the process must fail
//! with INVAL and change nothing; a bad class must return NOSUPPORT.
//! Ends QEMU with 0 if every check passed, 1 otherwise.
#![no_std]
#![no_main]

use kernel_test_apps::syscall::{self, Registers};
use kernel_test_apps::{
    app_main, println, test_exit, DriverNumber, ErrorCode, MemopOperation, ReturnVariant,
};

app_main!(main);

const KERNEL_RAM: usize = 0x8000_0000;
const FIRST_SLOT_RAM: usize = 0x8001_0000;

fn expect_inval(what: &str, result: Registers, address: usize, length: usize) -> bool {
    let ok = result[0] == ReturnVariant::FailureU32U32 as u32
        && result[1] == ErrorCode::Inval as u32
        && result[2] == address as u32
        && result[3] == length as u32;
    println!(
        "bad_pointers: {}: {} ({:?})",
        what,
        if ok { "PASS" } else { "FAIL" },
        result
    );
    ok
}

extern "C" fn ignore(_: u32, _: u32, _: u32, _: usize) {}

/// Garbage and floods: every call must come back (with whatever error),
/// and the kernel must still serve this process afterwards.
fn survive_a_flood() -> bool {
    let drivers = [
        0,
        1,
        2,
        3,
        4,
        8,
        0x10000,
        0x10002,
        0x40001,
        DriverNumber::EMULATOR_TEST.0,
        0x1234_5678,
    ];
    let buffer = [0u8; 8];
    for driver in drivers.map(DriverNumber) {
        for number in 0..48 {
            syscall::subscribe(
                driver,
                number,
                ignore as *const () as usize,
                number as usize,
            );
            syscall::allow_read_only(driver, number, buffer.as_ptr() as usize, buffer.len());
            syscall::allow_read_write(driver, number, 0, 0);
            syscall::command(driver, number + 100, number, !number);
        }
    }
    for class in [8, 9, 100, u32::MAX] {
        syscall::raw_class(class, [u32::MAX, 0, 7, 9]);
    }
    syscall::raw_yield(7, [0, 0, 0]);
    let memop = syscall::raw(kernel_test_apps::SyscallClass::Memop, [99, 0, 0, 0]);
    let still_served = syscall::is_success(syscall::memop(MemopOperation::MemoryStart, 0));
    println!(
        "bad_pointers: flood of garbage syscalls survived: {} (memop 99 -> {:?})",
        if still_served { "PASS" } else { "FAIL" },
        memop
    );
    still_served
}

fn main() {
    let console = DriverNumber::CONSOLE;
    let flash_start = syscall::memop(MemopOperation::FlashStart, 0)[1] as usize;
    let grant_start = syscall::memop(MemopOperation::GrantStart, 0)[1] as usize;
    let mut passed = true;
    let result = syscall::allow_read_only(console, 1, KERNEL_RAM, 16);
    passed &= expect_inval("read-only allow of kernel RAM", result, KERNEL_RAM, 16);
    let result = syscall::allow_read_write(console, 1, FIRST_SLOT_RAM, 16);
    passed &= expect_inval(
        "read-write allow of another process's RAM",
        result,
        FIRST_SLOT_RAM,
        16,
    );
    let result = syscall::allow_read_write(console, 1, flash_start, 16);
    passed &= expect_inval("read-write allow of own flash", result, flash_start, 16);
    let result = syscall::allow_read_only(console, 1, grant_start - 8, 64);
    passed &= expect_inval(
        "read-only allow overlapping the grant region",
        result,
        grant_start - 8,
        64,
    );
    let result = syscall::allow_read_only(console, 1, usize::MAX - 4, 16);
    passed &= expect_inval(
        "read-only allow wrapping the address space",
        result,
        usize::MAX - 4,
        16,
    );
    let result = syscall::subscribe(console, 1, KERNEL_RAM, 7);
    passed &= expect_inval(
        "subscribe with an upcall in kernel RAM",
        result,
        KERNEL_RAM,
        7,
    );
    let result = syscall::raw_class(9, [1, 2, 3, 4]);
    let ok = result[0] == ReturnVariant::Failure as u32 && result[1] == ErrorCode::NoSupport as u32;
    println!(
        "bad_pointers: bad syscall class: {} ({:?})",
        if ok { "PASS" } else { "FAIL" },
        result
    );
    passed &= ok;
    passed &= survive_a_flood();
    println!(
        "bad_pointers: {}",
        if passed {
            "all checks passed"
        } else {
            "SOME CHECKS FAILED"
        }
    );
    test_exit::exit_qemu(if passed { 0 } else { 1 })
}
