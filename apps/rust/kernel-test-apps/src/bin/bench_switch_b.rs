//! Benchmark partner of bench_switch_a: says it is ready, then for ever
//! waits to be woken and wakes A back.
#![no_std]
#![no_main]

use kernel_test_apps::app_main;
use kernel_test_apps::test_exit::{self, BENCH_SWITCH_A_SLOT};

app_main!(main);

fn main() {
    test_exit::prepare_notifications();
    loop {
        test_exit::notify_and_wait(BENCH_SWITCH_A_SLOT);
    }
}
