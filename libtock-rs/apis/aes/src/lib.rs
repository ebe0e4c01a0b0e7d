//! AES-128 (driver 0x40006): encryption and decryption by the kernel, as
//! upstream's AES capsule offers them (CTR, CBC, ECB; CCM and GCM modes
//! exist upstream and are named here, a board may lack them).
//!
//! Guarantees: every failure is an error value; the key, IV, source and
//! destination are lent only for the call.
//! Must never: panic.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::marker::PhantomData;
use libtock_platform::share::{scope, Handle};
use libtock_platform::{
    status_from_upcall, wait_for_upcall, AllowRo, AllowRw, DriverNumber, ErrorCode, Subscribe,
    Syscalls,
};

/// The AES driver number.
pub const DRIVER_NUM: u32 = DriverNumber::AES.0;

/// Command numbers.
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// Mode `argument0`, encrypt if `argument1` is 1.
    pub const SET_ALGORITHM: u32 = 1;
    /// Load key (read-only 0) and IV (read-only 1).
    pub const SETUP: u32 = 2;
    /// Transform read-only buffer 2 into read-write buffer 0.
    pub const CRYPT: u32 = 3;
    /// Release the engine.
    pub const FINISH: u32 = 4;
}

/// Buffer numbers.
pub mod buffer {
    /// Read-only: the 16-byte key.
    pub const KEY: u32 = 0;
    /// Read-only: the 16-byte IV or counter.
    pub const IV: u32 = 1;
    /// Read-only: the input.
    pub const SOURCE: u32 = 2;
    /// Read-write: the output.
    pub const DEST: u32 = 0;
}

/// Subscribe number of the upcall `(status, bytes, 0)`.
pub const SUBSCRIBE_NUM: u32 = 0;

/// Block-cipher mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Mode {
    /// Counter mode.
    Ctr = 0,
    /// Cipher block chaining.
    Cbc = 1,
    /// Electronic code book.
    Ecb = 2,
    /// Counter with CBC-MAC.
    Ccm = 3,
    /// Galois/counter mode.
    Gcm = 4,
}

/// Which way to transform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Plaintext to ciphertext.
    Encrypt,
    /// Ciphertext to plaintext.
    Decrypt,
}

/// AES-128, over the system calls `S`.
pub struct Aes<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Aes<S> {
    /// `Ok` if the kernel has AES.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// Transforms `source` into `output` with `key` and `iv` (ignored by ECB).
    pub fn crypt(
        mode: Mode,
        direction: Direction,
        key: &[u8; 16],
        iv: &[u8; 16],
        source: &[u8],
        output: &mut [u8],
    ) -> Result<(), ErrorCode> {
        let encrypt = u32::from(direction == Direction::Encrypt);
        S::command(DRIVER_NUM, command::SET_ALGORITHM, mode as u32, encrypt).to_result::<()>()?;
        let done: Cell<Option<(u32,)>> = Cell::new(None);
        type Shares<'share, S> = (
            AllowRo<'share, S, DRIVER_NUM, { buffer::KEY }>,
            AllowRo<'share, S, DRIVER_NUM, { buffer::IV }>,
            AllowRo<'share, S, DRIVER_NUM, { buffer::SOURCE }>,
            AllowRw<'share, S, DRIVER_NUM, { buffer::DEST }>,
            Subscribe<'share, S, DRIVER_NUM, SUBSCRIBE_NUM>,
        );
        let result = scope::<Shares<S>, _, _>(|handle| {
            let (key_handle, iv_handle, source_handle, dest, done_handle): (
                Handle<_>,
                Handle<_>,
                Handle<_>,
                Handle<_>,
                Handle<_>,
            ) = handle.split();
            S::allow_ro(key_handle, key)?;
            S::allow_ro(iv_handle, iv)?;
            S::allow_ro(source_handle, source)?;
            S::allow_rw(dest, output)?;
            S::subscribe(done_handle, &done)?;
            S::command(DRIVER_NUM, command::SETUP, 0, 0).to_result::<()>()?;
            S::command(DRIVER_NUM, command::CRYPT, 0, 0).to_result::<()>()?;
            status_from_upcall(wait_for_upcall::<S, _>(&done).0)
        });
        // Release the engine whatever happened; the first error wins.
        let finished = S::command(DRIVER_NUM, command::FINISH, 0, 0).to_result::<()>();
        result.and(finished)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type Aes = super::Aes<Fake>;

    const KEY: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    const PLAIN: [u8; 16] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ];
    /// FIPS-197 appendix C.1.
    const CIPHER: [u8; 16] = [
        0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5,
        0x5a,
    ];

    fn setup() -> Kernel {
        let kernel = Kernel::new();
        kernel.add_driver(&Rc::new(drivers::Aes::new()));
        kernel
    }

    #[test]
    fn ecb_matches_fips_197_and_modes_round_trip() {
        let _kernel = setup();
        assert_eq!(Aes::exists(), Ok(()));
        let mut out = [0u8; 16];
        Aes::crypt(
            Mode::Ecb,
            Direction::Encrypt,
            &KEY,
            &[0; 16],
            &PLAIN,
            &mut out,
        )
        .unwrap();
        assert_eq!(out, CIPHER);
        for mode in [Mode::Ctr, Mode::Cbc] {
            let iv = [7u8; 16];
            let plain = [0x5au8; 32];
            let (mut cipher, mut back) = ([0u8; 32], [0u8; 32]);
            Aes::crypt(mode, Direction::Encrypt, &KEY, &iv, &plain, &mut cipher).unwrap();
            Aes::crypt(mode, Direction::Decrypt, &KEY, &iv, &cipher, &mut back).unwrap();
            assert_ne!(cipher, plain);
            assert_eq!(back, plain, "{mode:?}");
        }
    }

    #[test]
    fn errors_are_returned() {
        let kernel = setup();
        let mut out = [0u8; 16];
        let short = &mut [0u8; 8];
        assert_eq!(
            Aes::crypt(Mode::Ecb, Direction::Encrypt, &KEY, &[0; 16], &PLAIN, short),
            Err(ErrorCode::Size)
        );
        assert_eq!(
            Aes::crypt(
                Mode::Ecb,
                Direction::Encrypt,
                &KEY,
                &[0; 16],
                &PLAIN[..5],
                &mut out
            ),
            Err(ErrorCode::Inval)
        );
        assert_eq!(
            Aes::crypt(
                Mode::Gcm,
                Direction::Encrypt,
                &KEY,
                &[0; 16],
                &PLAIN,
                &mut out
            ),
            Err(ErrorCode::NoSupport)
        );
        let calls = [
            SyscallMatch::AllowRo {
                driver: DRIVER_NUM,
                buffer: buffer::KEY,
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
                command: command::SETUP,
            },
            SyscallMatch::Command {
                driver: DRIVER_NUM,
                command: command::FINISH,
            },
        ];
        for call in calls {
            kernel.inject_failure(call, ErrorCode::Busy);
            let result = Aes::crypt(
                Mode::Ecb,
                Direction::Encrypt,
                &KEY,
                &[0; 16],
                &PLAIN,
                &mut out,
            );
            assert_eq!(result, Err(ErrorCode::Busy));
        }
        drop(kernel);
        let _kernel = Kernel::new();
        assert_eq!(Aes::exists(), Err(ErrorCode::NoDevice));
    }
}
