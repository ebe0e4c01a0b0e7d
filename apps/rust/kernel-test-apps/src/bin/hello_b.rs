//! Prints five numbered lines, yielding between them, then terminates.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println, syscall};

app_main!(main);

fn main() {
    for line in 0..5 {
        println!("hello_b: line {}", line);
        syscall::yield_no_wait();
    }
    println!("hello_b: done");
}
