//! Key-value store (driver 0x50003): get, set, delete, add and update,
//! isolated per app by the kernel, as upstream's KV driver offers them.
//!
//! Guarantees: a value longer than the caller's buffer is reported as
//! `Size` with nothing claimed beyond the buffer; every failure (including
//! a missing key, which upstream reports as `NoSupport`) is an error value.
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

/// The key-value driver number.
pub const DRIVER_NUM: u32 = DriverNumber::KV.0;

/// Command numbers.
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// Value of the key into read-write buffer 0.
    pub const GET: u32 = 1;
    /// Store read-only buffer 1 under the key (insert or replace).
    pub const SET: u32 = 2;
    /// Remove the key.
    pub const DELETE: u32 = 3;
    /// Store only if the key is absent.
    pub const ADD: u32 = 4;
    /// Store only if the key is present.
    pub const UPDATE: u32 = 5;
}

/// Buffer numbers.
pub mod buffer {
    /// Read-only: the key.
    pub const KEY: u32 = 0;
    /// Read-only: the value to store.
    pub const VALUE: u32 = 1;
    /// Read-write: where get puts the value.
    pub const OUTPUT: u32 = 0;
}

/// Subscribe number of the upcall `(status, value length, 0)`.
pub const SUBSCRIBE_NUM: u32 = 0;

/// The key-value store, over the system calls `S`.
pub struct KeyValue<S: Syscalls>(PhantomData<S>);

type Upcall = Cell<Option<(u32, u32)>>;

impl<S: Syscalls> KeyValue<S> {
    /// `Ok` if the kernel has the store.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// Runs `command` with `key` and optional `value` allowed; returns the
    /// upcall's length.
    fn run(command: u32, key: &[u8], value: &[u8]) -> Result<u32, ErrorCode> {
        let done: Upcall = Cell::new(None);
        type Shares<'share, S> = (
            AllowRo<'share, S, DRIVER_NUM, { buffer::KEY }>,
            AllowRo<'share, S, DRIVER_NUM, { buffer::VALUE }>,
            Subscribe<'share, S, DRIVER_NUM, SUBSCRIBE_NUM>,
        );
        scope::<Shares<S>, _, _>(|handle| {
            let (key_handle, value_handle, subscribe): (Handle<_>, Handle<_>, Handle<_>) =
                handle.split();
            S::allow_ro(key_handle, key)?;
            if !value.is_empty() {
                S::allow_ro(value_handle, value)?;
            }
            S::subscribe(subscribe, &done)?;
            S::command(DRIVER_NUM, command, 0, 0).to_result::<()>()?;
            let (status, length) = wait_for_upcall::<S, _>(&done);
            status_from_upcall(status).map(|()| length)
        })
    }

    /// Reads the value of `key` into `value`; returns its length.
    pub fn get(key: &[u8], value: &mut [u8]) -> Result<usize, ErrorCode> {
        let capacity = value.len();
        let length = scope::<AllowRw<S, DRIVER_NUM, { buffer::OUTPUT }>, _, _>(|handle| {
            S::allow_rw(handle, value)?;
            Self::run(command::GET, key, &[])
        })? as usize;
        if length > capacity {
            return Err(ErrorCode::Size);
        }
        Ok(length)
    }

    /// Stores `value` under `key`, replacing any old value.
    pub fn set(key: &[u8], value: &[u8]) -> Result<(), ErrorCode> {
        Self::run(command::SET, key, value).map(|_| ())
    }

    /// Stores `value` under `key` if `key` is absent.
    pub fn add(key: &[u8], value: &[u8]) -> Result<(), ErrorCode> {
        Self::run(command::ADD, key, value).map(|_| ())
    }

    /// Replaces the value of `key` if `key` is present.
    pub fn update(key: &[u8], value: &[u8]) -> Result<(), ErrorCode> {
        Self::run(command::UPDATE, key, value).map(|_| ())
    }

    /// Removes `key`.
    pub fn delete(key: &[u8]) -> Result<(), ErrorCode> {
        Self::run(command::DELETE, key, &[]).map(|_| ())
    }
}

#[cfg(test)]
mod tests;
