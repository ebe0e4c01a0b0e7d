//! Key-value store driver (0x50003), upstream's interface, persisted in
//! flash and isolated per app identity:
//!
//! - read-only buffer 0: the key (1..=64 bytes); 1: the value to store
//!   (at most [`format::MAX_VALUE_BYTES`])
//! - read-write buffer 0: where get writes the value
//! - command 0: exists; 1 get; 2 set (insert or replace); 3 delete;
//!   4 add (only if absent); 5 update (only if present); 6 garbage
//!   collect (compact the log now; no key needed)
//! - subscribe 0: `(status, value length, 0)`; a missing key is NOSUPPORT
//!   (as upstream), a value longer than the get buffer is SIZE with the
//!   full length (the buffer holds its start)
//!
//! Isolation: every record carries the storage write id of the app that
//! stored it ([`kernel::identity::StoragePermissions`]). An app writes,
//! updates and deletes only under its own write id, so two apps using
//! the same key never touch each other's value; get returns the newest
//! record of the key among those the app may read (its own, and those
//! its signed storage-permissions header grants). An app without a write
//! id (no short id) may read what it is granted and write nothing (INVAL).
//!
//! The log format and its power-cut safety: [`store`] and [`format`].

#[cfg(test)]
pub(crate) mod fake_flash;
pub mod format;
pub mod store;

use core::cell::Cell;

use kernel::grant::Grant;
use kernel::identity::StoragePermissions;
use kernel::{CommandReturn, ErrorCode, Kernel, ProcessId};
use kernel_abi::StatusCode;

use format::{Record, RecordKind, MAX_KEY_BYTES, MAX_VALUE_BYTES};
use store::{LogStore, StoreClient, Visibility};

/// Where the driver learns what an app may store (the kernel; a fake in
/// tests).
pub trait PermissionSource {
    /// The storage permissions of the live process `process`.
    fn storage_permissions(&self, process: ProcessId) -> StoragePermissions;
}

impl PermissionSource for Kernel {
    fn storage_permissions(&self, process: ProcessId) -> StoragePermissions {
        Kernel::storage_permissions(self, process)
    }
}

/// A request of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Read the value.
    Get,
    /// Insert or replace.
    Set,
    /// Remove.
    Delete,
    /// Insert if absent.
    Add,
    /// Replace if present.
    Update,
    /// Compact the log.
    GarbageCollect,
}

impl Operation {
    fn from_command(command: u32) -> Option<Operation> {
        match command {
            1 => Some(Operation::Get),
            2 => Some(Operation::Set),
            3 => Some(Operation::Delete),
            4 => Some(Operation::Add),
            5 => Some(Operation::Update),
            6 => Some(Operation::GarbageCollect),
            _ => None,
        }
    }
}

/// Per-process state.
#[derive(Default)]
pub struct KvRequest {
    pending: Option<Operation>,
}

/// The grant: one upcall, read-only key and value, read-write output.
pub type KvGrant = Grant<KvRequest, 1, 2, 1>;

/// The driver.
pub struct KeyValue<'a> {
    store: &'a LogStore<'a>,
    grant: KvGrant,
    permissions: &'a dyn PermissionSource,
    mounted: Cell<Option<Result<(), ErrorCode>>>,
    active: Cell<Option<(ProcessId, Operation)>>,
}

/// A key and value copied out of a process.
struct Copied {
    key: [u8; MAX_KEY_BYTES],
    key_length: usize,
    value: [u8; MAX_VALUE_BYTES],
    value_length: usize,
    write_id: Option<u32>,
    permissions: StoragePermissions,
}

impl<'a> KeyValue<'a> {
    /// A driver over `store` (make it the store's client, then mount the
    /// store).
    pub fn new(
        store: &'a LogStore<'a>,
        grant: KvGrant,
        permissions: &'a dyn PermissionSource,
    ) -> Self {
        KeyValue {
            store,
            grant,
            permissions,
            mounted: Cell::new(None),
            active: Cell::new(None),
        }
    }

    /// Copies the key (and the value when `with_value`) of `process`.
    fn copy_in(&self, process: ProcessId, with_value: bool) -> Result<Copied, ErrorCode> {
        let permissions = self.permissions.storage_permissions(process);
        self.grant
            .enter(process, |_, kernel_data| {
                let mut copied = Copied {
                    key: [0; MAX_KEY_BYTES],
                    key_length: 0,
                    value: [0; MAX_VALUE_BYTES],
                    value_length: 0,
                    write_id: permissions.write_id(),
                    permissions,
                };
                let key = kernel_data.read_only_buffer(0)?;
                if key.is_empty() || key.len() > MAX_KEY_BYTES {
                    return Err(ErrorCode::Size);
                }
                copied.key_length = key.copy_to(0, &mut copied.key);
                if with_value {
                    let value = kernel_data.read_only_buffer(1)?;
                    if value.len() > MAX_VALUE_BYTES {
                        return Err(ErrorCode::Size);
                    }
                    copied.value_length = value.copy_to(0, &mut copied.value);
                }
                Ok(copied)
            })
            .map_err(ErrorCode::from)?
    }

    fn serve_next(&self) {
        if self.active.get().is_some() || self.mounted.get() != Some(Ok(())) {
            return;
        }
        if !self.store.is_idle() {
            return;
        }
        let mut next = None;
        self.grant.each(|process, request, _| {
            if next.is_none() {
                next = request.pending.map(|operation| (process, operation));
            }
        });
        if let Some((process, operation)) = next {
            self.active.set(Some((process, operation)));
            if let Err(error) = self.begin(process, operation) {
                self.complete(Err(error), 0);
            }
        }
    }

    fn begin(&self, process: ProcessId, operation: Operation) -> Result<(), ErrorCode> {
        if operation == Operation::GarbageCollect {
            return self.store.compact();
        }
        let copied = self.copy_in(process, operation != Operation::Get)?;
        let key = &copied.key[..copied.key_length];
        if operation == Operation::Get {
            return self.store.find(key, Visibility::Reader(copied.permissions));
        }
        let write_id = copied.write_id.ok_or(ErrorCode::Inval)?;
        if operation == Operation::Set {
            return self.append(&copied, write_id, RecordKind::Value);
        }
        self.store.find(key, Visibility::Owner(write_id))
    }

    fn append(&self, copied: &Copied, owner: u32, kind: RecordKind) -> Result<(), ErrorCode> {
        let value = match kind {
            RecordKind::Value => &copied.value[..copied.value_length],
            RecordKind::Deleted => &[],
        };
        self.store.append(&Record {
            owner,
            kind,
            key: &copied.key[..copied.key_length],
            value,
        })
    }

    /// A lookup for add, update or delete found `exists`: write or refuse.
    fn after_lookup(&self, process: ProcessId, operation: Operation, exists: bool) {
        let kind = match (operation, exists) {
            (Operation::Add, false) | (Operation::Update, true) => RecordKind::Value,
            (Operation::Delete, true) => RecordKind::Deleted,
            _ => return self.complete(Err(ErrorCode::NoSupport), 0),
        };
        let written = self
            .copy_in(process, kind == RecordKind::Value)
            .and_then(|copied| {
                let owner = copied.write_id.ok_or(ErrorCode::Inval)?;
                self.append(&copied, owner, kind)
            });
        if let Err(error) = written {
            self.complete(Err(error), 0);
        }
    }

    fn complete(&self, result: Result<(), ErrorCode>, length: usize) {
        let Some((process, _)) = self.active.take() else {
            return;
        };
        let _ = self.grant.enter(process, |request, kernel_data| {
            request.pending = None;
            let status = u32::from(StatusCode::from(result));
            let _ = kernel_data.schedule_upcall(0, (status, length as u32, 0));
        });
        self.serve_next();
    }
}

impl kernel::driver::SyscallDriver for KeyValue<'_> {
    fn command(&self, command: u32, _: u32, _: u32, process: ProcessId) -> CommandReturn {
        if command == 0 {
            return CommandReturn::success();
        }
        let Some(operation) = Operation::from_command(command) else {
            return CommandReturn::failure(ErrorCode::NoSupport);
        };
        if let Some(Err(error)) = self.mounted.get() {
            return CommandReturn::failure(error);
        }
        let recorded = self.grant.enter(process, |request, _| {
            if request.pending.is_some() {
                return Err(ErrorCode::Busy);
            }
            request.pending = Some(operation);
            Ok(())
        });
        match recorded.map_err(ErrorCode::from) {
            Ok(Ok(())) => {
                self.serve_next();
                CommandReturn::success()
            }
            Ok(Err(error)) | Err(error) => CommandReturn::failure(error),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl StoreClient for KeyValue<'_> {
    fn mounted(&self, result: Result<(), ErrorCode>) {
        self.mounted.set(Some(result));
        self.serve_next();
    }

    fn found(&self, result: Result<Option<Record<'_>>, ErrorCode>) {
        let Some((process, operation)) = self.active.get() else {
            return;
        };
        let record = match result {
            Ok(record) => record.filter(|record| record.kind == RecordKind::Value),
            Err(error) => return self.complete(Err(error), 0),
        };
        if operation != Operation::Get {
            return self.after_lookup(process, operation, record.is_some());
        }
        let Some(record) = record else {
            return self.complete(Err(ErrorCode::NoSupport), 0);
        };
        let fits = self.grant.enter(process, |_, kernel_data| {
            let output = kernel_data.read_write_buffer(0)?;
            output.copy_from(0, record.value);
            Ok(output.len() >= record.value.len())
        });
        let result = match fits {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(ErrorCode::Size),
            Ok(Err(error)) => Err(error),
            Err(error) => Err(error.into()),
        };
        self.complete(result, record.value.len());
    }

    fn appended(&self, result: Result<(), ErrorCode>) {
        self.complete(result, 0);
    }
}

#[cfg(test)]
mod tests;
