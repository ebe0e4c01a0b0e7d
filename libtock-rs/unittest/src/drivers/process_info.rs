//! Fake process information (driver 0x10002).

use crate::{with_rw_buffer, Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};

const NUMBER: u32 = DriverNumber::PROCESS_INFO.0;

/// One process the fake board runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeProcess {
    /// The kernel's process identifier.
    pub id: u32,
    /// The short ID (0 = unique/none).
    pub short_id: u32,
    /// The package name from the TBF header.
    pub name: String,
}

/// Reports a fixed list of processes.
pub struct ProcessInfo {
    processes: Vec<FakeProcess>,
}

impl ProcessInfo {
    /// A board running `processes`.
    pub fn new(processes: Vec<FakeProcess>) -> ProcessInfo {
        ProcessInfo { processes }
    }

    /// Writes one little-endian word per process into buffer 0 (as many as
    /// fit) and returns how many processes there are.
    fn write_words(&self, word: impl Fn(&FakeProcess) -> u32) -> CommandReturn {
        with_rw_buffer(NUMBER, 0, |buffer| {
            for (chunk, process) in buffer.chunks_exact_mut(4).zip(&self.processes) {
                chunk.copy_from_slice(&word(process).to_le_bytes());
            }
        });
        CommandReturn::success_u32(self.processes.len() as u32)
    }

    fn write_name(&self, id: u32) -> CommandReturn {
        let Some(process) = self.processes.iter().find(|process| process.id == id) else {
            return CommandReturn::failure(ErrorCode::Inval);
        };
        let name = process.name.as_bytes();
        with_rw_buffer(NUMBER, 0, |buffer| {
            let length = buffer.len().min(name.len());
            buffer[..length].copy_from_slice(&name[..length]);
        });
        CommandReturn::success_u32(name.len() as u32)
    }
}

impl Driver for ProcessInfo {
    fn number(&self) -> u32 {
        NUMBER
    }
    fn slots(&self) -> Slots {
        Slots {
            upcalls: 0,
            allow_ro: 0,
            allow_rw: 1,
            allow_userspace_readable: 0,
        }
    }
    fn command(&self, command: u32, argument0: u32, _: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => CommandReturn::success_u32(self.processes.len() as u32),
            2 => self.write_words(|process| process.id),
            3 => self.write_words(|process| process.short_id),
            4 => self.write_name(argument0),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
