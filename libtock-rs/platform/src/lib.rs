//! libtock-rs platform: the system-call ABI as Rust types, and safe sharing.
//!
//! What it is: [`RawSyscalls`] (the five register-level call shapes a
//! runtime or a fake kernel implements), [`Syscalls`] (every Tock 2.x
//! system call, safe, implemented for every `RawSyscalls`),
//! [`CommandReturn`] with all ten return variants, and [`share`], which ties
//! every allowed buffer and subscribed upcall to a scope.
//!
//! Guarantees: no safe code can reach a buffer or upcall the kernel still
//! holds: leaving a [`share::scope`] revokes every share made through it
//! before the shared memory can go away. Numbers come from `kernel-abi`
//! only (re-exported here), so they are the kernel's numbers.
//!
//! Must never: re-type an ABI number, panic on anything the kernel returns
//! (an undefined return variant or error code becomes an error value), or
//! allocate. It is `no_std`; its `unsafe` blocks are the raw calls, each
//! with the reason its contract holds.
#![no_std]

mod allow;
mod command_return;
mod raw_syscalls;
mod register;
pub mod share;
mod syscalls;
mod syscalls_impl;
mod upcall;

pub use allow::{AllowRo, AllowRw, AllowUserspaceReadable, Subscribe};
pub use command_return::{CommandReturn, SuccessData};
pub use kernel_abi::{
    DriverNumber, ErrorCode, ExitKind, MemopOperation, ReturnVariant, StatusCode, SyscallClass,
    YieldKind,
};
pub use raw_syscalls::RawSyscalls;
pub use register::Register;
pub use syscalls::{Syscalls, YieldNoWaitReturn};
pub use upcall::Upcall;

/// Yields until an upcall has filled `cell`, then takes its value. Other
/// upcalls that arrive meanwhile run as usual.
pub fn wait_for_upcall<S: Syscalls, T: Copy>(cell: &core::cell::Cell<Option<T>>) -> T {
    loop {
        if let Some(value) = cell.take() {
            return value;
        }
        S::yield_wait();
    }
}

/// The error code in an upcall's status argument: `Ok(())` for 0, the
/// error for 1..=13, and [`ErrorCode::Fail`] for anything else.
pub fn status_from_upcall(status: u32) -> Result<(), ErrorCode> {
    match status {
        0 => Ok(()),
        other => Err(ErrorCode::from_u32(other).unwrap_or(ErrorCode::Fail)),
    }
}
