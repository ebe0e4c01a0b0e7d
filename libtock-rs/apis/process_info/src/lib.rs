//! Process information (driver 0x10002): how many processes run, their
//! identifiers, short IDs and names. Upstream has no libtock-rs API for it;
//! the interface follows libtock-c's process_info and is specified in
//! docs/libtock-rs.md.
//!
//! Guarantees: results never claim more entries than the caller's buffer
//! holds; every failure is an error value.
//! Must never: panic.
#![no_std]
#![forbid(unsafe_code)]

use core::marker::PhantomData;
use libtock_platform::share::scope;
use libtock_platform::{AllowRw, DriverNumber, ErrorCode, Syscalls};

/// The process-info driver number.
pub const DRIVER_NUM: u32 = DriverNumber::PROCESS_INFO.0;

/// Command numbers.
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// Number of processes (`SuccessU32`).
    pub const COUNT: u32 = 1;
    /// Process identifiers as little-endian words into buffer 0;
    /// `SuccessU32` with the number of processes.
    pub const PROCESS_IDS: u32 = 2;
    /// Short IDs likewise.
    pub const SHORT_IDS: u32 = 3;
    /// Name of process `argument0` into buffer 0; `SuccessU32` with its length.
    pub const NAME: u32 = 4;
}

/// Read-write allow number of the output buffer.
pub const BUFFER_NUM: u32 = 0;

/// Process information, over the system calls `S`.
pub struct ProcessInfo<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> ProcessInfo<S> {
    /// `Ok` if the kernel has the driver.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// How many processes the kernel runs.
    pub fn count() -> Result<u32, ErrorCode> {
        S::command(DRIVER_NUM, command::COUNT, 0, 0).to_result()
    }

    /// Runs `command` with `bytes` lent as buffer 0; returns its value.
    fn into_buffer(command: u32, argument: u32, bytes: &mut [u8]) -> Result<u32, ErrorCode> {
        scope::<AllowRw<S, DRIVER_NUM, BUFFER_NUM>, _, _>(|handle| {
            S::allow_rw(handle, bytes)?;
            S::command(DRIVER_NUM, command, argument, 0).to_result::<u32>()
        })
    }

    fn words(command: u32, out: &mut [u32]) -> Result<usize, ErrorCode> {
        let mut bytes = [0u8; 64];
        let capacity = out.len().min(bytes.len() / 4);
        let total = Self::into_buffer(command, 0, &mut bytes[..capacity * 4])? as usize;
        let filled = total.min(capacity);
        for (word, chunk) in out.iter_mut().zip(bytes.chunks_exact(4)).take(filled) {
            *word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Ok(filled)
    }

    /// Fills `out` with process identifiers (up to 16); returns how many.
    pub fn process_ids(out: &mut [u32]) -> Result<usize, ErrorCode> {
        Self::words(command::PROCESS_IDS, out)
    }

    /// Fills `out` with short IDs (up to 16); returns how many.
    pub fn short_ids(out: &mut [u32]) -> Result<usize, ErrorCode> {
        Self::words(command::SHORT_IDS, out)
    }

    /// Copies the name of process `id` into `name`; returns the part that
    /// fit. A name longer than `name` is `Size`.
    pub fn name(id: u32, name: &mut [u8]) -> Result<usize, ErrorCode> {
        let capacity = name.len();
        let length = Self::into_buffer(command::NAME, id, name)? as usize;
        if length > capacity {
            return Err(ErrorCode::Size);
        }
        Ok(length)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::drivers::{self, FakeProcess};
    use libtock_unittest::{Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;
    use std::string::ToString;

    type Info = ProcessInfo<Fake>;

    fn setup() -> Kernel {
        let kernel = Kernel::new();
        let process = |id, short_id, name: &str| FakeProcess {
            id,
            short_id,
            name: name.to_string(),
        };
        let processes = std::vec![process(0, 0, "hello"), process(1, 0x42, "blink")];
        kernel.add_driver(&Rc::new(drivers::ProcessInfo::new(processes)));
        kernel
    }

    #[test]
    fn ids_and_names_are_read() {
        let _kernel = setup();
        assert_eq!(Info::exists(), Ok(()));
        assert_eq!(Info::count(), Ok(2));
        let mut ids = [0u32; 4];
        assert_eq!(Info::process_ids(&mut ids), Ok(2));
        assert_eq!(ids[..2], [0, 1]);
        assert_eq!(Info::short_ids(&mut ids), Ok(2));
        assert_eq!(ids[1], 0x42);
        let mut one = [0u32; 1];
        assert_eq!(Info::process_ids(&mut one), Ok(1));
        let mut name = [0u8; 16];
        assert_eq!(Info::name(1, &mut name), Ok(5));
        assert_eq!(&name[..5], b"blink");
    }

    #[test]
    fn errors_are_returned() {
        let kernel = setup();
        assert_eq!(Info::name(9, &mut [0u8; 8]), Err(ErrorCode::Inval));
        assert_eq!(Info::name(0, &mut [0u8; 2]), Err(ErrorCode::Size));
        let call = SyscallMatch::AllowRw {
            driver: DRIVER_NUM,
            buffer: BUFFER_NUM,
        };
        kernel.inject_failure(call, ErrorCode::NoMem);
        assert_eq!(Info::process_ids(&mut [0u32; 2]), Err(ErrorCode::NoMem));
        drop(kernel);
        let _kernel = Kernel::new();
        assert_eq!(Info::count(), Err(ErrorCode::NoDevice));
    }
}
