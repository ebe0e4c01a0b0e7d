//! Announces itself, then spins for ever without a system call: only
//! preemption lets anything else run.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println};

app_main!(main);

fn main() {
    println!("spinner: spinning");
    loop {
        core::hint::spin_loop();
    }
}
