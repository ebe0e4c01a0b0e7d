//! Isolated non-volatile storage (driver 0x50004, upstream Tock's interface):
//! a flash region of the app identity's own, read and written at byte
//! offsets. The kernel keeps it per storage write id, so it survives reboots
//! and updates of the app with the same identity; an app without a write id
//! is refused with [`ErrorCode::NoSupport`].
//!
//! Every call blocks: it subscribes, allows its buffer, runs the command and
//! yields until the kernel's upcall, then withdraws both before returning.
//!
//! Guarantees: a write makes the bytes at `offset` equal `data` (upstream's
//! semantics; see the kernel capsule for what a power cut may leave); a read
//! fills all of `buffer` or fails; a range that does not fit in the region
//! is an error ([`ErrorCode::Inval`]) and touches nothing; an empty buffer
//! is [`ErrorCode::Reserve`], as upstream reports it.
//! Must never: panic, or hold the caller's buffers past the call.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::marker::PhantomData;
use libtock_platform::share::{scope, Handle};
use libtock_platform::{
    status_from_upcall, wait_for_upcall, AllowRo, AllowRw, DriverNumber, ErrorCode, Subscribe,
    Syscalls,
};

/// The isolated non-volatile storage driver number.
pub const DRIVER_NUMBER: u32 = DriverNumber::ISOLATED_NONVOLATILE_STORAGE.0;

/// Command numbers.
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// The region's size; the upcall gets (status, bytes low 32, bytes high 32).
    pub const SIZE: u32 = 1;
    /// Read at offset (argument0 low 32 bits, argument1 high) into read-write buffer 0.
    pub const READ: u32 = 2;
    /// Write read-only buffer 0 at offset (argument0 low 32 bits, argument1 high).
    pub const WRITE: u32 = 3;
}

/// Subscribe numbers: each operation completes on its own upcall.
pub mod subscribe {
    /// Size done: (status, bytes low 32, bytes high 32).
    pub const SIZE: u32 = 0;
    /// Read done: (status, 0, 0).
    pub const READ: u32 = 1;
    /// Write done: (status, 0, 0).
    pub const WRITE: u32 = 2;
}

/// Buffer numbers.
pub mod buffer {
    /// Read-write: where a read puts the bytes.
    pub const READ: u32 = 0;
    /// Read-only: the bytes a write stores.
    pub const WRITE: u32 = 0;
}

/// The app's isolated non-volatile storage, over the system calls `S`.
pub struct IsolatedNonvolatileStorage<S: Syscalls>(PhantomData<S>);

type Upcall = Cell<Option<(u32, u32, u32)>>;

/// Splits a 64-bit offset into the command's (low, high) arguments.
fn halves(value: u64) -> (u32, u32) {
    (value as u32, (value >> 32) as u32)
}

impl<S: Syscalls> IsolatedNonvolatileStorage<S> {
    /// `Ok` if the kernel has the driver.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUMBER, command::EXISTS, 0, 0).to_result()
    }

    /// Subscribes to `SUBSCRIBE`, runs `command` and waits for its upcall;
    /// returns the upcall's two values after a success status.
    fn run<const SUBSCRIBE: u32>(command: u32, offset: u64) -> Result<(u32, u32), ErrorCode> {
        let done: Upcall = Cell::new(None);
        scope::<Subscribe<S, DRIVER_NUMBER, SUBSCRIBE>, _, _>(|subscribe| {
            S::subscribe(subscribe, &done)?;
            let (low, high) = halves(offset);
            S::command(DRIVER_NUMBER, command, low, high).to_result::<()>()?;
            let (status, first, second) = wait_for_upcall::<S, _>(&done);
            status_from_upcall(status).map(|()| (first, second))
        })
    }

    /// The region's size in bytes.
    pub fn size() -> Result<u64, ErrorCode> {
        let (low, high) = Self::run::<{ subscribe::SIZE }>(command::SIZE, 0)?;
        Ok(u64::from(low) | (u64::from(high) << 32))
    }

    /// Fills `buffer` with the region's bytes from `offset` on.
    pub fn read(offset: u64, buffer: &mut [u8]) -> Result<(), ErrorCode> {
        scope::<AllowRw<S, DRIVER_NUMBER, { buffer::READ }>, _, _>(|handle: Handle<_>| {
            S::allow_rw(handle, buffer)?;
            Self::run::<{ subscribe::READ }>(command::READ, offset).map(|_| ())
        })
    }

    /// Makes the region's bytes from `offset` on equal `data`.
    pub fn write(offset: u64, data: &[u8]) -> Result<(), ErrorCode> {
        scope::<AllowRo<S, DRIVER_NUMBER, { buffer::WRITE }>, _, _>(|handle: Handle<_>| {
            S::allow_ro(handle, data)?;
            Self::run::<{ subscribe::WRITE }>(command::WRITE, offset).map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests;
