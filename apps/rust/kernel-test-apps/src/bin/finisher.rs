//! Ends QEMU with status 0 once every other process has terminated or
//! faulted for good.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println, test_exit};

app_main!(main);

fn main() {
    println!("finisher: waiting for the others");
    test_exit::exit_qemu_when_others_done(0)
}
