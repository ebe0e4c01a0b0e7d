//! Linked after the spinner. Sleeps on the alarm first, so the spinner is
//! spinning by the time the alarm fires: from then on only preemption of
//! the spinner lets this process run. Prints, and ends QEMU with status 0.
#![no_std]
#![no_main]

use kernel_test_apps::{alarm, app_main, println, test_exit};

app_main!(main);

fn main() {
    for round in 0..3 {
        alarm::sleep_ms(20);
        println!("witness: ran beside the spinner, round {}", round);
    }
    test_exit::exit_qemu(0)
}
