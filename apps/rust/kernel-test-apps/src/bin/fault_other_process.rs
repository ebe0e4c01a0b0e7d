//! Reads the RAM of the process in the first slot (hello_a): the PMP must
//! fault it.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println};

app_main!(main);

const FIRST_SLOT_RAM: usize = 0x8001_0000;

fn main() {
    println!("fault_other_process: start");
    // SAFETY: none: this read is meant to fault.
    let value = unsafe { (FIRST_SLOT_RAM as *const u32).read_volatile() };
    println!("fault_other_process: ISOLATION BROKEN, read {:#x}", value);
}
