//! Linked after the spinner: if it runs at all, the spinner was
//! preempted. Prints, and ends QEMU with status 0.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println, test_exit};

app_main!(main);

fn main() {
    for round in 0..3 {
        println!("witness: ran beside the spinner, round {}", round);
    }
    test_exit::exit_qemu(0)
}
