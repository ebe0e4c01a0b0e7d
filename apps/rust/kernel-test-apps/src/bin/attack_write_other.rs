//! Writes the guardian's RAM (another process, its RAM slot given by the
//! build): the PMP must fault it before the word lands, and the guardian,
//! which checks its memory, must go on intact.
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, fuzz::parse_number, println};

app_main!(main);

const GUARDIAN_RAM: u32 = match parse_number(env!("GUARDIAN_RAM_ORIGIN")) {
    Some(address) => address,
    None => panic!("build.rs sets GUARDIAN_RAM_ORIGIN"),
};

fn main() {
    println!("attack_write_other: start");
    // Above the guardian's stack: its table sits there.
    for offset in (0x800..0x1000).step_by(4) {
        let target = (GUARDIAN_RAM + offset) as *mut u32;
        // SAFETY: none: this write is meant to fault.
        unsafe { target.write_volatile(0xBAD0_BAD0) };
    }
    println!("attack_write_other: ISOLATION BROKEN, another process's RAM written");
}
