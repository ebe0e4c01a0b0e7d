//! Waits for button 0 (driver 0x3) to be pressed, which on qemu-rv32-virt
//! happens when `ESC 'B' '0'` arrives on the serial line. Also toggles LED 0
//! (observable as `[led 0] on`). Ends QEMU with 0.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println, syscall, test_exit, DriverNumber};

app_main!(main);

extern "C" fn ignore(_: u32, _: u32, _: u32, _: usize) {}

fn main() {
    let buttons = syscall::command(DriverNumber::BUTTON, 0, 0, 0);
    syscall::subscribe(DriverNumber::BUTTON, 0, ignore as *const () as usize, 0);
    syscall::command(DriverNumber::BUTTON, 1, 0, 0);
    println!(
        "button_press: {} button(s), waiting for button 0",
        buttons[1]
    );
    let [index, pressed, _, _] = syscall::yield_wait_for(DriverNumber::BUTTON, 0);
    println!(
        "button_press: button {} changed, pressed = {}",
        index, pressed
    );
    syscall::command(DriverNumber::LED, 1, 0, 0);
    test_exit::exit_qemu(if index == 0 && pressed == 1 { 0 } else { 1 })
}
