//! Writes the kernel's RAM (its data, at the start of RAM): the PMP must
//! fault it (store access fault) before the word lands.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println};

app_main!(main);

const KERNEL_RAM: usize = 0x8000_0000;

fn main() {
    println!("attack_write_kernel: start");
    // SAFETY: none: this write is meant to fault.
    unsafe { (KERNEL_RAM as *mut u32).write_volatile(0xBAD0_BAD0) };
    println!("attack_write_kernel: ISOLATION BROKEN, kernel RAM written");
}
