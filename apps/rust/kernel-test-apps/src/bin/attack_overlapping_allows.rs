//! Allows overlapping buffers: read-write to the RNG and to the console's
//! receive slot, read-only to the console's transmit slot, all over one
//! region; then has the RNG fill its part. Whatever the kernel accepts,
//! the bytes around the region (canaries) must stay untouched and the
//! process must go on.
#![no_std]
#![no_main]

use kernel_test_apps::syscall::{self, is_success};
use kernel_test_apps::{app_main, println, DriverNumber};

app_main!(main);

const CANARY: u8 = 0xA5;
static mut AREA: [u8; 96] = [CANARY; 96];

extern "C" fn ignore(_: u32, _: u32, _: u32, _: usize) {}

fn canaries_intact() -> bool {
    // SAFETY: single-threaded; the kernel writes only the allowed middle.
    let area = unsafe { core::ptr::addr_of!(AREA).read_volatile() };
    area[..16]
        .iter()
        .chain(&area[80..])
        .all(|&byte| byte == CANARY)
}

fn main() {
    println!("attack_overlapping_allows: start");
    let middle = core::ptr::addr_of!(AREA) as usize + 16;
    let (rng, console) = (DriverNumber::RNG, DriverNumber::CONSOLE);
    let accepted = [
        syscall::allow_read_write(rng, 0, middle, 48),
        syscall::allow_read_write(console, 1, middle + 16, 48),
        syscall::allow_read_only(console, 1, middle + 8, 32),
        syscall::allow_read_write(rng, 0, middle + 4, 40),
    ]
    .iter()
    .filter(|result| is_success(**result))
    .count();
    syscall::subscribe(rng, 0, ignore as *const () as usize, 0);
    let filling = is_success(syscall::command(rng, 1, 40, 0));
    if filling {
        syscall::yield_wait_for(rng, 0);
    }
    for (driver, number) in [(rng, 0), (console, 1)] {
        syscall::allow_read_write(driver, number, 0, 0);
    }
    syscall::allow_read_only(console, 1, 0, 0);
    println!(
        "attack_overlapping_allows: {} of 4 overlapping allows accepted, rng fill {}",
        accepted,
        if filling { "ran" } else { "refused" }
    );
    if canaries_intact() {
        println!("attack_overlapping_allows: canaries intact");
    } else {
        println!("attack_overlapping_allows: ISOLATION BROKEN, bytes outside the allows written");
    }
}
