//! libtock-rs runtime: what makes a Rust program a Tock process.
//!
//! What it is: the entry code (`start`, in assembly per architecture) that
//! checks the app runs where it was linked, moves the break, sets the
//! stack, copies `.data` and zeroes `.bss`; [`TockSyscalls`], the real
//! system calls in inline assembly; `set_main!` and `stack_size!`; panic
//! handlers; `BrkHeap`, a heap over memop brk (device targets only); and the linker layouts
//! (`qemu_rv32_virt.ld`, `nrf52840dk.ld`, `mps2_an386.ld`, and
//! `libtock_custom.ld` from `LIBTOCK_FLASH_START`/`LIBTOCK_RAM_START`).
//!
//! Guarantees: entry follows upstream's conventions (a0/r0 = app start
//! holding `rt_header`; brk before any RAM access), so apps run on
//! upstream Tock and ours. The stack is RAM-only: it never pads the TBF.
//!
//! Must never: touch RAM before the break covers it, or return from
//! `start`. This is one of the crates allowed `unsafe`: every block says
//! why it is sound.
#![no_std]

#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
mod allocator;
#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
mod panic;
#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
mod startup;
#[cfg(target_arch = "arm")]
mod syscalls_arm;
#[cfg(target_arch = "riscv32")]
mod syscalls_riscv;

#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
pub use allocator::BrkHeap;
#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
pub use panic::PANIC_EXIT_STATUS;
#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
pub use startup::{entry_registers, rt_header_address, EntryRegisters, Termination};

/// The real system calls (implemented for RISC-V and Cortex-M targets).
pub struct TockSyscalls;
