//! Eats its own free RAM with sbrk until the break meets the grant
//! region, then asks for a new grant (the alarm's): that must fail with
//! NOMEM, for this process only. Then terminates.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println, syscall, DriverNumber, ErrorCode, MemopOperation};

app_main!(main);

extern "C" fn never_called(_: u32, _: u32, _: u32, _: usize) {}

fn main() {
    println!("grant_hog: start");
    let mut step = 1024u32;
    while step >= 4 {
        if !syscall::is_success(syscall::memop(MemopOperation::Sbrk, step)) {
            step /= 2;
        }
    }
    let result = syscall::subscribe(
        DriverNumber::ALARM,
        0,
        never_called as *const () as usize,
        0,
    );
    let nomem = !syscall::is_success(result) && result[1] == ErrorCode::NoMem as u32;
    println!(
        "grant_hog: subscribe after exhaustion: {} ({:?})",
        if nomem { "NOMEM" } else { "UNEXPECTED" },
        result
    );
}
