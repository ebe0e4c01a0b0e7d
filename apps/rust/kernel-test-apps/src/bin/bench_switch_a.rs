//! Benchmark, with bench_switch_b: BENCH_ITERATIONS rounds in which this
//! process wakes the other and blocks, and the other wakes it back and
//! blocks: two context switches per round. Ends QEMU when done.
//!
//! Start-up order matters because a notification to a process that has
//! not subscribed yet is dropped: A runs first (slot 0), subscribes and
//! waits for B's "ready" notification; B subscribes before sending it.
#![no_std]
#![no_main]

use kernel_test_apps::test_exit::{self, BENCH_SWITCH_B_SLOT};
use kernel_test_apps::{app_main, bench_iterations};

app_main!(main);

fn main() {
    test_exit::prepare_notifications();
    test_exit::wait_for_notification();
    for _ in 0..bench_iterations() {
        test_exit::notify_and_wait(BENCH_SWITCH_B_SLOT);
    }
    test_exit::exit_qemu(0)
}
