//! The well-behaved app that runs beside the fuzzer (and the attack
//! apps): it fills a static table and a stack array with a known pattern,
//! then, round after round, sleeps on the alarm, checks both are intact
//! and prints `guardian: round N intact, checksum C`. The test checks the
//! rounds are consecutive and C is the pattern's checksum, which it
//! computes itself: a corrupted word, a lost line or a garbled one fails.
//!
//! On corruption it prints `guardian: CORRUPTED` and ends QEMU with status
//! 2. Once every other process has terminated or faulted for good, it
//! ends QEMU with status 0.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel_test_apps::syscall::{self, Registers};
use kernel_test_apps::test_exit::{self, TEST_DRIVER};
use kernel_test_apps::{alarm, app_main, println, ErrorCode};

app_main!(main);

const WORDS: usize = 64;
/// Atomics only so that a static can be written without `unsafe`; this
/// process is single-threaded.
static TABLE: [AtomicU32; WORDS] = [const { AtomicU32::new(0) }; WORDS];

/// The pattern's word `index` (the test computes the same).
fn pattern(index: usize) -> u32 {
    (index as u32).wrapping_mul(0x9E37_79B9) ^ 0xC0DE_F00D
}

/// FNV-1a over the words' little-endian bytes.
fn checksum(words: &[u32]) -> u32 {
    let mut hash: u32 = 0x811C_9DC5;
    for byte in words.iter().flat_map(|word| word.to_le_bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

fn table() -> [u32; WORDS] {
    core::array::from_fn(|index| TABLE[index].load(Ordering::Relaxed))
}

fn main() {
    let expected: [u32; WORDS] = core::array::from_fn(pattern);
    for (word, value) in TABLE.iter().zip(expected) {
        word.store(value, Ordering::Relaxed);
    }
    let on_stack = core::hint::black_box(expected);
    let sum = checksum(&expected);
    let mut round: u32 = 0;
    loop {
        alarm::sleep_ms(5);
        let stack_now = core::hint::black_box(&on_stack);
        if table() != expected || *stack_now != expected {
            println!("guardian: CORRUPTED in round {}", round);
            test_exit::exit_qemu(2);
        }
        println!("guardian: round {} intact, checksum {:08x}", round, sum);
        round += 1;
        // Ends QEMU with 0 once the others are done; BUSY until then.
        let others: Registers = syscall::command(TEST_DRIVER, 2, 0, 0);
        if !kernel_test_apps::fuzz::is_failure_with(others, ErrorCode::Busy) {
            println!("guardian: unexpected answer {:x?}", others);
            test_exit::exit_qemu(3);
        }
    }
}
