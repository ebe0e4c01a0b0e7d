//! The kernel core, after the Tock paper (SOSP'17): processes, grants,
//! system calls, scheduling, process loading.
//!
//! Principles:
//! - Capsules (kernel extensions) are isolated by the type system: they
//!   reach per-process state only through [`grant::Grant::enter`], whose
//!   references cannot escape, and process memory only through bounded
//!   copies ([`process_buffer`]). They cannot write `unsafe`.
//! - Processes are isolated by the hardware ([`platform::MemoryProtection`]):
//!   each reaches exactly its own flash (R-X) and its RAM below its break.
//! - No heap: every table is a fixed-size array in a board-provided static.
//! - Split-phase hardware interfaces ([`hil`]); callbacks come from the main
//!   loop ([`deferred_call`]), never from inside a downcall.
//!
//! Guarantees: the kernel never panics because of what a process does (a
//! bad system call gets an error code, a bad memory access faults only that
//! process); a dead process's grants are unreachable at once and its
//! memory reusable; every pointer a process passes is checked before it is
//! stored and never dereferenced outside the range it was checked for.
//!
//! Must never: allocate, trust a pointer from a process, call a capsule's
//! client back from inside the call that started an operation, or let a
//! capsule widen a process's memory protection on its own: the one
//! widening is [`sharing`] (a buffer a process allowed for another, mapped
//! into that other on upstream IPC's terms), behind a capability only the
//! board hands out.
//!
//! Module map: [`platform`] (traits the arch/chip implement), [`process`]
//! (control block and state machine), [`memory`] (range checks and layout),
//! [`grant`] and [`process_buffer`] (what capsules may touch), [`syscall`]
//! (decode/encode), [`syscall_handler`], [`upcall`], [`kernel`] (process
//! table, process management) and [`kernel_loop`] (main loop),
//! [`scheduler`], [`fault`], [`process_loading`] and [`app_management`]
//! (installing, replacing and removing processes at run time),
//! [`credential`] (the board's credential policy, checked before a
//! process starts) and [`identity`] (app ids, short ids, storage
//! permissions), [`deferred_call`],
//! [`sharing`] (buffers one process shares with another),
//! [`capability`], [`driver`], [`hil`]; `testing` (feature `testing`,
//! host only) lets capsule tests drive a real kernel object.
//!
//! Cargo features: `app_management` (the main loop performs runtime app
//! operations, [`kernel_loop::KernelLoop::with_app_management`]) and
//! `credentials` (a board may install a `credential::CredentialChecker`;
//! apps with the same identity are settled, the higher version runs).
//! Without them a loaded app starts at once, unverified, and nothing of
//! either is linked into the image.
//!
//! Kernel RAM per process: see [`process`] (512 bytes on qemu-rv32-virt).
#![no_std]

pub mod app_management;
pub mod capability;
pub mod credential;
pub mod deferred_call;
pub mod driver;
pub mod fault;
pub mod flash_journal;
pub mod grant;
pub mod hil;
pub mod identity;
pub mod kernel;
pub mod kernel_loop;
pub mod memory;
pub mod platform;
pub mod process;
pub mod process_buffer;
pub mod process_loading;
pub mod scheduler;
pub mod sharing;
pub mod syscall;
pub mod syscall_handler;
#[cfg(feature = "credentials")]
pub mod trust_store;
pub mod upcall;

#[cfg(feature = "testing")]
pub mod testing;
#[cfg(test)]
mod tests;

pub use kernel::{Kernel, ProcessContext, ProcessManagement};
pub use kernel_abi::{DriverNumber, ErrorCode};
pub use process::ProcessId;
pub use syscall::CommandReturn;
