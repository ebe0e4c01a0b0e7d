//! Inter-process communication (driver 0x10000, upstream Tock 2.x's
//! interface as libtock-c's `ipc.c` uses it):
//!
//! - allow read-only 0 + command 1: discover the service whose package
//!   name is the allowed bytes; Success with its id (NODEVICE if none)
//! - subscribe `s`: the upcall for service `s` (a service subscribes with
//!   its own id to hear from clients; a client with the service's id to
//!   hear back). Upcall arguments: (sender id, length, address)
//! - allow read-write `p`: the buffer this process shares with process `p`
//! - command 2 (service id): a client notifies a service
//! - command 3 (client id): a service notifies a client
//!
//! Memory protection is never widened: a process never gains access to
//! another's memory. Instead the kernel copies, at each notify, between
//! the two buffers the processes allowed for each other: a client's buffer
//! for the service is copied into the service's buffer for that client
//! (and the service's upcall names its own copy); a service's notify copies
//! its buffer for the client back into the client's buffer. A service that
//! allowed no buffer for a client is told the client's address and length
//! (as upstream does) but cannot touch it.
//!
//! Ids are upstream's process ids (the kernel's process identifiers);
//! upcall and buffer numbers are process slots, which equal the ids until
//! a process restarts, as upstream.

use kernel::grant::{Grant, GrantKernelData};
use kernel::kernel::Kernel;
use kernel::{CommandReturn, ErrorCode, ProcessId};

/// Processes an IPC grant can name (upcall and buffer numbers).
pub const MAX_IPC_PROCESSES: usize = 8;

/// The grant this driver needs: an upcall and a shared buffer per peer,
/// and the read-only name buffer for discovery.
pub type IpcGrant = Grant<(), MAX_IPC_PROCESSES, 1, MAX_IPC_PROCESSES>;

/// Which way a notification goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    ToService,
    ToClient,
}

/// The IPC driver.
pub struct Ipc {
    kernel: &'static Kernel,
    grant: IpcGrant,
}

/// Bytes copied per step between two processes' buffers.
const COPY_CHUNK: usize = 64;

impl Ipc {
    /// The IPC driver of `kernel`.
    pub fn new(kernel: &'static Kernel, grant: IpcGrant) -> Self {
        Ipc { kernel, grant }
    }

    fn process_by_identifier(&self, identifier: u32) -> Option<ProcessId> {
        self.kernel
            .process_ids()
            .find(|id| id.identifier == identifier && self.kernel.process(*id).is_some())
    }

    fn discover(&self, caller: ProcessId) -> CommandReturn {
        let kernel = self.kernel;
        let found = self.grant.enter(caller, |_, kernel_data| {
            let name = kernel_data.read_only_buffer(0).ok()?;
            if name.is_empty() {
                return None;
            }
            kernel.process_ids().find(|id| {
                kernel.process(*id).is_some_and(|process| {
                    let wanted = process.name().as_bytes();
                    wanted.len() == name.len()
                        && wanted
                            .iter()
                            .enumerate()
                            .all(|(index, byte)| name.get(index) == Some(*byte))
                })
            })
        });
        match found {
            Ok(Some(service)) => CommandReturn::success_u32(service.identifier),
            Ok(None) => CommandReturn::failure(ErrorCode::NoDevice),
            Err(error) => CommandReturn::failure(error.into()),
        }
    }

    /// Copy `from`'s buffer for `to` into `to`'s buffer for `from`;
    /// returns the bytes copied, or `None` if `to` has no such buffer.
    fn copy_between(
        source: &GrantKernelData<'_>,
        source_number: usize,
        destination: &GrantKernelData<'_>,
        destination_number: usize,
    ) -> Option<usize> {
        let target = destination
            .read_write_buffer(destination_number)
            .ok()
            .filter(|b| !b.is_empty())?;
        let Ok(origin) = source.read_write_buffer(source_number) else {
            return Some(0);
        };
        let total = origin.len().min(target.len());
        let mut chunk = [0u8; COPY_CHUNK];
        let mut offset = 0;
        while offset < total {
            let count = (total - offset).min(COPY_CHUNK);
            origin.copy_to(offset, &mut chunk[..count]);
            target.copy_from(offset, &chunk[..count]);
            offset += count;
        }
        Some(total)
    }

    fn notify(
        &self,
        sender: ProcessId,
        target_identifier: u32,
        direction: Direction,
    ) -> CommandReturn {
        let Some(target) = self.process_by_identifier(target_identifier) else {
            return CommandReturn::failure(ErrorCode::Inval);
        };
        if sender.index >= MAX_IPC_PROCESSES || target.index >= MAX_IPC_PROCESSES {
            return CommandReturn::failure(ErrorCode::Inval);
        }
        // Upcall number on the target: the service's slot, either way.
        let upcall = match direction {
            Direction::ToService => target.index,
            Direction::ToClient => sender.index,
        };
        let result = self.grant.enter(sender, |_, sender_data| {
            self.grant.enter(target, |_, target_data| {
                let copied =
                    Self::copy_between(sender_data, target.index, target_data, sender.index);
                let (length, address) = match (direction, copied) {
                    (Direction::ToService, Some(length)) => {
                        (length, buffer_address(target_data, sender.index))
                    }
                    (Direction::ToService, None) => (
                        buffer_length(sender_data, target.index),
                        buffer_address(sender_data, target.index),
                    ),
                    (Direction::ToClient, _) => (
                        buffer_length(target_data, sender.index),
                        buffer_address(target_data, sender.index),
                    ),
                };
                target_data
                    .schedule_upcall(upcall, (sender.identifier, length as u32, address as u32))
            })
        });
        match result {
            Ok(Ok(Ok(()))) => CommandReturn::success(),
            Ok(Ok(Err(_))) => CommandReturn::failure(ErrorCode::Busy),
            Ok(Err(error)) | Err(error) => CommandReturn::failure(error.into()),
        }
    }
}

fn buffer_length(data: &GrantKernelData<'_>, number: usize) -> usize {
    data.read_write_buffer(number)
        .map_or(0, |buffer| buffer.len())
}

fn buffer_address(data: &GrantKernelData<'_>, number: usize) -> usize {
    data.read_write_buffer(number)
        .map_or(0, |buffer| buffer.address())
}

impl kernel::driver::SyscallDriver for Ipc {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        _argument1: u32,
        caller: ProcessId,
    ) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => self.discover(caller),
            2 => self.notify(caller, argument0, Direction::ToService),
            3 => self.notify(caller, argument0, Direction::ToClient),
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
    use kernel::syscall::SyscallReturn;
    use kernel::testing::{TestCapability, TestKernel};

    fn setup() -> (TestKernel, Ipc) {
        let test = TestKernel::new(3, 4096);
        let ipc = Ipc::new(
            test.kernel,
            test.kernel.create_grant(0x10000, &TestCapability),
        );
        (test, ipc)
    }

    #[test]
    fn discover_by_package_name() {
        let (test, ipc) = setup();
        test.allow_read_only(0, 0x10000, &ipc, 0, b"app2");
        assert_eq!(
            ipc.command(1, 0, 0, test.process_id(0)),
            CommandReturn::success_u32(2)
        );
        test.allow_read_only(0, 0x10000, &ipc, 0, b"app");
        assert_eq!(
            ipc.command(1, 0, 0, test.process_id(0)),
            CommandReturn::failure(ErrorCode::NoDevice)
        );
    }

    #[test]
    fn request_and_reply_copy_between_the_shared_buffers() {
        let (test, ipc) = setup();
        let (client, service) = (0, 2);
        // The service listens on its own id; the client on the service's.
        assert!(matches!(
            test.subscribe(service, 0x10000, &ipc, 2),
            SyscallReturn::SuccessU32U32(0, 0)
        ));
        test.subscribe(client, 0x10000, &ipc, 2);
        let (request, _) = test.allow_read_write(client, 0x10000, &ipc, 2, 8);
        let (window, _) = test.allow_read_write(service, 0x10000, &ipc, 0, 8);
        test.write(request, b"ping");
        assert_eq!(
            ipc.command(2, 2, 0, test.process_id(client)),
            CommandReturn::success()
        );
        let upcall = test.take_upcalls(service)[0];
        assert_eq!(upcall.subscribe, 2);
        assert_eq!(upcall.arguments, [0, 8, window as u32]);
        assert_eq!(&test.read(window, 4), b"ping");
        test.write(window, b"pong");
        assert_eq!(
            ipc.command(3, 0, 0, test.process_id(service)),
            CommandReturn::success()
        );
        assert_eq!(
            test.take_upcalls(client)[0].arguments,
            [2, 8, request as u32]
        );
        assert_eq!(&test.read(request, 4), b"pong");
        assert_eq!(
            ipc.command(2, 9, 0, test.process_id(client)),
            CommandReturn::failure(ErrorCode::Inval)
        );
    }
}
