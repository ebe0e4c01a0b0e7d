//! `qemu-virt-pflash-cfi`: blocking Intel CFI command primitives for QEMU
//! virt's pflash bank: erase a block, program through the write buffer,
//! query the buffer size, return to read-array mode. The one definition
//! used by the kernel's async driver (chip-qemu-virt's `Pflash`) and by the
//! bare-metal bootloader (boards/qemu-rv32-virt/bootloader), which cannot
//! link the chip crate (it brings the kernel's start-up code).
//!
//! Guarantees: every routine that puts the bank in command mode runs
//! from `.ramfunc` (the image's start-up must copy that section to RAM
//! and these symbols must be linked there) and leaves the bank in
//! read-array mode before it returns. Programming only ever asks the
//! chip to program; it never relies on programming setting bits
//! (callers that rewrite flash must erase first, as on real NOR).
//!
//! Must never: read data from the bank while it is in command mode (the
//! source of a program must be in RAM), or cross a write-buffer boundary
//! in one buffer program (QEMU rejects it with a program error).
//!
//! Bank geometry on QEMU virt: 4 bytes wide, two x16 chips side by side,
//! so commands are 32-bit writes and every status or query answer comes
//! once per chip (low and high half-word).
//!
//! A single word goes by the word-program command (0x40) instead: QEMU
//! opens its write buffer only for a count above one word.
//!
//! ```text
//!  write-to-buffer sequence (one buffer, N words, all inside one
//!  write-buffer-aligned window):
//!    0x50 -> addr      clear status
//!    0xE8 -> addr      write to buffer; poll status until bit 7 (ready)
//!    N-1  -> addr      word count minus one (both chips)
//!    word[i] -> addr+4i  N data words
//!    0xD0 -> addr      confirm; poll until ready; 0xFF read array
//! ```

#![cfg_attr(not(test), no_std)]

/// The erase block of QEMU virt's pflash (fixed by the machine).
pub const BLOCK_SIZE: usize = 256 * 1024;
/// Width of the bank in bytes: every program is a whole word.
pub const BANK_WIDTH: usize = 4;
/// Chips side by side in the bank (each answers status and CFI queries
/// in its own half-word, and each has its own write buffer).
pub const CHIPS_IN_BANK: usize = 2;
/// CFI query table offset (in chip units) of log2(write buffer bytes).
pub const CFI_WRITE_BUFFER_SIZE_INDEX: usize = 0x2A;
/// QEMU's pflash_cfi01 write buffer for the whole bank (2 KiB per chip,
/// CFI 0x2A = 0x0B); [`write_buffer_bytes`] reads the real value.
pub const DEFAULT_WRITE_BUFFER_BYTES: usize = 4096;

const STATUS_READY: u32 = 0x80;
const STATUS_ERROR_MASK: u32 = 0x3a; // erase, program, voltage, lock

/// Why a flash command failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfiError {
    /// The address or length is not what the command needs (a block
    /// start for erase, word alignment or a buffer window for program).
    Misaligned,
    /// The chip reported an error; the status register value.
    Device(u32),
}

/// Reads a status register value: ready and no error bit.
pub fn check_status(status: u32) -> Result<(), CfiError> {
    if status & STATUS_READY == 0 || status & STATUS_ERROR_MASK != 0 {
        Err(CfiError::Device(status))
    } else {
        Ok(())
    }
}

/// The bank's write buffer size from a CFI answer at query index 0x2A
/// (one byte per chip, replicated in each half-word), or `None` if the
/// answer is not a sane power of two (16 B ..= 64 KiB per chip).
pub fn write_buffer_bytes_from_query(answer: u32) -> Option<usize> {
    let log2 = (answer & 0xff) as usize;
    (4..=16)
        .contains(&log2)
        .then(|| (1usize << log2) * CHIPS_IN_BANK)
}

/// Splits `[address, address + length)` into pieces that each stay
/// inside one `buffer_bytes`-aligned window (the unit of one buffer
/// program). Yields `(address, length)` pairs.
pub fn buffer_windows(
    address: usize,
    length: usize,
    buffer_bytes: usize,
) -> impl Iterator<Item = (usize, usize)> {
    let end = address + length;
    let mut position = address;
    core::iter::from_fn(move || {
        if position >= end {
            return None;
        }
        let window_end = (position / buffer_bytes + 1) * buffer_bytes;
        let piece = (position, window_end.min(end) - position);
        position += piece.1;
        Some(piece)
    })
}

#[cfg(target_arch = "riscv32")]
extern "C" {
    fn _pflash_program_buffer(address: usize, source: *const u8, words: usize) -> u32;
    fn _pflash_program_word(address: usize, value: u32) -> u32;
    fn _pflash_erase_block(address: usize) -> u32;
    fn _pflash_query(bank_base: usize, index_offset: usize) -> u32;
    fn _pflash_read_array(bank_base: usize);
}

// The routines run from RAM: while the bank is in command mode it cannot
// be fetched from. They call nothing and touch only the bank and the
// source buffer. `source` is read byte by byte, so it may be unaligned.
#[cfg(target_arch = "riscv32")]
core::arch::global_asm!(
    r#"
    .section .ramfunc, "ax"
    .globl _pflash_program_buffer
    .align 2
_pflash_program_buffer:
    li t0, 0x50
    sw t0, 0(a0)
    li t0, 0xe8
    sw t0, 0(a0)
1:  lw t1, 0(a0)
    andi t2, t1, 0x80
    beqz t2, 1b
    addi t0, a2, -1
    slli t3, t0, 16
    or t0, t0, t3
    sw t0, 0(a0)
    mv t3, a0
2:  lbu t0, 0(a1)
    lbu t1, 1(a1)
    slli t1, t1, 8
    or t0, t0, t1
    lbu t1, 2(a1)
    slli t1, t1, 16
    or t0, t0, t1
    lbu t1, 3(a1)
    slli t1, t1, 24
    or t0, t0, t1
    sw t0, 0(t3)
    addi a1, a1, 4
    addi t3, t3, 4
    addi a2, a2, -1
    bnez a2, 2b
    li t0, 0xd0
    sw t0, 0(a0)
    j _pflash_wait_ready

    .globl _pflash_program_word
    .align 2
_pflash_program_word:
    li t0, 0x50
    sw t0, 0(a0)
    li t0, 0x40
    sw t0, 0(a0)
    sw a1, 0(a0)
    j _pflash_wait_ready

    .globl _pflash_erase_block
    .align 2
_pflash_erase_block:
    li t0, 0x50
    sw t0, 0(a0)
    li t0, 0x20
    sw t0, 0(a0)
    li t0, 0xd0
    sw t0, 0(a0)
_pflash_wait_ready:
    lw t1, 0(a0)
    andi t2, t1, 0x80
    beqz t2, _pflash_wait_ready
    li t0, 0xff
    sw t0, 0(a0)
    mv a0, t1
    ret

    .globl _pflash_query
    .align 2
_pflash_query:
    li t0, 0x98
    sw t0, 0(a0)
    add t1, a0, a1
    lw t1, 0(t1)
    li t0, 0xff
    sw t0, 0(a0)
    mv a0, t1
    ret

    .globl _pflash_read_array
    .align 2
_pflash_read_array:
    li t0, 0xff
    sw t0, 0(a0)
    ret
"#
);

/// Erases the 256 KiB block at `address` to 0xFF.
///
/// # Safety
/// `address` must be a block start inside a CFI pflash bank, nothing may
/// execute from or hold a reference into the bank while this runs, and
/// `.ramfunc` must be in RAM.
pub unsafe fn erase_block(address: usize) -> Result<(), CfiError> {
    if !address.is_multiple_of(BLOCK_SIZE) {
        return Err(CfiError::Misaligned);
    }
    #[cfg(target_arch = "riscv32")]
    {
        // SAFETY: per the caller's guarantee; the routine runs from RAM
        // and returns the bank to read-array mode.
        check_status(unsafe { _pflash_erase_block(address) })
    }
    #[cfg(not(target_arch = "riscv32"))]
    Err(CfiError::Device(0))
}

/// Programs `source` (a multiple of 4 bytes) at the word-aligned
/// `address` with one write-to-buffer command; the range must lie inside
/// one `buffer_bytes`-aligned window (see [`buffer_windows`]).
///
/// # Safety
/// As for [`erase_block`]; `source` must be in RAM (not in the bank).
pub unsafe fn program_buffer(
    address: usize,
    source: &[u8],
    buffer_bytes: usize,
) -> Result<(), CfiError> {
    let words = source.len() / BANK_WIDTH;
    let in_one_window = buffer_windows(address, source.len(), buffer_bytes).count() == 1;
    if words == 0
        || !source.len().is_multiple_of(BANK_WIDTH)
        || !address.is_multiple_of(BANK_WIDTH)
        || !in_one_window
    {
        return Err(CfiError::Misaligned);
    }
    #[cfg(target_arch = "riscv32")]
    if words == 1 {
        // QEMU's pflash rejects a one-word buffer program (it opens its
        // buffer only for a count above zero): one word uses 0x40.
        let word = u32::from_le_bytes([source[0], source[1], source[2], source[3]]);
        // SAFETY: per the caller's guarantee; the routine runs from RAM
        // and writes only this word.
        check_status(unsafe { _pflash_program_word(address, word) })
    } else {
        // SAFETY: per the caller's guarantee; the routine runs from RAM,
        // reads `words * 4` bytes of `source` and writes only the range.
        check_status(unsafe { _pflash_program_buffer(address, source.as_ptr(), words) })
    }
    #[cfg(not(target_arch = "riscv32"))]
    Err(CfiError::Device(0))
}

/// Programs `data` at any `address` (any alignment and length): partial
/// words at the edges are merged with the bytes already in flash, and the
/// rest goes through the write buffer, one window at a time.
///
/// # Safety
/// As for [`program_buffer`]; `[address, address + data.len())` must lie
/// inside the bank.
pub unsafe fn program(address: usize, data: &[u8], buffer_bytes: usize) -> Result<(), CfiError> {
    #[cfg(not(feature = "write_buffer"))]
    let _ = buffer_bytes;
    #[cfg(not(feature = "write_buffer"))]
    // SAFETY: per the caller's guarantee.
    unsafe {
        program_by_words(address, data)
    }
    #[cfg(feature = "write_buffer")]
    // SAFETY: per the caller's guarantee.
    unsafe {
        program_by_buffers(address, data, buffer_bytes)
    }
}

/// Word by word (feature `write_buffer` off: the smallest code, for
/// kernels that program flash rarely).
///
/// # Safety
/// As for [`program`].
#[cfg(not(feature = "write_buffer"))]
unsafe fn program_by_words(address: usize, data: &[u8]) -> Result<(), CfiError> {
    let mut position = 0;
    while position < data.len() {
        let word_start = (address + position) & !(BANK_WIDTH - 1);
        let first = address + position - word_start;
        let count = (BANK_WIDTH - first).min(data.len() - position);
        // SAFETY: the word is inside the bank; read-array mode.
        let mut word = unsafe { (word_start as *const u32).read_volatile() }.to_le_bytes();
        word[first..first + count].copy_from_slice(&data[position..position + count]);
        #[cfg(target_arch = "riscv32")]
        // SAFETY: per the caller's guarantee; the routine runs from RAM.
        check_status(unsafe { _pflash_program_word(word_start, u32::from_le_bytes(word)) })?;
        position += count;
    }
    if cfg!(target_arch = "riscv32") {
        Ok(())
    } else {
        Err(CfiError::Device(0))
    }
}

/// Through the write buffer, one window per command.
///
/// # Safety
/// As for [`program`].
#[cfg(feature = "write_buffer")]
unsafe fn program_by_buffers(
    address: usize,
    data: &[u8],
    buffer_bytes: usize,
) -> Result<(), CfiError> {
    let mut position = 0;
    while position < data.len() {
        let here = address + position;
        let word_start = here & !(BANK_WIDTH - 1);
        let first = here - word_start;
        if first != 0 || data.len() - position < BANK_WIDTH {
            let count = (BANK_WIDTH - first).min(data.len() - position);
            // SAFETY: the word is inside the bank (the caller's range,
            // rounded to the bank's word); the bank is in read-array mode.
            let mut word = unsafe { (word_start as *const u32).read_volatile() }.to_le_bytes();
            word[first..first + count].copy_from_slice(&data[position..position + count]);
            // SAFETY: per the caller's guarantee; `word` is on the stack.
            unsafe { program_buffer(word_start, &word, buffer_bytes) }?;
            position += count;
            continue;
        }
        let whole = (data.len() - position) & !(BANK_WIDTH - 1);
        for (window, length) in buffer_windows(here, whole, buffer_bytes) {
            let from = position + (window - here);
            // SAFETY: per the caller's guarantee.
            unsafe { program_buffer(window, &data[from..from + length], buffer_bytes) }?;
        }
        position += whole;
    }
    Ok(())
}

/// The bank's write buffer size, read from its CFI query table; the
/// documented QEMU value if the answer is not sane.
///
/// # Safety
/// As for [`erase_block`], with `bank_base` the bank's first byte.
pub unsafe fn write_buffer_bytes(bank_base: usize) -> usize {
    #[cfg(target_arch = "riscv32")]
    {
        // SAFETY: per the caller's guarantee; the routine runs from RAM
        // and returns the bank to read-array mode.
        let answer = unsafe { _pflash_query(bank_base, CFI_WRITE_BUFFER_SIZE_INDEX * BANK_WIDTH) };
        write_buffer_bytes_from_query(answer).unwrap_or(DEFAULT_WRITE_BUFFER_BYTES)
    }
    #[cfg(not(target_arch = "riscv32"))]
    {
        let _ = bank_base;
        DEFAULT_WRITE_BUFFER_BYTES
    }
}

/// Puts the bank back in read-array mode (e.g. after a reset that left
/// it in command mode).
///
/// # Safety
/// As for [`erase_block`].
pub unsafe fn read_array(bank_base: usize) {
    #[cfg(target_arch = "riscv32")]
    // SAFETY: per the caller's guarantee.
    unsafe {
        _pflash_read_array(bank_base)
    };
    #[cfg(not(target_arch = "riscv32"))]
    let _ = bank_base;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_write_buffer_size_comes_from_the_cfi_answer_of_each_chip() {
        assert_eq!(write_buffer_bytes_from_query(0x000b_000b), Some(4096));
        assert_eq!(write_buffer_bytes_from_query(0x0000_0000), None);
        assert_eq!(write_buffer_bytes_from_query(0x0000_00ff), None);
    }

    #[test]
    fn windows_never_cross_a_buffer_boundary_and_cover_the_range() {
        let mut pieces = buffer_windows(0x0ff8, 0x1010, 0x1000);
        assert_eq!(pieces.next(), Some((0x0ff8, 8)));
        assert_eq!(pieces.next(), Some((0x1000, 0x1000)));
        assert_eq!(pieces.next(), Some((0x2000, 8)));
        assert_eq!(pieces.next(), None);
        assert_eq!(buffer_windows(0x40, 0, 0x1000).count(), 0);
    }

    #[test]
    fn status_errors_are_reported() {
        assert_eq!(check_status(0x0080_0080), Ok(()));
        assert_eq!(check_status(0x90), Err(CfiError::Device(0x90)));
        assert_eq!(check_status(0), Err(CfiError::Device(0)));
    }
}
