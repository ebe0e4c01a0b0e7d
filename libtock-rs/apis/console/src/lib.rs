//! Console (driver 0x1): write bytes to and read bytes from the board's
//! serial console, as upstream's console capsule offers it.
//!
//! Guarantees: every call returns an error value for every failure (a
//! missing driver is `NoDevice`; a refused allow or subscribe is returned);
//! buffers are lent only for the duration of one call.
//! Must never: panic, or hold a buffer past the call.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::fmt;
use core::marker::PhantomData;
use libtock_platform::share::{scope, Handle};
use libtock_platform::{
    status_from_upcall, wait_for_upcall, AllowRo, AllowRw, DriverNumber, ErrorCode, Subscribe,
    Syscalls,
};

/// The console driver number.
pub const DRIVER_NUM: u32 = DriverNumber::CONSOLE.0;

/// Command numbers.
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// Write `argument0` bytes of read-only buffer 1.
    pub const WRITE: u32 = 1;
    /// Read `argument0` bytes into read-write buffer 1.
    pub const READ: u32 = 2;
    /// Abort the read in flight (it completes with CANCEL).
    pub const ABORT_READ: u32 = 3;
}

/// Subscribe numbers.
pub mod subscribe {
    /// Write done: `(bytes written, 0, 0)`.
    pub const WRITE_DONE: u32 = 1;
    /// Read done: `(status, bytes read, 0)`.
    pub const READ_DONE: u32 = 2;
}

/// Allow numbers (read-only 1 for writes, read-write 1 for reads).
pub const BUFFER_NUM: u32 = 1;

/// The console, over the system calls `S`.
pub struct Console<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Console<S> {
    /// `Ok` if the kernel has a console.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// Writes all of `bytes`, in as many transfers as the kernel needs.
    pub fn write(bytes: &[u8]) -> Result<(), ErrorCode> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let written = Self::write_once(rest)?;
            if written == 0 || written > rest.len() {
                return Err(ErrorCode::Fail);
            }
            rest = &rest[written..];
        }
        Ok(())
    }

    fn write_once(bytes: &[u8]) -> Result<usize, ErrorCode> {
        let done: Cell<Option<(u32,)>> = Cell::new(None);
        type Shares<'share, S> = (
            AllowRo<'share, S, DRIVER_NUM, BUFFER_NUM>,
            Subscribe<'share, S, DRIVER_NUM, { subscribe::WRITE_DONE }>,
        );
        scope::<Shares<S>, _, _>(|handle| {
            let (allow, subscribe): (Handle<_>, Handle<_>) = handle.split();
            S::allow_ro(allow, bytes)?;
            S::subscribe(subscribe, &done)?;
            S::command(DRIVER_NUM, command::WRITE, bytes.len() as u32, 0).to_result::<()>()?;
            Ok(wait_for_upcall::<S, _>(&done).0 as usize)
        })
    }

    /// Reads exactly `buffer.len()` bytes (blocking until they arrive).
    /// Returns how many bytes were read when the kernel ended the read early.
    pub fn read(buffer: &mut [u8]) -> Result<usize, ErrorCode> {
        let done: Cell<Option<(u32, u32)>> = Cell::new(None);
        let length = buffer.len() as u32;
        type Shares<'share, S> = (
            AllowRw<'share, S, DRIVER_NUM, BUFFER_NUM>,
            Subscribe<'share, S, DRIVER_NUM, { subscribe::READ_DONE }>,
        );
        scope::<Shares<S>, _, _>(|handle| {
            let (allow, subscribe): (Handle<_>, Handle<_>) = handle.split();
            S::allow_rw(allow, buffer)?;
            S::subscribe(subscribe, &done)?;
            S::command(DRIVER_NUM, command::READ, length, 0).to_result::<()>()?;
            let (status, read) = wait_for_upcall::<S, _>(&done);
            status_from_upcall(status)?;
            Ok((read as usize).min(length as usize))
        })
    }

    /// A `core::fmt::Write` sink, for `write!` and `writeln!`.
    pub fn writer() -> ConsoleWriter<S> {
        ConsoleWriter(PhantomData)
    }
}

/// Formats onto the console.
pub struct ConsoleWriter<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> fmt::Write for ConsoleWriter<S> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        Console::<S>::write(text.as_bytes()).map_err(|_| fmt::Error)
    }
}

#[cfg(test)]
mod tests;
