//! ARMv7-M (Cortex-M3/M4) support for the kernel: reset entry and vector
//! table, SVC system calls and the context switch on the process stack
//! ([`CortexMUserspaceBoundary`]), the MPU ([`Mpu`], with subregions),
//! SysTick timeslices ([`SysTick`]), the NVIC and fault decoding
//! (CFSR/MMFAR/BFAR, [`fault`]).
//!
//! Built for `thumbv6m-none-eabi` it is the ARMv6-M (Cortex-M0+) port:
//! the same protocol in Thumb-1 (`asm_v6m.rs`), no BASEPRI, HardFaults
//! decoded from the stack and the faulting instruction ([`fault_v6m`]),
//! and [`MpuV6m`], whole power-of-two regions without subregions
//! ([`mpu_v6m`]); [`ArchitectureMpu`] names the one for the target. The
//! build script sets `cfg(armv6m)`.
//!
//! Guarantees: a process runs unprivileged on its own stack (PSP) and
//! reaches exactly its flash (read, execute) and its RAM below the break
//! (read, write, never execute); every other address, MMIO included,
//! faults it. Its r4-r11 are saved by the kernel and r0-r3, r12, lr, pc
//! and xPSR by the hardware on its stack; the kernel writes that frame
//! only after checking it lies inside the process's memory. The kernel
//! runs privileged in thread mode on MSP; device interrupts only mark
//! their line pending and are serviced by the chip from the main loop.
//!
//! Must never: let a process choose where the kernel stack or its saved
//! state lives, write a frame outside the process's accessible memory,
//! or turn on the FPU (frames would grow to 104 bytes).
//!
//! The region math ([`mpu`]), fault decoding ([`fault`]) and trap
//! classification are pure logic and unit-tested on the host; the
//! assembly and register accesses exist only for `target_arch = "arm"`.
//!
//! Board linker scripts provide `_stack_top`, `_sidata`, `_sdata`,
//! `_edata`, `_sbss`, `_ebss`, place `.vector_table` at the reset address
//! and define `extern "C" fn main() -> !`.
#![cfg_attr(not(test), no_std)]

mod asm;
#[cfg(all(target_arch = "arm", armv6m))]
mod asm_v6m;
pub mod context;
pub mod fault;
pub mod fault_v6m;
pub mod mpu;
pub mod mpu_v6m;
pub mod nvic;
pub mod protection;
pub mod registers;
pub mod support;
pub mod systick;

pub use context::{CortexMUserspaceBoundary, StoredState};
pub use protection::{ArchitectureMpu, Mpu, MpuV6m, ProcessProtection};
pub use systick::SysTick;
