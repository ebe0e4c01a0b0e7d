//! Reads its own grant region (kernel-owned, above the break): the PMP
//! must fault it.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println, syscall, MemopOperation};

app_main!(main);

fn main() {
    // Printing allocates the console's grant, so the region is in use.
    println!("fault_grant_region: start");
    let grant_start = syscall::memop(MemopOperation::GrantStart, 0)[1] as usize;
    println!("fault_grant_region: reading {:#x}", grant_start);
    // SAFETY: none: this read is meant to fault.
    let value = unsafe { (grant_start as *const u32).read_volatile() };
    println!("fault_grant_region: ISOLATION BROKEN, read {:#x}", value);
}
