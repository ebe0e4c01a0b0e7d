//! Exercises the CFI flash driver from the running kernel through the
//! test driver: if the last flash block already holds the marker (a
//! previous boot wrote it), says so; otherwise erases the block, programs
//! the marker and reads it back. Ends QEMU with 0 on success.
#![no_std]
#![no_main]

use kernel_test_apps::test_exit::{self, TEST_DRIVER};
use kernel_test_apps::{app_main, println, syscall};

app_main!(main);

/// What this app writes into flash.
const MARKER: u32 = 0x7e57_f1a5;

fn main() {
    let found = syscall::command(TEST_DRIVER, 6, 0, 0);
    if syscall::is_success(found) && found[1] == MARKER {
        println!("flash_check: marker persisted from the previous boot");
        test_exit::exit_qemu(0);
    }
    let result = syscall::command(TEST_DRIVER, 5, MARKER, 0);
    if syscall::is_success(result) {
        println!(
            "flash_check: erased, programmed and read back {:#x}",
            MARKER
        );
        test_exit::exit_qemu(0);
    }
    println!("flash_check: FAILED {:x?}", result);
    test_exit::exit_qemu(1)
}
