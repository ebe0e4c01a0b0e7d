//! A version installed on test that confirms itself through the app
//! loader driver (0x10001, `kernel_abi::app_loader::CONFIRM_TEST_INSTALL`),
//! says how that went, then waits for ever.
#![no_std]
#![no_main]

use kernel_abi::{app_loader, DriverNumber};
use kernel_test_apps::syscall::{command, is_success, yield_wait};
use kernel_test_apps::{app_main, println};

app_main!(main);

fn main() {
    println!("confirm_on_test: start");
    let answer = command(
        DriverNumber::APP_LOADER,
        app_loader::CONFIRM_TEST_INSTALL,
        0,
        0,
    );
    match is_success(answer) {
        true => println!("confirm_on_test: confirmed"),
        false => println!("confirm_on_test: refused, error {}", answer[1]),
    }
    loop {
        yield_wait();
    }
}
