//! Fake console (driver 0x1): writes complete at once; reads complete when
//! the test has supplied enough input.

use super::status;
use crate::{schedule_upcall, with_ro_buffer, with_rw_buffer, Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

const NUMBER: u32 = DriverNumber::CONSOLE.0;

/// A console with an output record and an input queue.
#[derive(Default)]
pub struct Console {
    output: RefCell<Vec<u8>>,
    input: RefCell<VecDeque<u8>>,
    /// Bytes requested by a read in flight.
    pending_read: Cell<Option<usize>>,
    /// The status the next read completes with instead of reading.
    read_failure: Cell<Option<ErrorCode>>,
    /// Most bytes one write transfers (0 = no limit), like a kernel whose
    /// write buffer is small.
    write_limit: usize,
}

impl Console {
    /// An idle console.
    pub fn new() -> Console {
        Console::default()
    }

    /// A console that transfers at most `limit` bytes per write command.
    pub fn with_write_limit(limit: usize) -> Console {
        Console {
            write_limit: limit,
            ..Console::default()
        }
    }

    /// Everything written so far; clears the record.
    pub fn take_output(&self) -> Vec<u8> {
        std::mem::take(&mut self.output.borrow_mut())
    }

    /// Queues bytes for the app to read; completes a read in flight once
    /// enough have arrived.
    pub fn push_input(&self, bytes: &[u8]) {
        self.input.borrow_mut().extend(bytes);
        self.try_complete_read();
    }

    /// Makes the next read complete with `error` (as a UART error would).
    pub fn fail_next_read(&self, error: ErrorCode) {
        self.read_failure.set(Some(error));
    }

    fn try_complete_read(&self) -> bool {
        let Some(wanted) = self.pending_read.get() else {
            return false;
        };
        if let Some(error) = self.read_failure.take() {
            self.pending_read.set(None);
            schedule_upcall(NUMBER, 2, (status(Err(error)), 0, 0));
            return true;
        }
        if self.input.borrow().len() < wanted {
            return false;
        }
        self.pending_read.set(None);
        let read = with_rw_buffer(NUMBER, 1, |buffer| {
            let mut input = self.input.borrow_mut();
            for (slot, byte) in buffer.iter_mut().zip(input.drain(..wanted)) {
                *slot = byte;
            }
            wanted
        });
        schedule_upcall(NUMBER, 2, (0, read as u32, 0));
        true
    }

    fn write(&self, length: usize) -> CommandReturn {
        let written = with_ro_buffer(NUMBER, 1, |buffer| {
            let mut length = length.min(buffer.len());
            if self.write_limit > 0 {
                length = length.min(self.write_limit);
            }
            self.output
                .borrow_mut()
                .extend_from_slice(&buffer[..length]);
            length
        });
        schedule_upcall(NUMBER, 1, (written as u32, 0, 0));
        CommandReturn::success()
    }

    fn read(&self, length: usize) -> CommandReturn {
        if self.pending_read.get().is_some() {
            return CommandReturn::failure(ErrorCode::Busy);
        }
        let capacity = with_rw_buffer(NUMBER, 1, |buffer| buffer.len());
        if capacity == 0 {
            return CommandReturn::failure(ErrorCode::Reserve);
        }
        self.pending_read.set(Some(length.min(capacity)));
        self.try_complete_read();
        CommandReturn::success()
    }

    fn abort_read(&self) -> CommandReturn {
        if self.pending_read.take().is_none() {
            return CommandReturn::failure(ErrorCode::Already);
        }
        schedule_upcall(NUMBER, 2, (status(Err(ErrorCode::Cancel)), 0, 0));
        CommandReturn::success()
    }
}

impl Driver for Console {
    fn number(&self) -> u32 {
        NUMBER
    }
    fn slots(&self) -> Slots {
        Slots {
            upcalls: 3,
            allow_ro: 2,
            allow_rw: 2,
            allow_userspace_readable: 0,
        }
    }
    fn command(&self, command: u32, argument0: u32, _: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => self.write(argument0 as usize),
            2 => self.read(argument0 as usize),
            3 => self.abort_read(),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
