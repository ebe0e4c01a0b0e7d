//! Benchmark, with bench_switch_b: BENCH_ITERATIONS rounds in which this
//! process yields and the other runs. Each round costs two context
//! switches (A to B and back). Ends QEMU when done.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, bench_iterations, syscall, test_exit};

app_main!(main);

fn main() {
    test_exit::prepare_notifications();
    for _ in 0..bench_iterations() {
        // Wake the partner (slot of bench_switch_b), then wait for it to
        // wake us back.
        test_exit::notify_and_wait(test_exit::BENCH_SWITCH_B_SLOT);
    }
    let _ = syscall::yield_no_wait();
    test_exit::exit_qemu(0)
}
