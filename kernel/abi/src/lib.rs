//! The system-call ABI of Tock 2.x (TRD104), defined once.
//!
//! This crate is the single source of every number that crosses the
//! boundary between the kernel and a process: syscall classes, yield
//! kinds, memop operations, exit kinds, return variants, error codes and
//! driver numbers. The kernel (`kernel/core`, `kernel/capsules`) and the
//! Rust userspace library (`libtock-rs/platform`) both depend on it; the C
//! library's `tock_abi.h` is checked against it by a test
//! (`cargo xtask test libtock-c`).
//!
//! Guarantees: every value here equals upstream Tock's, so upstream apps
//! run on our kernel and our apps on upstream's. Where upstream's behaviour
//! and TRD104's text differ, the values follow upstream (see
//! `../shared/FACTS.md`).
//!
//! Must never: allocate, depend on anything, or contain logic beyond
//! conversions. It is `no_std` and `forbid(unsafe_code)`.
//!
//! Register convention (TRD104 §4): arguments in `a0..a3` (RISC-V) or
//! `r0..r3` (Arm); the class in `a4` (RISC-V) or the `svc` immediate (Arm).
//! Returns come back in the same four registers, the first holding a
//! [`ReturnVariant`] for the classes that return one.
#![no_std]
#![forbid(unsafe_code)]

pub mod app_loader;
mod driver;
mod error;
mod numbers;

pub use driver::DriverNumber;
pub use error::{ErrorCode, StatusCode};
pub use numbers::{ExitKind, MemopOperation, ReturnVariant, SyscallClass, YieldKind};

/// The highest kernel ABI version we implement: apps whose KernelVersion
/// TBF header asks for `major` 2 and `minor <= 3` run.
pub const KERNEL_VERSION: (u16, u16) = (2, 3);
