//! Blocks in yield-wait-for on an upcall that never comes (the LED driver
//! has none): this process sleeps for ever; the others must go on.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println, syscall, DriverNumber};

app_main!(main);

fn main() {
    println!("attack_wait_forever: waiting on a driver that never answers");
    syscall::yield_wait_for(DriverNumber::LED, 0);
    println!("attack_wait_forever: ISOLATION BROKEN, an upcall that does not exist came");
}
