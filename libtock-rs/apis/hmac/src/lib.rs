//! HMAC (driver 0x40003): HMAC-SHA-256/384/512 computed by the kernel, as
//! upstream's HMAC capsule offers it, and HMAC-SHA-1 (algorithm 3, this
//! kernel's extension: HOTP, RFC 4226, is defined over HMAC-SHA-1).
//!
//! Guarantees: a destination shorter than the MAC is `Size` before any
//! system call; every failure is an error value.
//! Must never: panic, or hold the caller's key, data or output past the call.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::marker::PhantomData;
use libtock_platform::share::{scope, Handle};
use libtock_platform::{
    status_from_upcall, wait_for_upcall, AllowRo, AllowRw, DriverNumber, ErrorCode, Subscribe,
    Syscalls,
};

/// The HMAC driver number.
pub const DRIVER_NUM: u32 = DriverNumber::HMAC.0;

/// Command numbers (as SHA's; the key is in read-only buffer 0).
pub mod command {
    /// Select the algorithm (0 SHA-256, 1 SHA-384, 2 SHA-512, 3 SHA-1);
    /// also the existence check.
    pub const SET_ALGORITHM: u32 = 0;
    /// MAC read-only buffer 1 under key 0 into read-write buffer 2.
    pub const RUN: u32 = 1;
    /// Add buffer 1 to the running MAC.
    pub const UPDATE: u32 = 2;
    /// Finish the running MAC into buffer 2.
    pub const FINISH: u32 = 3;
}

/// Buffer numbers.
pub mod buffer {
    /// Read-only: the key.
    pub const KEY: u32 = 0;
    /// Read-only: the data.
    pub const DATA: u32 = 1;
    /// Read-write: the MAC.
    pub const DEST: u32 = 2;
}

/// Subscribe number of the upcall `(status, 0, 0)`.
pub const SUBSCRIBE_NUM: u32 = 0;

/// The hash under the MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Algorithm {
    /// HMAC-SHA-256.
    Sha256 = 0,
    /// HMAC-SHA-384.
    Sha384 = 1,
    /// HMAC-SHA-512.
    Sha512 = 2,
    /// HMAC-SHA-1 (for HOTP only: SHA-1 is not for new designs).
    Sha1 = 3,
}

impl Algorithm {
    /// MAC length in bytes.
    pub const fn mac_length(self) -> usize {
        match self {
            Algorithm::Sha256 => 32,
            Algorithm::Sha384 => 48,
            Algorithm::Sha512 => 64,
            Algorithm::Sha1 => 20,
        }
    }
}

/// HMAC, over the system calls `S`.
pub struct Hmac<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Hmac<S> {
    /// Selects `algorithm` (also tells whether the driver exists).
    pub fn set_algorithm(algorithm: Algorithm) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::SET_ALGORITHM, algorithm as u32, 0).to_result()
    }

    /// The MAC of `data` under `key`, into `mac`; returns its length.
    pub fn mac(
        algorithm: Algorithm,
        key: &[u8],
        data: &[u8],
        mac: &mut [u8],
    ) -> Result<usize, ErrorCode> {
        let length = algorithm.mac_length();
        let mac = mac.get_mut(..length).ok_or(ErrorCode::Size)?;
        Self::set_algorithm(algorithm)?;
        let done: Cell<Option<(u32,)>> = Cell::new(None);
        type Shares<'share, S> = (
            AllowRo<'share, S, DRIVER_NUM, { buffer::KEY }>,
            AllowRo<'share, S, DRIVER_NUM, { buffer::DATA }>,
            AllowRw<'share, S, DRIVER_NUM, { buffer::DEST }>,
            Subscribe<'share, S, DRIVER_NUM, SUBSCRIBE_NUM>,
        );
        scope::<Shares<S>, _, _>(|handle| {
            let (key_handle, data_handle, dest, done_handle): (
                Handle<_>,
                Handle<_>,
                Handle<_>,
                Handle<_>,
            ) = handle.split();
            S::allow_ro(key_handle, key)?;
            S::allow_ro(data_handle, data)?;
            S::allow_rw(dest, mac)?;
            S::subscribe(done_handle, &done)?;
            S::command(DRIVER_NUM, command::RUN, 0, 0).to_result::<()>()?;
            status_from_upcall(wait_for_upcall::<S, _>(&done).0)
        })?;
        Ok(length)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type Hmac = super::Hmac<Fake>;

    /// RFC 4231 test case 2.
    const JEFE_SHA256: [u8; 32] = [
        0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75,
        0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec,
        0x38, 0x43,
    ];

    #[test]
    fn mac_matches_rfc_4231() {
        let kernel = Kernel::new();
        kernel.add_driver(&Rc::new(drivers::Hmac::new()));
        let mut mac = [0u8; 32];
        let data = b"what do ya want for nothing?";
        assert_eq!(
            Hmac::mac(Algorithm::Sha256, b"Jefe", data, &mut mac),
            Ok(32)
        );
        assert_eq!(mac, JEFE_SHA256);
        assert!(!kernel.is_allowed_ro(DRIVER_NUM, buffer::KEY));
    }

    /// RFC 2202 test case 2 (HMAC-SHA-1).
    const JEFE_SHA1: [u8; 20] = [
        0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84, 0xdf,
        0x9c, 0x25, 0x9a, 0x7c, 0x79,
    ];

    #[test]
    fn sha1_mac_matches_rfc_2202_and_leaves_the_rest_alone() {
        let _kernel = Kernel::new();
        _kernel.add_driver(&Rc::new(drivers::Hmac::new()));
        let mut mac = [0xeeu8; 32];
        let data = b"what do ya want for nothing?";
        assert_eq!(Hmac::mac(Algorithm::Sha1, b"Jefe", data, &mut mac), Ok(20));
        assert_eq!(mac[..20], JEFE_SHA1);
        assert_eq!(mac[20..], [0xee; 12]);
    }

    #[test]
    fn errors_are_returned() {
        let kernel = Kernel::new();
        assert_eq!(
            Hmac::mac(Algorithm::Sha256, b"k", b"d", &mut [0; 32]),
            Err(ErrorCode::NoDevice)
        );
        kernel.add_driver(&Rc::new(drivers::Hmac::new()));
        assert_eq!(
            Hmac::mac(Algorithm::Sha512, b"k", b"d", &mut [0; 63]),
            Err(ErrorCode::Size)
        );
        let calls = [
            SyscallMatch::AllowRo {
                driver: DRIVER_NUM,
                buffer: buffer::KEY,
            },
            SyscallMatch::AllowRo {
                driver: DRIVER_NUM,
                buffer: buffer::DATA,
            },
            SyscallMatch::AllowRw {
                driver: DRIVER_NUM,
                buffer: buffer::DEST,
            },
            SyscallMatch::Subscribe {
                driver: DRIVER_NUM,
                subscribe: SUBSCRIBE_NUM,
            },
            SyscallMatch::Command {
                driver: DRIVER_NUM,
                command: command::RUN,
            },
        ];
        for call in calls {
            kernel.inject_failure(call, ErrorCode::Reserve);
            let result = Hmac::mac(Algorithm::Sha256, b"k", b"d", &mut [0; 32]);
            assert_eq!(result, Err(ErrorCode::Reserve));
        }
    }
}
