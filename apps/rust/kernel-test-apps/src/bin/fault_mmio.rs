//! Reads the UART's registers directly: the PMP must fault it.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println};

app_main!(main);

const UART_LINE_STATUS: usize = 0x1000_0005;

fn main() {
    println!("fault_mmio: start");
    // SAFETY: none: this read is meant to fault.
    let value = unsafe { (UART_LINE_STATUS as *const u8).read_volatile() };
    println!("fault_mmio: ISOLATION BROKEN, read {:#x}", value);
}
