//! Prints five numbered lines, sleeping 2 ms after each so the other
//! printer gets the processor, then terminates.
#![no_std]
#![no_main]

use kernel_test_apps::{alarm, app_main, println};

app_main!(main);

fn main() {
    for line in 0..5 {
        println!("hello_a: line {}", line);
        alarm::sleep_ms(2);
    }
    println!("hello_a: done");
}
