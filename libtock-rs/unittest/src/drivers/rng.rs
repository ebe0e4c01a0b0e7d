//! Fake random numbers (driver 0x40001): a deterministic byte stream.

use crate::{schedule_upcall, with_rw_buffer, Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::Cell;

const NUMBER: u32 = DriverNumber::RNG.0;

/// Hands out 0, 1, 2, ... (wrapping), at most `per_request` bytes per
/// request, as a hardware source that delivers in chunks would.
pub struct Rng {
    next: Cell<u8>,
    per_request: usize,
}

impl Rng {
    /// A source delivering up to `per_request` bytes per request.
    pub fn new(per_request: usize) -> Rng {
        Rng {
            next: Cell::new(0),
            per_request,
        }
    }
}

impl Driver for Rng {
    fn number(&self) -> u32 {
        NUMBER
    }
    fn slots(&self) -> Slots {
        Slots {
            upcalls: 1,
            allow_ro: 0,
            allow_rw: 1,
            allow_userspace_readable: 0,
        }
    }
    fn command(&self, command: u32, requested: u32, _: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => {
                let delivered = with_rw_buffer(NUMBER, 0, |buffer| {
                    let count = buffer.len().min(requested as usize).min(self.per_request);
                    for byte in &mut buffer[..count] {
                        *byte = self.next.get();
                        self.next.set(self.next.get().wrapping_add(1));
                    }
                    count
                });
                schedule_upcall(NUMBER, 0, (0, delivered as u32, 0));
                CommandReturn::success()
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
