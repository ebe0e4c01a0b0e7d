//! RISC-V (rv32, machine mode + user mode) support for the kernel: reset
//! entry, trap entry and context switch ([`RiscvUserspaceBoundary`]),
//! physical memory protection ([`Pmp`]) and `mcause`/`mtval` decoding.
//!
//! Guarantees: a process runs in user mode with exactly its own flash
//! (R-X) and its RAM below its break (RW) reachable; every other address,
//! MMIO included, faults it. The full register file of a process is saved
//! on every trap (syscall, fault or interrupt) and restored on return.
//! The kernel runs in machine mode with interrupts globally disabled and is
//! never restricted by the PMP (no entry is ever locked).
//!
//! Must never: lock a PMP entry, enable `mstatus.MIE`, or let a process
//! choose where the kernel stack or its saved state lives.
//!
//! The region math ([`pmp`]), fault decoding ([`cause`]) and trap
//! classification are pure logic and unit-tested on the host; the
//! assembly and CSR accesses exist only for `target_arch = "riscv32"`.
#![no_std]

pub mod cause;
mod context;
pub mod csr;
pub mod pmp;
mod protection;
mod start;

pub use context::{classify_trap, RiscvUserspaceBoundary, StoredState};
pub use protection::{Pmp, ProcessProtection};
