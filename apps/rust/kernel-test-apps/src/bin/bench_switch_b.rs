//! Benchmark partner of bench_switch_a: waits to be woken, wakes A back.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, test_exit};

app_main!(main);

fn main() {
    test_exit::prepare_notifications();
    loop {
        test_exit::wait_for_notification();
        test_exit::notify(test_exit::BENCH_SWITCH_A_SLOT);
    }
}
