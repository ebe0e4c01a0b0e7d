//! Process information (driver 0x10002, upstream's interface). For tests
//! and tutorials: it lets a process inspect and control the others, so the
//! board must hand it process management explicitly.
//!
//! - command 1: number of processes (Success with u32)
//! - command 2: fill allow read-write 0 with every process id (u32 LE);
//!   returns the count
//! - command 3: the same with short ids (0: locally unique)
//! - command 4 (id): the process's name, NUL-terminated, into the buffer
//! - command 5 (id): timeslice expirations, syscalls, restarts, state
//!   (running 0, yielded 1, yielded-for 2, stopped 3, faulted 4,
//!   terminated 5) as four u32 LE
//! - command 10 (id, action): 1 start, 2 stop, 3 fault, 4 terminate, 5 boot

use kernel::grant::Grant;
use kernel::kernel::ProcessManagement;
use kernel::process::{Process, State};
use kernel::{CommandReturn, ErrorCode, ProcessId};

/// The grant this driver needs: one read-write buffer.
pub type ProcessInfoGrant = Grant<(), 0, 0, 1>;

/// The process-info driver.
pub struct ProcessInfo<'a> {
    management: ProcessManagement<'a>,
    grant: ProcessInfoGrant,
}

/// Upstream's number for a state.
pub fn state_number(state: State) -> u32 {
    match state {
        State::Running => 0,
        State::Yielded => 1,
        State::YieldedFor(_) => 2,
        State::Stopped(_) => 3,
        State::Faulted => 4,
        State::Terminated => 5,
    }
}

impl<'a> ProcessInfo<'a> {
    /// A driver with process management (the capability was checked when
    /// `management` was made).
    pub fn new(management: ProcessManagement<'a>, grant: ProcessInfoGrant) -> Self {
        ProcessInfo { management, grant }
    }

    fn loaded(&self) -> impl Iterator<Item = (usize, &'a Process)> + 'a {
        self.management
            .kernel()
            .processes()
            .iter()
            .enumerate()
            .filter(|(_, process)| process.is_loaded())
    }

    /// Write `words` into the caller's buffer; returns how many there were.
    fn write_words(&self, caller: ProcessId, words: impl Iterator<Item = u32>) -> u32 {
        let mut count = 0u32;
        let _ = self.grant.enter(caller, |_, kernel_data| {
            let buffer = kernel_data.read_write_buffer(0).ok();
            for word in words {
                if let Some(buffer) = &buffer {
                    buffer.copy_from(count as usize * 4, &word.to_le_bytes());
                }
                count += 1;
            }
        });
        count
    }

    fn control(&self, identifier: u32, action: u32) -> CommandReturn {
        let Some(index) = self.management.find_by_identifier(identifier) else {
            return CommandReturn::failure(ErrorCode::Inval);
        };
        let _ = match action {
            1 => self.management.resume(index),
            2 => self.management.stop(index),
            3 => self.management.fault(index),
            4 => self.management.terminate(index),
            5 if self.management.kernel().processes()[index].state() == State::Terminated => {
                self.management.boot(index)
            }
            _ => false,
        };
        CommandReturn::success()
    }
}

impl kernel::driver::SyscallDriver for ProcessInfo<'_> {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        argument1: u32,
        caller: ProcessId,
    ) -> CommandReturn {
        let management = self.management;
        match command {
            0 => CommandReturn::success(),
            1 => CommandReturn::success_u32(self.loaded().count() as u32),
            2 => CommandReturn::success_u32(
                self.write_words(
                    caller,
                    self.loaded()
                        .filter_map(move |(index, _)| management.identifier(index)),
                ),
            ),
            3 => CommandReturn::success_u32(self.write_words(caller, self.loaded().map(|_| 0))),
            4 => {
                let Some(index) = self.management.find_by_identifier(argument0) else {
                    return CommandReturn::failure(ErrorCode::Inval);
                };
                let name = self.management.kernel().processes()[index].name();
                let _ = self.grant.enter(caller, |_, kernel_data| {
                    if let Ok(buffer) = kernel_data.read_write_buffer(0) {
                        let written = buffer.copy_from(0, name.as_bytes());
                        buffer.set(written, 0);
                    }
                });
                CommandReturn::success()
            }
            5 => {
                let Some(index) = self.management.find_by_identifier(argument0) else {
                    return CommandReturn::failure(ErrorCode::Inval);
                };
                let process = &self.management.kernel().processes()[index];
                let words = [
                    process.timeslice_expiration_count(),
                    process.syscall_count(),
                    process.restart_count(),
                    state_number(process.state()),
                ];
                self.write_words(caller, words.into_iter());
                CommandReturn::success()
            }
            10 => self.control(argument0, argument1),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::driver::SyscallDriver;
    use kernel::testing::{TestCapability, TestKernel};

    #[test]
    fn lists_names_and_controls_processes() {
        let test = TestKernel::new(3, 2048);
        let info = ProcessInfo::new(
            ProcessManagement::new(test.kernel, &TestCapability),
            test.kernel.create_grant(0x10002, &TestCapability),
        );
        let me = test.process_id(0);
        assert_eq!(info.command(1, 0, 0, me), CommandReturn::success_u32(3));
        let (ids, _) = test.allow_read_write(0, 0x10002, &info, 0, 16);
        assert_eq!(info.command(2, 0, 0, me), CommandReturn::success_u32(3));
        assert_eq!(test.read(ids, 12), [0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
        info.command(4, 2, 0, me);
        assert_eq!(test.read(ids, 5), b"app2\0");
        assert_eq!(info.command(10, 1, 2, me), CommandReturn::success());
        info.command(5, 1, 0, me);
        assert_eq!(test.kernel.processes()[1].state().name(), "Stopped");
        assert_eq!(test.read(ids, 16)[12], 3, "stopped");
        info.command(10, 2, 4, me);
        assert_eq!(test.kernel.processes()[2].state(), State::Terminated);
        assert_eq!(
            info.command(5, 99, 0, me),
            CommandReturn::failure(ErrorCode::Inval)
        );
    }
}
