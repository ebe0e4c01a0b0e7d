//! Jumps into the kernel's code (its reset vector at the start of flash):
//! the PMP must fault the fetch (instruction access fault).
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println};

app_main!(main);

const KERNEL_CODE: usize = 0x2000_0000;

fn main() {
    println!("attack_jump_kernel: start");
    // SAFETY: none: this call is meant to fault on its first fetch.
    let kernel_entry: extern "C" fn() = unsafe { core::mem::transmute(KERNEL_CODE) };
    kernel_entry();
    println!("attack_jump_kernel: ISOLATION BROKEN, kernel code ran for a process");
}
