//! Checks the runtime's start-up: `.data` was copied, `.bss` zeroed, the
//! stack holds a deep call chain, and the brk heap serves `alloc`. Prints
//! one line per check and `runtime_check: ok` when all hold.
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering};
use libtock::platform::{ErrorCode, Syscalls};
use libtock::println;
use libtock::runtime::BrkHeap;
use libtock::TockSyscalls;

libtock::set_main! {main}
libtock::stack_size! {0x1000}

#[global_allocator]
static HEAP: BrkHeap = BrkHeap::new();

/// Non-zero initial values: lives in `.data`.
static DATA: [AtomicU32; 2] = [AtomicU32::new(0x1234_5678), AtomicU32::new(0x9abc_def0)];
/// Zero initial values: lives in `.bss`.
static BSS: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];

/// Recurses `depth` times with a 64-byte frame each; returns a checksum
/// that depends on every frame.
fn deep(depth: u32) -> u32 {
    let frame = black_box([depth as u8; 64]);
    if depth == 0 {
        return u32::from(frame[63]);
    }
    deep(depth - 1) + u32::from(frame[0])
}

fn main() -> Result<(), ErrorCode> {
    let data_ok = DATA[0].load(Ordering::Relaxed) == 0x1234_5678
        && DATA[1].load(Ordering::Relaxed) == 0x9abc_def0;
    // Writing every element keeps the optimiser from moving any to .rodata.
    DATA[0].store(1, Ordering::Relaxed);
    DATA[1].store(2, Ordering::Relaxed);
    println!(
        "runtime_check: data {}",
        if data_ok { "ok" } else { "FAIL" }
    );
    let bss_ok = BSS.iter().all(|word| word.load(Ordering::Relaxed) == 0);
    BSS[0].store(7, Ordering::Relaxed);
    BSS[1].store(7, Ordering::Relaxed);
    println!("runtime_check: bss {}", if bss_ok { "ok" } else { "FAIL" });
    let stack_ok = deep(20) == (1..=20).sum::<u32>();
    println!(
        "runtime_check: stack {}",
        if stack_ok { "ok" } else { "FAIL" }
    );
    let break_before = TockSyscalls::memop_current_break()?;
    let numbers: Vec<u32> = (0..1000).collect();
    let boxed = Box::new(numbers.iter().sum::<u32>());
    let break_after = TockSyscalls::memop_current_break()?;
    let heap_ok = *boxed == 499_500 && break_after > break_before;
    println!(
        "runtime_check: heap {} (break +{})",
        if heap_ok { "ok" } else { "FAIL" },
        break_after - break_before
    );
    if data_ok && bss_ok && stack_ok && heap_ok {
        println!("runtime_check: ok");
        Ok(())
    } else {
        println!("runtime_check: FAIL");
        Err(ErrorCode::Fail)
    }
}
