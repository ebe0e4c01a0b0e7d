//! Reads the kernel's RAM: the PMP must fault it (load access fault).
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println};

app_main!(main);

const KERNEL_RAM: usize = 0x8000_0000;

fn main() {
    println!("fault_kernel_ram: start");
    // SAFETY: none: this read is meant to fault.
    let value = unsafe { (KERNEL_RAM as *const u32).read_volatile() };
    println!("fault_kernel_ram: ISOLATION BROKEN, read {:#x}", value);
}
