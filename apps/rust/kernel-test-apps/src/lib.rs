//! A minimal runtime for the kernel's test and benchmark apps: entry,
//! stack and RAM set-up, raw system calls, console printing and the
//! emulator's test driver. No libtock dependency, so these apps test the
//! kernel alone.
//!
//! Guarantees: the entry moves the break before touching RAM, like
//! upstream's runtimes; syscalls follow TRD104's RISC-V register use.
//! Must never: be used on real hardware (the test driver is the
//! emulator's), or assume anything the kernel does not promise.
#![no_std]

pub mod alarm;
pub mod console;
pub mod fuzz;
pub mod runtime;
pub mod syscall;
pub mod test_exit;

pub use kernel_abi::{DriverNumber, ErrorCode, MemopOperation, ReturnVariant, SyscallClass};

/// Iterations of a benchmark loop, fixed at build time by the
/// `BENCH_ITERATIONS` environment variable (0 when unset or not a number).
pub const fn bench_iterations() -> u32 {
    let Some(text) = option_env!("BENCH_ITERATIONS") else {
        return 0;
    };
    let bytes = text.as_bytes();
    let mut value: u32 = 0;
    let mut index = 0;
    while index < bytes.len() {
        let digit = bytes[index];
        if !digit.is_ascii_digit() {
            return 0;
        }
        value = value.wrapping_mul(10).wrapping_add((digit - b'0') as u32);
        index += 1;
    }
    value
}
