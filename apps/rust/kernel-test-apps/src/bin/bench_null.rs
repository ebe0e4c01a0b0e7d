//! Benchmark: BENCH_ITERATIONS (set at build time) command calls to a
//! driver that does not exist, then ends QEMU. The runner subtracts a run
//! with 0 iterations and divides by the count.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, bench_iterations, syscall, test_exit, DriverNumber};

app_main!(main);

const MISSING_DRIVER: DriverNumber = DriverNumber(0x7fff_0000);

fn main() {
    for _ in 0..bench_iterations() {
        syscall::command(MISSING_DRIVER, 0, 0, 0);
    }
    test_exit::exit_qemu(0)
}
