//! A bare-metal guest for the P-256 verification figures: verifies one
//! fixed, valid signature `P256_BENCH_ITERATIONS` times (a compile-time
//! number, 0 when unset) and exits QEMU with status 0, or 1 if any
//! verification failed (so a figure is never the cost of a rejection), or
//! 3 if a tampered signature or digest verified.
//! xtask counts the instructions of a run with N iterations and of one
//! with 0; the difference over N is one verification, on
//! qemu-rv32-virt (`riscv32imac`) and mps2-an386 (`thumbv7em`).
//!
//! It guarantees nothing else and must never be flashed onto a device:
//! it is a measuring stick. Its only `unsafe` is its entry, as a board's:
//! the start-up and the exit are the few assembly lines below.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::hint::black_box;
use core::panic::PanicInfo;
use p256_verify::{verify_prehashed, PublicKey};

/// A key, the SHA-256 digest of a message, and a signature of it by
/// that key (made once with Python's `cryptography`).
const KEY: [u8; 64] = [
    0x82, 0x84, 0xf5, 0x94, 0xf8, 0xc3, 0x26, 0x0d, 0xfb, 0xfa, 0x6c, 0x61, 0xbe, 0x98, 0x11, 0x91,
    0x1b, 0x3d, 0x3f, 0x62, 0x41, 0x4a, 0x63, 0xf4, 0x9c, 0xb6, 0x89, 0x12, 0x36, 0xf1, 0xe5, 0x1a,
    0xc2, 0xf4, 0xa4, 0x78, 0x5a, 0x64, 0x01, 0xc8, 0xf0, 0x2c, 0xda, 0x03, 0x1e, 0x12, 0x0d, 0x98,
    0xb0, 0x68, 0x44, 0xbf, 0xcc, 0xa5, 0xad, 0x1c, 0x1b, 0x9d, 0x36, 0xc3, 0xe2, 0x5a, 0x86, 0xf3,
];
const DIGEST: [u8; 32] = [
    0xb4, 0xcc, 0x6b, 0xb7, 0xe1, 0xc8, 0xfa, 0xff, 0x48, 0x50, 0xd6, 0x13, 0xe5, 0xf5, 0x4c, 0x44,
    0xfe, 0x96, 0x40, 0xfc, 0xe5, 0x87, 0xdd, 0x4b, 0x65, 0x6e, 0x8b, 0x16, 0x6d, 0x6f, 0x36, 0x2e,
];
const SIGNATURE: [u8; 64] = [
    0x72, 0x6f, 0x25, 0x69, 0x99, 0xf6, 0xbb, 0x5b, 0x0c, 0x78, 0xbd, 0x0e, 0x2e, 0x5b, 0xb1, 0x02,
    0xc7, 0xaf, 0x65, 0x20, 0x0f, 0x96, 0x43, 0xf2, 0x7f, 0xd7, 0x55, 0x43, 0x93, 0xac, 0x29, 0xbb,
    0x52, 0x9c, 0xec, 0x80, 0xa8, 0x6d, 0x18, 0xde, 0x0c, 0x1f, 0x41, 0x07, 0x68, 0x2d, 0x6e, 0x2f,
    0xfd, 0x22, 0xd5, 0xf3, 0x80, 0x09, 0x54, 0xf5, 0xc4, 0x14, 0xe3, 0x8b, 0xe0, 0x76, 0x4a, 0x6d,
];

/// How many verifications to run, set when building.
const ITERATIONS: u32 = parse_decimal(option_env!("P256_BENCH_ITERATIONS"));

const fn parse_decimal(text: Option<&str>) -> u32 {
    let Some(text) = text else { return 0 };
    let bytes = text.as_bytes();
    let mut value = 0u32;
    let mut index = 0;
    while index < bytes.len() {
        assert!(
            bytes[index].is_ascii_digit(),
            "P256_BENCH_ITERATIONS must be a number"
        );
        value = value * 10 + (bytes[index] - b'0') as u32;
        index += 1;
    }
    value
}

/// Runs the verifications; the exit status: 0 if all verified.
extern "C" fn bench_main() -> u32 {
    // The key is decoded outside the loop, as the kernel decodes each
    // board key once per app; `black_box` keeps the compiler from
    // hoisting the verification out of the loop.
    let Some(key) = PublicKey::from_raw(&KEY) else {
        return 2;
    };
    // A verifier that accepts anything would make a meaningless figure:
    // a tampered signature and a tampered digest must be refused (in both
    // runs, so they cancel out of the difference).
    let mut tampered_signature = SIGNATURE;
    tampered_signature[63] ^= 1;
    let mut tampered_digest = DIGEST;
    tampered_digest[0] ^= 0x80;
    if verify_prehashed(
        black_box(&key),
        black_box(&DIGEST),
        black_box(&tampered_signature),
    ) || verify_prehashed(
        black_box(&key),
        black_box(&tampered_digest),
        black_box(&SIGNATURE),
    ) {
        return 3;
    }
    let mut failures = 0;
    // Through `black_box` the runs with N and with 0 iterations are the
    // same code (and clippy sees no empty range when N is 0).
    for _ in 0..black_box(ITERATIONS) {
        if !verify_prehashed(black_box(&key), black_box(&DIGEST), black_box(&SIGNATURE)) {
            failures += 1;
        }
    }
    u32::from(failures != 0)
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    // The verifier never panics; if it did, QEMU's timeout ends the run.
    loop {
        core::hint::spin_loop();
    }
}

/// The start-up and the exit (the only `unsafe`: global assembly).
#[allow(
    unsafe_code,
    reason = "the guest's entry and exit: a stack or vector table, then the exit device"
)]
mod entry {
    // qemu-rv32-virt: set the stack, run, then exit through the SiFive test
    // device (0x5555: pass; (code << 16) | 0x3333: fail with `code`). Only
    // `wfi` follows the exit store (CONTRIBUTING.md: the plugin races with
    // anything else).
    // SAFETY: runs alone at reset with nothing else on the machine; the
    // stack is RAM no section uses (link-riscv32.ld), and `bench_main` is an
    // `extern "C"` function taking nothing and returning a u32 in a0.
    #[cfg(target_arch = "riscv32")]
    core::arch::global_asm!(
        ".section .text.start, \"ax\"",
        ".globl _start",
        "_start:",
        "    la sp, __stack_top",
        "    call {main}",
        "    li t0, 0x100000",
        "    li t1, 0x5555",
        "    beqz a0, 1f",
        "    slli t1, a0, 16",
        "    li t2, 0x3333",
        "    or t1, t1, t2",
        "1:  sw t1, 0(t0)",
        "2:  wfi",
        "    j 2b",
        main = sym super::bench_main,
    );

    // mps2-an386: the vector table (stack, reset), run, then semihosting
    // SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit (0x20026) and
    // the exit status as its block.
    // SAFETY: the core loads the stack pointer from the table's first word
    // (RAM no section uses, link-thumbv7em.ld) and enters `reset` alone;
    // `bench_main` is an `extern "C"` function returning a u32 in r0.
    #[cfg(target_arch = "arm")]
    core::arch::global_asm!(
        ".section .vector_table, \"a\"",
        "    .word __stack_top",
        "    .word reset",
        ".section .text.reset, \"ax\"",
        ".thumb_func",
        ".globl reset",
        "reset:",
        "    bl {main}",
        "    ldr r1, =0x20026",
        "    push {{r0}}",
        "    push {{r1}}",
        "    mov r1, sp",
        "    movs r0, #0x20",
        "    bkpt 0xab",
        "1:  wfi",
        "    b 1b",
        ".ltorg",
        main = sym super::bench_main,
    );
}
