//! Benchmark baseline for bench_wait_for: BENCH_ITERATIONS commands that
//! queue upcall 0 of the test driver for this process, and no yield.
//!
//! Nothing is subscribed, so each queued upcall is a null one; once the
//! queue is full every new one replaces the oldest null one (a look at the
//! queue's head and a removal, the same queue work yield-wait-for does when
//! it takes its upcall). What is left when this loop is subtracted from
//! bench_wait_for's is the yield-wait-for itself.
#![no_std]
#![no_main]

use kernel_test_apps::test_exit::{self, BENCH_ALONE_SLOT};
use kernel_test_apps::{app_main, bench_iterations};

app_main!(main);

fn main() {
    for _ in 0..bench_iterations() {
        test_exit::notify(BENCH_ALONE_SLOT);
    }
    test_exit::exit_qemu(0)
}
