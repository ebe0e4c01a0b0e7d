//! Storms of subscribes and allows: every driver, 32 numbers each, twenty
//! rounds, alternating functions and buffers. Every call must come back,
//! and the kernel must still serve this process (and the guardian) after.
#![no_std]
#![no_main]

use kernel_test_apps::syscall::{self, is_success};
use kernel_test_apps::test_exit::TEST_DRIVER;
use kernel_test_apps::{app_main, println, DriverNumber, MemopOperation};

app_main!(main);

static mut BUFFER: [u8; 64] = [0; 64];

extern "C" fn ignore(_: u32, _: u32, _: u32, _: usize) {}

fn main() {
    println!("attack_storm: start");
    let buffer = core::ptr::addr_of!(BUFFER) as usize;
    let drivers = DriverNumber::ALL
        .iter()
        .map(|(driver, _)| *driver)
        .chain([TEST_DRIVER, DriverNumber(0x7fff_0000)]);
    let mut calls = 0u32;
    for round in 0..20usize {
        for driver in drivers.clone() {
            for number in 0..32 {
                let function = if (round + number as usize).is_multiple_of(2) {
                    ignore as *const () as usize
                } else {
                    0
                };
                syscall::subscribe(driver, number, function, round);
                syscall::allow_read_only(driver, number, buffer + round, 64 - round);
                syscall::allow_read_write(driver, number, buffer, round);
                calls += 3;
            }
        }
    }
    for driver in drivers {
        for number in 0..32 {
            syscall::subscribe(driver, number, 0, 0);
            syscall::allow_read_write(driver, number, 0, 0);
        }
    }
    let served = is_success(syscall::memop(MemopOperation::MemoryStart, 0));
    println!("attack_storm: {} subscribes and allows issued", calls);
    if served {
        println!("attack_storm: the kernel still serves this process");
    }
}
