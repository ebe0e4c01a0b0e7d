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
//! How a service reaches a client's buffer when the client notifies it:
//!
//! - The service allowed a buffer for that client: the kernel copies the
//!   client's buffer for the service into it (as many bytes as both hold)
//!   and the upcall names the service's own copy; the service's notify
//!   back copies it into the client's buffer. Nothing is mapped.
//! - It did not (upstream's apps: rot13_service, unit_test_supervisor):
//!   as upstream's kernel does, the service gains read-write access, in
//!   place, to exactly the buffer the client allowed for it, and the upcall
//!   names that buffer. The client consented by allowing it for that
//!   service; no other process gains anything. The mapping goes through
//!   [`kernel::grant::Grant::share_read_write_buffer`], which
//!   needs the board's [`MemorySharingCapability`], and lasts until the
//!   client re-allows or un-allows the buffer, or either process exits,
//!   faults or restarts ([`kernel::sharing`]). A buffer the hardware cannot
//!   map exactly (ends not on its granule: 4 bytes on the PMP, 32 on the
//!   ARMv7-M MPU) is refused: the notify fails with INVAL and no upcall is
//!   queued (upstream queues it anyway, and its service faults on the
//!   first access); NOMEM when the service already has
//!   `MAX_SHARED_PER_PROCESS` buffers shared with it. A client that allowed
//!   nothing gives the service (its id, 0, 0), as upstream.
//! - A service's notify never maps anything into the client (upstream maps
//!   the service's buffer for the client; no upstream app we run needs it).
//!
//! Ids are upstream's process ids (the kernel's process identifiers);
//! upcall and buffer numbers are process slots, which equal the ids until
//! a process restarts, as upstream.

use kernel::capability::MemorySharingCapability;
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
    sharing: &'static dyn MemorySharingCapability,
}

/// Bytes copied per step between two processes' buffers.
const COPY_CHUNK: usize = 64;

impl Ipc {
    /// The IPC driver of `kernel`; `sharing` lets it map a client's
    /// buffer into the service it notifies (upstream's semantics).
    pub fn new(
        kernel: &'static Kernel,
        grant: IpcGrant,
        sharing: &'static dyn MemorySharingCapability,
    ) -> Self {
        Ipc {
            kernel,
            grant,
            sharing,
        }
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
                    (Direction::ToService, None) => {
                        self.share_with_service(sender_data, sender, target)?
                    }
                    (Direction::ToClient, _) => (
                        buffer_length(target_data, sender.index),
                        buffer_address(target_data, sender.index),
                    ),
                };
                target_data
                    .schedule_upcall(upcall, (sender.identifier, length as u32, address as u32))
                    .map_err(|_| ErrorCode::Busy)
            })
        });
        match result {
            Ok(Ok(Ok(()))) => CommandReturn::success(),
            Ok(Ok(Err(error))) => CommandReturn::failure(error),
            Ok(Err(error)) | Err(error) => CommandReturn::failure(error.into()),
        }
    }

    /// Map the client's buffer for `service` into it (upstream IPC);
    /// returns what the service's upcall names: (length, address), or
    /// (0, 0) if the client allowed nothing for it.
    fn share_with_service(
        &self,
        client_data: &GrantKernelData<'_>,
        client: ProcessId,
        service: ProcessId,
    ) -> Result<(usize, usize), ErrorCode> {
        if buffer_length(client_data, service.index) == 0 {
            return Ok((0, 0));
        }
        let region =
            self.grant
                .share_read_write_buffer(client, service.index, service, self.sharing)?;
        Ok((region.size, region.start))
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
    extern crate std;
    use super::*;
    use kernel::driver::SyscallDriver;
    use kernel::platform::Region;
    use kernel::syscall::SyscallReturn;
    use kernel::testing::{TestCapability, TestKernel};
    use std::vec::Vec;

    fn setup() -> (TestKernel, Ipc) {
        let test = TestKernel::new(3, 4096);
        let ipc = Ipc::new(
            test.kernel,
            test.kernel.create_grant(0x10000, &TestCapability),
            &TestCapability,
        );
        (test, ipc)
    }

    const CLIENT: usize = 0;
    const THIRD: usize = 1;
    const SERVICE: usize = 2;

    /// The service listens on its own id and allowed nothing for the
    /// client (upstream's rot13_service); the client shares 64 bytes.
    fn client_shares_64_bytes(test: &TestKernel, ipc: &Ipc) -> usize {
        test.subscribe(SERVICE, 0x10000, ipc, SERVICE as u32);
        let (buffer, _) = test.allow_read_write(CLIENT, 0x10000, ipc, SERVICE as u32, 64);
        buffer
    }

    fn notify_service(test: &TestKernel, ipc: &Ipc) -> CommandReturn {
        ipc.command(2, SERVICE as u32, 0, test.process_id(CLIENT))
    }

    fn shared_with(test: &TestKernel, index: usize) -> Vec<Region> {
        let shared = test.kernel.shared_buffers().regions_of(index);
        shared.regions().to_vec()
    }

    #[test]
    fn a_notify_maps_exactly_the_clients_buffer_into_the_service_and_no_one_else() {
        let (test, ipc) = setup();
        let buffer = client_shares_64_bytes(&test, &ipc);
        assert_eq!(notify_service(&test, &ipc), CommandReturn::success());
        let upcall = test.take_upcalls(SERVICE)[0];
        assert_eq!(
            upcall.arguments,
            [0, 64, buffer as u32],
            "names it in place"
        );
        assert_eq!(shared_with(&test, SERVICE), [Region::new(buffer, 64)]);
        assert!(shared_with(&test, THIRD).is_empty());
        assert!(shared_with(&test, CLIENT).is_empty());
        // Notifying again (rot13's client does, every round) maps nothing new.
        for _ in 0..5 {
            assert_eq!(notify_service(&test, &ipc), CommandReturn::success());
        }
        assert_eq!(test.kernel.shared_buffers().iter().count(), 1);
    }

    #[test]
    fn reallowing_or_unallowing_the_buffer_unmaps_it() {
        let (test, ipc) = setup();
        client_shares_64_bytes(&test, &ipc);
        notify_service(&test, &ipc);
        let (moved, _) = test.allow_read_write(CLIENT, 0x10000, &ipc, SERVICE as u32, 32);
        assert!(shared_with(&test, SERVICE).is_empty(), "re-allowed");
        notify_service(&test, &ipc);
        assert_eq!(shared_with(&test, SERVICE), [Region::new(moved, 32)]);
        test.allow_read_write(CLIENT, 0x10000, &ipc, SERVICE as u32, 0);
        assert!(shared_with(&test, SERVICE).is_empty(), "un-allowed");
        assert_eq!(notify_service(&test, &ipc), CommandReturn::success());
        assert_eq!(
            test.take_upcalls(SERVICE).last().unwrap().arguments,
            [0, 0, 0]
        );
        assert!(shared_with(&test, SERVICE).is_empty());
    }

    #[test]
    fn the_clients_exit_fault_or_restart_unmaps_it() {
        let end_client: [fn(&TestKernel); 3] = [
            |test| test.terminate(CLIENT),
            |test| test.fault(CLIENT),
            |test| test.restart(CLIENT),
        ];
        for end in end_client {
            let (test, ipc) = setup();
            client_shares_64_bytes(&test, &ipc);
            notify_service(&test, &ipc);
            assert_eq!(shared_with(&test, SERVICE).len(), 1);
            end(&test);
            assert!(shared_with(&test, SERVICE).is_empty());
            assert!(
                test.kernel.shared_buffers().any_stale(),
                "rewritten before it runs"
            );
        }
    }

    #[test]
    fn the_services_restart_unmaps_it() {
        let (test, ipc) = setup();
        client_shares_64_bytes(&test, &ipc);
        notify_service(&test, &ipc);
        test.restart(SERVICE);
        assert!(shared_with(&test, SERVICE).is_empty());
        assert_eq!(test.kernel.shared_buffers().iter().count(), 0);
    }

    #[test]
    fn a_buffer_off_the_protection_granule_is_refused_without_an_upcall() {
        let (test, ipc) = setup();
        test.subscribe(SERVICE, 0x10000, &ipc, SERVICE as u32);
        test.allow_read_write_at(CLIENT, 0x10000, &ipc, SERVICE as u32, 0x402, 64);
        assert_eq!(
            notify_service(&test, &ipc),
            CommandReturn::failure(ErrorCode::Inval)
        );
        assert!(test.take_upcalls(SERVICE).is_empty());
        assert!(shared_with(&test, SERVICE).is_empty());
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
    fn a_service_that_allowed_a_buffer_gets_a_copy_and_nothing_mapped() {
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
        assert!(shared_with(&test, service).is_empty(), "copied, not mapped");
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
