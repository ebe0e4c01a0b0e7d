//! Random numbers (driver 0x40001): fill a buffer with random bytes, as
//! upstream's RNG capsule offers them.
//!
//! Guarantees: [`Rng::fill`] returns only when every byte was written by
//! the kernel, asking again for the rest when a delivery is short.
//! Must never: panic, or return a partly filled buffer as success.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::marker::PhantomData;
use libtock_platform::share::{scope, Handle};
use libtock_platform::{wait_for_upcall, AllowRw, DriverNumber, ErrorCode, Subscribe, Syscalls};

/// The RNG driver number.
pub const DRIVER_NUM: u32 = DriverNumber::RNG.0;

/// Command numbers.
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// Deliver `argument0` bytes into read-write buffer 0.
    pub const GET: u32 = 1;
}

/// Subscribe number of the upcall `(0, bytes delivered, 0)`.
pub const SUBSCRIBE_NUM: u32 = 0;
/// Read-write allow number of the destination.
pub const BUFFER_NUM: u32 = 0;

/// The RNG, over the system calls `S`.
pub struct Rng<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Rng<S> {
    /// `Ok` if the kernel has an RNG.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// Fills `buffer` with random bytes.
    pub fn fill(buffer: &mut [u8]) -> Result<(), ErrorCode> {
        let mut rest = buffer;
        while !rest.is_empty() {
            let delivered = Self::fill_once(rest)?;
            if delivered == 0 {
                return Err(ErrorCode::Fail);
            }
            let skip = delivered.min(rest.len());
            rest = &mut rest[skip..];
        }
        Ok(())
    }

    fn fill_once(buffer: &mut [u8]) -> Result<usize, ErrorCode> {
        let done: Cell<Option<(u32, u32)>> = Cell::new(None);
        let length = buffer.len() as u32;
        type Shares<'share, S> = (
            AllowRw<'share, S, DRIVER_NUM, BUFFER_NUM>,
            Subscribe<'share, S, DRIVER_NUM, SUBSCRIBE_NUM>,
        );
        scope::<Shares<S>, _, _>(|handle| {
            let (allow, subscribe): (Handle<_>, Handle<_>) = handle.split();
            S::allow_rw(allow, buffer)?;
            S::subscribe(subscribe, &done)?;
            S::command(DRIVER_NUM, command::GET, length, 0).to_result::<()>()?;
            Ok(wait_for_upcall::<S, _>(&done).1 as usize)
        })
    }

    /// A random `u32`.
    pub fn random_u32() -> Result<u32, ErrorCode> {
        let mut bytes = [0u8; 4];
        Self::fill(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type Rng = super::Rng<Fake>;

    #[test]
    fn fill_asks_again_until_every_byte_is_random() {
        let kernel = Kernel::new();
        kernel.add_driver(&Rc::new(drivers::Rng::new(3)));
        assert_eq!(Rng::exists(), Ok(()));
        let mut buffer = [0xffu8; 8];
        assert_eq!(Rng::fill(&mut buffer), Ok(()));
        assert_eq!(buffer, [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(Rng::random_u32(), Ok(u32::from_le_bytes([8, 9, 10, 11])));
        assert!(!kernel.is_allowed_rw(DRIVER_NUM, BUFFER_NUM));
    }

    #[test]
    fn errors_are_returned() {
        let kernel = Kernel::new();
        assert_eq!(Rng::fill(&mut [0u8; 2]), Err(ErrorCode::NoDevice));
        kernel.add_driver(&Rc::new(drivers::Rng::new(0)));
        assert_eq!(Rng::fill(&mut [0u8; 2]), Err(ErrorCode::Fail));
        kernel.add_driver(&Rc::new(drivers::Rng::new(4)));
        let calls = [
            SyscallMatch::AllowRw {
                driver: DRIVER_NUM,
                buffer: BUFFER_NUM,
            },
            SyscallMatch::Subscribe {
                driver: DRIVER_NUM,
                subscribe: SUBSCRIBE_NUM,
            },
            SyscallMatch::Command {
                driver: DRIVER_NUM,
                command: command::GET,
            },
        ];
        for call in calls {
            kernel.inject_failure(call, ErrorCode::Busy);
            assert_eq!(Rng::fill(&mut [0u8; 2]), Err(ErrorCode::Busy));
        }
        assert_eq!(Rng::fill(&mut []), Ok(()));
    }
}
