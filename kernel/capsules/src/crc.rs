//! CRC driver (0x40002, upstream's interface), computed in software, so
//! any board can offer it:
//!
//! - read-only buffer 0: the data
//! - command 0: exists
//! - command 1 (algorithm, length): the CRC of the first `length` bytes
//!   of buffer 0; INVAL for an unknown algorithm, SIZE if the buffer is
//!   shorter, BUSY while this process's last request is pending
//! - subscribe 0: `(status, crc, 0)`
//!
//! Algorithms (upstream's numbering and test vectors):
//! 0 CRC-32 (polynomial 0x04C11DB7, reflected, init and final XOR all
//! ones), 1 CRC-32C (0x1EDC6F41, the same framing), 2 CRC-16-CCITT
//! (0x1021, init 0xFFFF, input bytes reflected, output as is).
//!
//! The command only records the request; a deferred call computes it and
//! schedules the upcall, one process per call.

use core::cell::Cell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::grant::Grant;
use kernel::{CommandReturn, ErrorCode, ProcessId};
use kernel_abi::StatusCode;

/// A CRC variant upstream's driver offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Crc32,
    Crc32C,
    Crc16Ccitt,
}

impl Algorithm {
    /// Upstream's number for it.
    pub fn from_number(number: u32) -> Option<Algorithm> {
        match number {
            0 => Some(Algorithm::Crc32),
            1 => Some(Algorithm::Crc32C),
            2 => Some(Algorithm::Crc16Ccitt),
            _ => None,
        }
    }

    fn initial(self) -> u32 {
        match self {
            Algorithm::Crc32 | Algorithm::Crc32C => u32::MAX,
            Algorithm::Crc16Ccitt => 0xFFFF,
        }
    }

    /// Feeds `bytes` into `state` (start from the algorithm's initial
    /// value through [`Algorithm::compute`]).
    fn update(self, mut state: u32, bytes: &[u8]) -> u32 {
        for &byte in bytes {
            state = match self {
                Algorithm::Crc32 => reflected_step(state, byte, 0xEDB8_8320),
                Algorithm::Crc32C => reflected_step(state, byte, 0x82F6_3B78),
                Algorithm::Crc16Ccitt => ccitt_step(state, byte),
            };
        }
        state
    }

    fn finish(self, state: u32) -> u32 {
        match self {
            Algorithm::Crc32 | Algorithm::Crc32C => !state,
            Algorithm::Crc16Ccitt => state & 0xFFFF,
        }
    }

    /// The CRC of `bytes`.
    pub fn compute(self, bytes: &[u8]) -> u32 {
        self.finish(self.update(self.initial(), bytes))
    }
}

/// One byte of a reflected 32-bit CRC (`polynomial` bit-reversed).
fn reflected_step(mut state: u32, byte: u8, polynomial: u32) -> u32 {
    state ^= u32::from(byte);
    for _ in 0..8 {
        let carry = state & 1 != 0;
        state >>= 1;
        if carry {
            state ^= polynomial;
        }
    }
    state
}

/// One byte of CRC-16-CCITT, most significant bit first, the input byte
/// reflected.
fn ccitt_step(state: u32, byte: u8) -> u32 {
    let mut state = (state as u16) ^ (u16::from(byte.reverse_bits()) << 8);
    for _ in 0..8 {
        let carry = state & 0x8000 != 0;
        state <<= 1;
        if carry {
            state ^= 0x1021;
        }
    }
    u32::from(state)
}

/// A process's pending request.
#[derive(Clone, Copy, Default)]
pub struct CrcRequest {
    pending: Option<(Algorithm, usize)>,
}

/// The grant this driver needs: one upcall, one read-only buffer.
pub type CrcGrant = Grant<CrcRequest, 1, 1, 0>;

/// Bytes copied out of the process per step of a computation.
const CHUNK_BYTES: usize = 64;

/// The CRC driver.
pub struct CrcDriver {
    grant: CrcGrant,
    deferred_call: DeferredCall,
    /// Whether a deferred call is already requested.
    scheduled: Cell<bool>,
}

impl CrcDriver {
    /// A driver computing in `deferred_call` (register this driver as its
    /// client).
    pub fn new(grant: CrcGrant, deferred_call: DeferredCall) -> Self {
        CrcDriver {
            grant,
            deferred_call,
            scheduled: Cell::new(false),
        }
    }

    fn request(&self, process: ProcessId, algorithm: u32, length: u32) -> CommandReturn {
        let Some(algorithm) = Algorithm::from_number(algorithm) else {
            return CommandReturn::failure(ErrorCode::Inval);
        };
        let length = length as usize;
        let recorded = self.grant.enter(process, |request, kernel_data| {
            if request.pending.is_some() {
                return Err(ErrorCode::Busy);
            }
            if kernel_data.read_only_buffer(0)?.len() < length {
                return Err(ErrorCode::Size);
            }
            request.pending = Some((algorithm, length));
            Ok(())
        });
        match recorded.map_err(ErrorCode::from) {
            Ok(Ok(())) => {
                if !self.scheduled.replace(true) {
                    self.deferred_call.set();
                }
                CommandReturn::success()
            }
            Ok(Err(error)) | Err(error) => CommandReturn::failure(error),
        }
    }
}

impl kernel::driver::SyscallDriver for CrcDriver {
    fn command(
        &self,
        command: u32,
        algorithm: u32,
        length: u32,
        process: ProcessId,
    ) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => self.request(process, algorithm, length),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl DeferredCallClient for CrcDriver {
    /// Computes one pending request and answers its process; asks again
    /// while others wait.
    fn handle_deferred_call(&self) {
        self.scheduled.set(false);
        let mut served = false;
        let mut more = false;
        self.grant.each(|_, request, kernel_data| {
            let Some((algorithm, length)) = request.pending else {
                return;
            };
            if served {
                more = true;
                return;
            }
            served = true;
            request.pending = None;
            let result = kernel_data.read_only_buffer(0);
            let (status, crc) = match result {
                Ok(buffer) if buffer.len() >= length => {
                    let mut state = algorithm.initial();
                    let mut chunk = [0u8; CHUNK_BYTES];
                    let mut offset = 0;
                    while offset < length {
                        let wanted = CHUNK_BYTES.min(length - offset);
                        let copied = buffer.copy_to(offset, &mut chunk[..wanted]);
                        state = algorithm.update(state, &chunk[..copied]);
                        offset += copied.max(1);
                    }
                    (Ok(()), algorithm.finish(state))
                }
                // The buffer shrank or went away since the command.
                Ok(_) => (Err(ErrorCode::Size), 0),
                Err(error) => (Err(error), 0),
            };
            let status = u32::from(StatusCode::from(status));
            let _ = kernel_data.schedule_upcall(0, (status, crc, 0));
        });
        if more && !self.scheduled.replace(true) {
            self.deferred_call.set();
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use kernel::deferred_call::DeferredCalls;
    use kernel::driver::SyscallDriver;
    use kernel::testing::{TestCapability, TestKernel};
    use std::boxed::Box;

    const DRIVER: u32 = 0x40002;

    #[test]
    fn the_algorithms_match_their_check_values_and_upstream_vectors() {
        // The catalogue's check values over "123456789".
        assert_eq!(Algorithm::Crc32.compute(b"123456789"), 0xCBF4_3926);
        assert_eq!(Algorithm::Crc32C.compute(b"123456789"), 0xE306_9283);
        // Upstream's test cases (examples/tests/crc/test_cases.h).
        assert_eq!(Algorithm::Crc32.compute(b"ABCDEFG"), 0x0E6F_94BC);
        assert_eq!(Algorithm::Crc16Ccitt.compute(b"ABCD"), 0xB34B);
        assert_eq!(Algorithm::Crc16Ccitt.compute(b"0123"), 0xD5A8);
        assert_eq!(Algorithm::from_number(3), None);
    }

    fn driver(test: &TestKernel) -> (&'static CrcDriver, &'static DeferredCalls) {
        let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
        let call = calls.allocate();
        let grant = test.kernel.create_grant(DRIVER, &TestCapability);
        let driver: &'static CrcDriver = Box::leak(Box::new(CrcDriver::new(grant, call)));
        call.register(driver);
        (driver, calls)
    }

    #[test]
    fn a_request_is_answered_later_with_the_crc_of_the_allowed_bytes() {
        let test = TestKernel::new(1, 4096);
        let (driver, calls) = driver(&test);
        let process = test.process_id(0);
        test.subscribe(0, DRIVER, driver, 0);
        test.allow_read_only(0, DRIVER, driver, 0, &[b'x'; 200]);
        assert_eq!(driver.command(1, 0, 200, process), CommandReturn::success());
        assert!(test.take_upcalls(0).is_empty(), "never from the command");
        assert_eq!(
            driver.command(1, 0, 200, process),
            CommandReturn::failure(ErrorCode::Busy)
        );
        while calls.service_next() {}
        let upcalls = test.take_upcalls(0);
        assert_eq!(upcalls.len(), 1);
        let expected = Algorithm::Crc32.compute(&[b'x'; 200]);
        assert_eq!(upcalls[0].arguments, [0, expected, 0]);
    }

    #[test]
    fn unknown_algorithms_and_short_buffers_are_refused_at_once() {
        let test = TestKernel::new(1, 4096);
        let (driver, _) = driver(&test);
        let process = test.process_id(0);
        test.allow_read_only(0, DRIVER, driver, 0, b"ABCD");
        assert_eq!(
            driver.command(1, 3, 4, process),
            CommandReturn::failure(ErrorCode::Inval)
        );
        assert_eq!(
            driver.command(1, 2, 5, process),
            CommandReturn::failure(ErrorCode::Size)
        );
        assert_eq!(driver.command(1, 2, 4, process), CommandReturn::success());
    }
}
