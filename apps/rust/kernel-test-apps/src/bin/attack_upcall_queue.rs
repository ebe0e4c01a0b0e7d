//! Floods upcall queues: its own (upcalls it subscribed to a function,
//! which the kernel may not drop, until the queue refuses with BUSY) and
//! the guardian's (null upcalls, thousands). The kernel must refuse, not
//! fail; every accepted upcall must run exactly once; the guardian must go
//! on. Runs with the guardian in slot 0 and itself in slot 1.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel_test_apps::fuzz::is_failure_with;
use kernel_test_apps::syscall::{self, is_success};
use kernel_test_apps::test_exit::{GUARDIAN_SLOT, TEST_DRIVER};
use kernel_test_apps::{app_main, println, ErrorCode};

app_main!(main);

const OWN_SLOT: u32 = GUARDIAN_SLOT + 1;
static RAN: AtomicU32 = AtomicU32::new(0);

extern "C" fn count(_: u32, _: u32, _: u32, _: usize) {
    RAN.fetch_add(1, Ordering::Relaxed);
}

fn main() {
    println!("attack_upcall_queue: start");
    syscall::subscribe(TEST_DRIVER, 0, count as *const () as usize, 0);
    let (mut accepted, mut busy, mut other) = (0u32, 0u32, 0u32);
    for _ in 0..100 {
        let result = syscall::command(TEST_DRIVER, 4, OWN_SLOT, 0);
        if is_success(result) {
            accepted += 1;
        } else if is_failure_with(result, ErrorCode::Busy) {
            busy += 1;
        } else {
            other += 1;
        }
    }
    let mut flooded = 0u32;
    for _ in 0..5000 {
        flooded += u32::from(is_success(syscall::command(
            TEST_DRIVER,
            4,
            GUARDIAN_SLOT,
            0,
        )));
    }
    while syscall::yield_no_wait() {}
    let ran = RAN.load(Ordering::Relaxed);
    println!(
        "attack_upcall_queue: own queue took {}, refused {} with BUSY ({} other), ran {}; {} null upcalls queued for the guardian",
        accepted, busy, other, ran, flooded
    );
    if accepted > 0 && busy > 0 && other == 0 && ran == accepted {
        println!("attack_upcall_queue: queue exhaustion refused cleanly");
    }
}
