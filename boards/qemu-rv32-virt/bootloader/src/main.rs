//! The serial bootloader of qemu-rv32-virt: it sits at the reset vector
//! (0x2000_0000), speaks upstream tock-bootloader's protocol on the 16550
//! UART (through `loader-protocol`'s bootloader engine, the same one the
//! host tests simulate), and starts the kernel at [`KERNEL_START`].
//!
//! At reset it jumps straight to the kernel unless
//! - the entry request word at [`ENTRY_REQUEST_ADDRESS`] holds
//!   [`ENTRY_REQUEST_MAGIC`] (the running kernel's ENTER_BOOTLOADER, or
//!   QEMU's `-device loader,addr=0x8000fff0,data=0xb007104d,data-len=4`:
//!   the emulated "button held at reset"), or
//! - tockloader's bare ping (ESC PING, 0xFC 0x01) arrives within
//!   [`ENTRY_WINDOW_TICKS`] of reset (see [`ping_within_window`]).
//!
//! Guarantees: nothing outside app flash and the empty attribute slots is
//! ever written (the engine checks every address), apart from the flash
//! journal's blocks that make a rewrite power-cut safe; EXIT clears the
//! request word and starts the kernel; nothing is printed, so the
//! kernel's console output is what it was without a bootloader.
//!
//! Must never: erase the first erase block (it holds the bootloader and
//! the kernel), or take an interrupt (it polls; `mie` stays 0).
#![no_std]
#![no_main]

mod flash;
mod uart;

use loader_protocol::attribute::{ATTRIBUTE_COUNT, ATTRIBUTE_SIZE, KEY_LENGTH, MAX_VALUE_LENGTH};
use loader_protocol::{Bootloader, BootloaderLayout, Command, Flow, ESCAPE};

/// The board's memory map, the same file the kernel board compiles.
#[path = "../../src/memory_map.rs"]
mod memory_map;

/// Where the kernel starts: inside the first erase block, after the
/// bootloader's 32 KiB.
pub const KERNEL_START: u32 = memory_map::KERNEL_START as u32;
/// App flash (the flash journal's blocks and the key-value store follow
/// it, never written here).
const APP_START: u32 = memory_map::APP_FLASH_START as u32;
const APP_END: u32 = memory_map::APP_FLASH_END as u32;
/// The flash journal's records and spare blocks: rewrites that set bits
/// go through them, as the kernel's do.
const JOURNAL_RECORDS: u32 = memory_map::JOURNAL_RECORDS_START as u32;
/// What the journal may rewrite (and so recover): app flash and the
/// kernel's areas after it, as in the kernel. The engine itself writes
/// only app flash (`BootloaderLayout`).
const JOURNAL_AREA_START: u32 = memory_map::JOURNAL_AREA_START as u32;
const JOURNAL_AREA_END: u32 = memory_map::JOURNAL_AREA_END as u32;
const JOURNAL_SPARE: u32 = memory_map::JOURNAL_SPARE_START as u32;
/// Pflash unit 0.
const FLASH_START: u32 = memory_map::FLASH_START as u32;
const FLASH_END: u32 = memory_map::FLASH_END as u32;

/// The word the kernel (or QEMU's loader device) sets to ask for the
/// bootloader at the next reset.
pub const ENTRY_REQUEST_ADDRESS: usize = memory_map::BOOTLOADER_ENTRY_REQUEST;
/// "boot load": any other value boots the kernel.
pub const ENTRY_REQUEST_MAGIC: u32 = memory_map::BOOTLOADER_ENTRY_MAGIC;
/// How long after reset (and after its first byte) a ping enters the
/// bootloader: 10 ms of the CLINT's 10 MHz `mtime`. Every boot pays it,
/// so it stays short.
const ENTRY_WINDOW_TICKS: u32 = 100_000;
const MTIME_ADDRESS: usize = 0x0200_BFF8;

/// INFO's JSON, upstream's keys.
const INFO_JSON: &str = r#"{"version":"0.1.0","name":"qemu-rv32-virt bootloader"}"#;

/// Upstream's flags at flash offset 0x400: the marker, then the version
/// (8 bytes at 0x40E).
#[used]
#[link_section = ".bootloader.flags"]
static FLAGS: [u8; 22] = *b"TOCKBOOTLOADER0.1.0\0\0\0";

/// The attribute table at flash offset 0x600 (upstream's): four slots
/// set, the rest erased (0xFF) so that SET_ATTRIBUTE can program them.
#[used]
#[link_section = ".bootloader.attributes"]
static ATTRIBUTES: [[u8; ATTRIBUTE_SIZE]; ATTRIBUTE_COUNT] = attribute_table(&[
    ("board", "qemu-rv32-virt"),
    ("arch", "rv32imac"),
    ("appaddr", "0x20040000"),
    ("pagesize", "512"),
]);

/// Builds the table at compile time; a key or value too long fails the
/// build (const evaluation panics), never the device.
const fn attribute_table(pairs: &[(&str, &str)]) -> [[u8; ATTRIBUTE_SIZE]; ATTRIBUTE_COUNT] {
    let mut table = [[0xFF; ATTRIBUTE_SIZE]; ATTRIBUTE_COUNT];
    let mut index = 0;
    while index < pairs.len() {
        let (key, value) = (pairs[index].0.as_bytes(), pairs[index].1.as_bytes());
        assert!(key.len() <= KEY_LENGTH && value.len() <= MAX_VALUE_LENGTH);
        let mut slot = [0u8; ATTRIBUTE_SIZE];
        let mut byte = 0;
        while byte < key.len() {
            slot[byte] = key[byte];
            byte += 1;
        }
        slot[KEY_LENGTH] = value.len() as u8;
        byte = 0;
        while byte < value.len() {
            slot[KEY_LENGTH + 1 + byte] = value[byte];
            byte += 1;
        }
        table[index] = slot;
        index += 1;
    }
    table
}

#[cfg(target_arch = "riscv32")]
core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .globl _start
_start:
    csrw mie, zero
    csrw mstatus, zero
    la sp, _stack_top
    la t0, _sidata
    la t1, _sdata
    la t2, _edata
1:
    bgeu t1, t2, 2f
    lw t3, 0(t0)
    sw t3, 0(t1)
    addi t0, t0, 4
    addi t1, t1, 4
    j 1b
2:
    la t1, _sbss
    la t2, _ebss
3:
    bgeu t1, t2, 4f
    sw zero, 0(t1)
    addi t1, t1, 4
    j 3b
4:
    call main
5:
    wfi
    j 5b
"#
);

/// Whether the entry request is set (read only).
fn entry_requested() -> bool {
    // SAFETY: the request word is plain RAM that no section of the
    // bootloader or the kernel occupies (both layouts keep it free).
    let word = unsafe { core::ptr::read_volatile(ENTRY_REQUEST_ADDRESS as *const u32) };
    word == ENTRY_REQUEST_MAGIC
}

fn clear_entry_request() {
    // SAFETY: as in `entry_requested`.
    unsafe { core::ptr::write_volatile(ENTRY_REQUEST_ADDRESS as *mut u32, 0) };
}

fn mtime() -> u32 {
    // SAFETY: the CLINT's `mtime` (low word) is mapped at this address on
    // QEMU virt; reading it has no side effect.
    unsafe { core::ptr::read_volatile(MTIME_ADDRESS as *const u32) }
}

/// The next byte within `ticks`, if one arrives.
fn byte_within(ticks: u32) -> Option<u8> {
    let start = mtime();
    while mtime().wrapping_sub(start) < ticks {
        if let Some(byte) = uart::try_read() {
            return Some(byte);
        }
    }
    None
}

/// tockloader's bare ping (ESC PING) within the window after reset. Any
/// other first bytes start the kernel at once: a loader-cli frame opens
/// with ESC RESET and is meant for the kernel's loader service (the
/// bytes read here are lost; loader-cli pings again), and console input
/// loses at most its first byte.
fn ping_within_window() -> bool {
    byte_within(ENTRY_WINDOW_TICKS) == Some(ESCAPE)
        && byte_within(ENTRY_WINDOW_TICKS) == Some(Command::Ping as u8)
}

fn start_kernel() -> ! {
    clear_entry_request();
    // SAFETY: the kernel's `_start` is at KERNEL_START (its layout puts
    // `.text.start` first) and sets up everything it needs itself; nothing
    // of the bootloader's state is used after the jump.
    unsafe {
        core::arch::asm!("jr {0}", in(reg) KERNEL_START, options(noreturn));
    }
}

struct UartSink;

impl loader_protocol::ResponseSink for UartSink {
    fn send(&mut self, bytes: &[u8]) {
        uart::write(bytes);
    }
}

#[no_mangle]
extern "C" fn main() -> ! {
    let requested = entry_requested();
    if !requested && !ping_within_window() {
        start_kernel();
    }
    let layout = BootloaderLayout {
        flash_start: FLASH_START,
        flash_end: FLASH_END,
        kernel_start: KERNEL_START,
        app_start: APP_START,
        app_end: APP_END,
    };
    let nor = flash::Nor;
    let pflash = flash::Pflash::new(
        &nor,
        JOURNAL_AREA_START,
        JOURNAL_AREA_END,
        JOURNAL_RECORDS,
        JOURNAL_SPARE,
    );
    pflash.recover();
    let mut bootloader = Bootloader::new(pflash, layout, INFO_JSON);
    let mut sink = UartSink;
    if !requested {
        // Answer the ping that opened the window.
        let _ = bootloader.receive(ESCAPE, &mut sink);
        let _ = bootloader.receive(Command::Ping as u8, &mut sink);
    }
    loop {
        let byte = uart::read();
        if let Flow::Exit { .. } = bootloader.receive(byte, &mut sink) {
            start_kernel();
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // The engine never panics on input; should anything else, the kernel
    // still gets to run.
    start_kernel()
}
