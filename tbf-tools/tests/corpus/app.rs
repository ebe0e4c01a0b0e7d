//! A small `no_std` Tock-style app used as packager test input. Built for
//! riscv32imac (fixed address) and thumbv7em (ropi-rwpi, position
//! independent), with and without initialised data (`--cfg no_data`). It
//! never runs: only its ELF layout matters.
#![no_std]
#![no_main]

#[cfg(not(no_data))]
use core::sync::atomic::{AtomicU32, Ordering};

#[cfg(not(no_data))]
static FIRST: AtomicU32 = AtomicU32::new(1);
#[cfg(not(no_data))]
static SECOND: AtomicU32 = AtomicU32::new(0);
/// Pointers in initialised data: position-independent builds need load-time
/// fix-ups for these, which the linker keeps in `.rel.data`.
#[cfg(not(no_data))]
#[no_mangle]
static mut TABLE: [&AtomicU32; 2] = [&FIRST, &SECOND];

static CONSTANTS: [u32; 4] = [0xdead_beef, 0xcafe_f00d, 42, 7];

#[inline(never)]
fn mix(a: u32, b: u32) -> u32 {
    a.wrapping_mul(31) ^ b.wrapping_add(0x9e37_79b9)
}

#[no_mangle]
#[link_section = ".text._start"]
pub extern "C" fn _start() -> ! {
    let mut acc = CONSTANTS[0];
    #[cfg(not(no_data))]
    {
        // SAFETY: single-threaded test input; TABLE is only read, by value.
        let table = unsafe { core::ptr::addr_of!(TABLE).read_volatile() };
        for cell in table {
            acc = mix(acc, cell.load(Ordering::Relaxed));
            cell.store(acc, Ordering::Relaxed);
        }
    }
    loop {
        acc = mix(acc, core::hint::black_box(CONSTANTS[(acc & 3) as usize]));
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}
