//! Grows its heap past every limit: a break into the grant region, past
//! the RAM's end, below the RAM's start, and an sbrk wrapping the address
//! space must all be refused (the process goes on); then it stores one
//! word past its break, which the PMP must fault.
#![no_std]
#![no_main]

use kernel_test_apps::syscall::{self, is_success};
use kernel_test_apps::{app_main, println, MemopOperation};

app_main!(main);

fn main() {
    println!("attack_heap: start");
    let memop = |operation, argument| syscall::memop(operation, argument);
    let grant_start = memop(MemopOperation::GrantStart, 0)[1];
    let memory_start = memop(MemopOperation::MemoryStart, 0)[1];
    let memory_end = memop(MemopOperation::MemoryEnd, 0)[1];
    let refused = [
        (
            "into the grant region",
            !is_success(memop(MemopOperation::Brk, grant_start + 4)),
        ),
        (
            "past the RAM's end",
            !is_success(memop(MemopOperation::Brk, memory_end + 0x1000)),
        ),
        (
            "below the RAM's start",
            !is_success(memop(MemopOperation::Brk, memory_start - 4)),
        ),
        (
            "sbrk wrapping around",
            !is_success(memop(MemopOperation::Sbrk, 0x8000_0000)),
        ),
        (
            "sbrk below the start",
            !is_success(memop(MemopOperation::Sbrk, (-0x10_0000i32) as u32)),
        ),
    ];
    let mut all = true;
    for (what, ok) in refused {
        println!(
            "attack_heap: break {}: {}",
            what,
            if ok { "refused" } else { "ACCEPTED" }
        );
        all &= ok;
    }
    if all {
        println!("attack_heap: every break past the limits refused");
    }
    let app_break = memop(MemopOperation::Sbrk, 0)[1];
    println!("attack_heap: storing past the break at {:#x}", app_break);
    // SAFETY: none: this write is meant to fault.
    unsafe { (app_break as *mut u32).write_volatile(1) };
    println!("attack_heap: ISOLATION BROKEN, wrote past the break");
}
