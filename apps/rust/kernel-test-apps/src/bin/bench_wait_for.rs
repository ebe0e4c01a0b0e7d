//! Benchmark: BENCH_ITERATIONS rounds of {queue upcall 0 of the test
//! driver for this very process (command 4 on its own slot); yield-wait-for
//! it}. The upcall is already pending at every yield, so the yield never
//! blocks. bench_notify_self runs the same command without the yield; the
//! runner subtracts it (see xtask's kernel figures).
#![no_std]
#![no_main]

use kernel_test_apps::test_exit::{self, BENCH_ALONE_SLOT};
use kernel_test_apps::{app_main, bench_iterations};

app_main!(main);

fn main() {
    for _ in 0..bench_iterations() {
        test_exit::notify(BENCH_ALONE_SLOT);
        test_exit::wait_for_notification();
    }
    test_exit::exit_qemu(0)
}
