//! The 16550 UART at 0x1000_0000, polled (the bootloader takes no
//! interrupts). QEMU's 16550 needs no set-up to pass bytes, and paces the
//! host by its receive FIFO, so polling loses nothing.

const BASE: usize = 0x1000_0000;
const RECEIVE_HOLDING: usize = BASE;
const TRANSMIT_HOLDING: usize = BASE;
const LINE_STATUS: usize = BASE + 5;
const DATA_READY: u8 = 0x01;
const TRANSMIT_EMPTY: u8 = 0x20;

fn line_status() -> u8 {
    // SAFETY: the 16550's line status register is mapped at this address
    // on QEMU virt; reading it only reports state.
    unsafe { core::ptr::read_volatile(LINE_STATUS as *const u8) }
}

/// A received byte, if one is waiting.
pub fn try_read() -> Option<u8> {
    if line_status() & DATA_READY == 0 {
        return None;
    }
    // SAFETY: the receive holding register is mapped here; a byte is ready.
    Some(unsafe { core::ptr::read_volatile(RECEIVE_HOLDING as *const u8) })
}

/// The next received byte (waits for it).
pub fn read() -> u8 {
    loop {
        if let Some(byte) = try_read() {
            return byte;
        }
    }
}

/// Send bytes, waiting for room before each.
pub fn write(bytes: &[u8]) {
    for byte in bytes {
        while line_status() & TRANSMIT_EMPTY == 0 {}
        // SAFETY: the transmit holding register is mapped here and empty.
        unsafe { core::ptr::write_volatile(TRANSMIT_HOLDING as *mut u8, *byte) };
    }
}
