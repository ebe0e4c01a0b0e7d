//! Benchmark: BENCH_ITERATIONS yield-no-wait calls with nothing pending,
//! then ends QEMU.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, bench_iterations, syscall, test_exit};

app_main!(main);

fn main() {
    for _ in 0..bench_iterations() {
        syscall::yield_no_wait();
    }
    test_exit::exit_qemu(0)
}
