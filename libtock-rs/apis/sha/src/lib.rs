//! SHA (driver 0x40005): SHA-256/384/512 digests computed by the kernel,
//! as upstream's SHA capsule offers them.
//!
//! Guarantees: a destination shorter than the digest is `Size` before any
//! system call; every failure is an error value.
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

/// The SHA driver number.
pub const DRIVER_NUM: u32 = DriverNumber::SHA.0;

/// Command numbers (upstream's: tock `capsules/extra/src/sha.rs`).
pub mod command {
    /// The existence check.
    pub const EXISTS: u32 = 0;
    /// Select the algorithm (`argument0`: 0 SHA-256, 1 SHA-384, 2 SHA-512).
    pub const SET_ALGORITHM: u32 = 1;
    /// Digest read-only buffer 0 into read-write buffer 0.
    pub const HASH: u32 = 2;
    /// Digest read-only buffer 0 and compare it with read-only buffer 1.
    pub const VERIFY: u32 = 3;
    /// Add read-only buffer 0 to the running digest (this kernel's
    /// extension).
    pub const UPDATE: u32 = 4;
    /// Finish the running digest into read-write buffer 0 (this kernel's
    /// extension).
    pub const FINISH: u32 = 5;
}

/// Buffer numbers.
pub mod buffer {
    /// Read-only: the data.
    pub const DATA: u32 = 0;
    /// Read-only: the digest to compare with.
    pub const COMPARE: u32 = 1;
    /// Read-write: the digest.
    pub const DEST: u32 = 0;
}

/// Subscribe numbers.
pub mod subscribe {
    /// Hash, update and finish done: `(status, 0, 0)`.
    pub const DONE: u32 = 0;
    /// Verify done: `(status, 1 if equal, 0)`.
    pub const VERIFY_DONE: u32 = 1;
}

/// The digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Algorithm {
    /// SHA-256.
    Sha256 = 0,
    /// SHA-384.
    Sha384 = 1,
    /// SHA-512.
    Sha512 = 2,
}

impl Algorithm {
    /// Digest length in bytes.
    pub const fn digest_length(self) -> usize {
        match self {
            Algorithm::Sha256 => 32,
            Algorithm::Sha384 => 48,
            Algorithm::Sha512 => 64,
        }
    }
}

/// SHA, over the system calls `S`.
pub struct Sha<S: Syscalls>(PhantomData<S>);

type Done = Cell<Option<(u32, u32)>>;

impl<S: Syscalls> Sha<S> {
    /// `Ok` if the kernel has the driver.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// Selects `algorithm`.
    pub fn set_algorithm(algorithm: Algorithm) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::SET_ALGORITHM, algorithm as u32, 0).to_result()
    }

    /// Digests `data` into `digest`; returns the digest length.
    pub fn digest(
        algorithm: Algorithm,
        data: &[u8],
        digest: &mut [u8],
    ) -> Result<usize, ErrorCode> {
        let length = algorithm.digest_length();
        let digest = digest.get_mut(..length).ok_or(ErrorCode::Size)?;
        Self::set_algorithm(algorithm)?;
        let done: Done = Cell::new(None);
        type Shares<'share, S> = (
            AllowRo<'share, S, DRIVER_NUM, { buffer::DATA }>,
            AllowRw<'share, S, DRIVER_NUM, { buffer::DEST }>,
            Subscribe<'share, S, DRIVER_NUM, { subscribe::DONE }>,
        );
        scope::<Shares<S>, _, _>(|handle| {
            let (data_handle, dest, done_handle): (Handle<_>, Handle<_>, Handle<_>) =
                handle.split();
            S::allow_ro(data_handle, data)?;
            S::allow_rw(dest, digest)?;
            S::subscribe(done_handle, &done)?;
            S::command(DRIVER_NUM, command::HASH, 0, 0).to_result::<()>()?;
            status_from_upcall(wait_for_upcall::<S, _>(&done).0)
        })?;
        Ok(length)
    }

    /// True if the digest of `data` equals `expected`.
    pub fn verify(algorithm: Algorithm, data: &[u8], expected: &[u8]) -> Result<bool, ErrorCode> {
        Self::set_algorithm(algorithm)?;
        let done: Done = Cell::new(None);
        type Shares<'share, S> = (
            AllowRo<'share, S, DRIVER_NUM, { buffer::DATA }>,
            AllowRo<'share, S, DRIVER_NUM, { buffer::COMPARE }>,
            Subscribe<'share, S, DRIVER_NUM, { subscribe::VERIFY_DONE }>,
        );
        scope::<Shares<S>, _, _>(|handle| {
            let (data_handle, compare, done_handle): (Handle<_>, Handle<_>, Handle<_>) =
                handle.split();
            S::allow_ro(data_handle, data)?;
            S::allow_ro(compare, expected)?;
            S::subscribe(done_handle, &done)?;
            S::command(DRIVER_NUM, command::VERIFY, 0, 0).to_result::<()>()?;
            let (status, equal) = wait_for_upcall::<S, _>(&done);
            status_from_upcall(status).map(|()| equal != 0)
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type Sha = super::Sha<Fake>;

    const ABC_SHA256: [u8; 32] = [
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22,
        0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00,
        0x15, 0xad,
    ];

    fn setup() -> Kernel {
        let kernel = Kernel::new();
        kernel.add_driver(&Rc::new(drivers::Sha::new()));
        kernel
    }

    #[test]
    fn digest_and_verify_match_the_known_answer() {
        let kernel = setup();
        let mut digest = [0u8; 64];
        assert_eq!(Sha::digest(Algorithm::Sha256, b"abc", &mut digest), Ok(32));
        assert_eq!(digest[..32], ABC_SHA256);
        assert_eq!(Sha::digest(Algorithm::Sha512, b"abc", &mut digest), Ok(64));
        assert_eq!(&digest[..4], &[0xdd, 0xaf, 0x35, 0xa1]);
        assert_eq!(
            Sha::verify(Algorithm::Sha256, b"abc", &ABC_SHA256),
            Ok(true)
        );
        assert_eq!(
            Sha::verify(Algorithm::Sha256, b"abd", &ABC_SHA256),
            Ok(false)
        );
        assert!(!kernel.is_allowed_rw(DRIVER_NUM, buffer::DEST));
    }

    #[test]
    fn errors_are_returned() {
        let kernel = setup();
        let mut short = [0u8; 31];
        assert_eq!(
            Sha::digest(Algorithm::Sha256, b"abc", &mut short),
            Err(ErrorCode::Size)
        );
        assert!(kernel.take_syscall_log().is_empty());
        let calls = [
            SyscallMatch::Command {
                driver: DRIVER_NUM,
                command: command::SET_ALGORITHM,
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
                subscribe: subscribe::DONE,
            },
            SyscallMatch::Command {
                driver: DRIVER_NUM,
                command: command::HASH,
            },
        ];
        for call in calls {
            kernel.inject_failure(call, ErrorCode::Busy);
            assert_eq!(
                Sha::digest(Algorithm::Sha256, b"a", &mut [0u8; 32]),
                Err(ErrorCode::Busy)
            );
        }
        let compare = SyscallMatch::AllowRo {
            driver: DRIVER_NUM,
            buffer: buffer::COMPARE,
        };
        kernel.inject_failure(compare, ErrorCode::Inval);
        assert_eq!(
            Sha::verify(Algorithm::Sha256, b"a", &[0; 32]),
            Err(ErrorCode::Inval)
        );
        drop(kernel);
        let _kernel = Kernel::new();
        assert_eq!(
            Sha::set_algorithm(Algorithm::Sha384),
            Err(ErrorCode::NoDevice)
        );
        assert_eq!(Sha::exists(), Err(ErrorCode::NoDevice));
    }

    #[test]
    fn exists_is_command_zero() {
        let kernel = setup();
        assert_eq!(Sha::exists(), Ok(()));
        assert_eq!(
            kernel.take_syscall_log(),
            [libtock_unittest::SyscallLogEntry::Command {
                driver: DRIVER_NUM,
                command: command::EXISTS,
                argument0: 0,
                argument1: 0,
            }]
        );
    }
}
