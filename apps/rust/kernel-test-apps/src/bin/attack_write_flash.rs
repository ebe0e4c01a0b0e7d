//! Overwrites its own code (flash is read-execute for a process): the PMP
//! must fault the store.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println, syscall, MemopOperation};

app_main!(main);

fn main() {
    println!("attack_write_flash: start");
    let flash_start = syscall::memop(MemopOperation::FlashStart, 0)[1] as usize;
    // SAFETY: none: this write is meant to fault.
    unsafe { ((flash_start + 0x100) as *mut u32).write_volatile(0) };
    println!("attack_write_flash: ISOLATION BROKEN, own flash written");
}
