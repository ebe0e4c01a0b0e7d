//! Fake isolated non-volatile storage (driver 0x50004): one app's region
//! in memory, erased (0xFF) at first, with the kernel capsule's answers:
//! no write id fails size, read and write with NOSUPPORT and a range
//! outside the region with INVAL, both at the command; an empty buffer
//! completes with RESERVE in the upcall (the kernel's answer to no buffer).

use super::status;
use crate::{schedule_upcall, with_ro_buffer, with_rw_buffer, Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::{Cell, RefCell};

const NUMBER: u32 = DriverNumber::ISOLATED_NONVOLATILE_STORAGE.0;

/// A region of the size the test gives. Operations finish at once.
pub struct IsolatedNonvolatileStorage {
    region: RefCell<Vec<u8>>,
    permitted: bool,
    failure: Cell<Option<ErrorCode>>,
    writes: Cell<usize>,
}

impl IsolatedNonvolatileStorage {
    /// An erased region of `size` bytes that the app may use.
    pub fn new(size: usize) -> IsolatedNonvolatileStorage {
        IsolatedNonvolatileStorage {
            region: RefCell::new(vec![0xFF; size]),
            permitted: true,
            failure: Cell::new(None),
            writes: Cell::new(0),
        }
    }

    /// A driver that refuses the app, as for one without a storage write id.
    pub fn without_permission() -> IsolatedNonvolatileStorage {
        IsolatedNonvolatileStorage {
            permitted: false,
            ..IsolatedNonvolatileStorage::new(0)
        }
    }

    /// The region's bytes now.
    pub fn contents(&self) -> Vec<u8> {
        self.region.borrow().clone()
    }

    /// Sets bytes of the region from `offset` on, as an earlier boot left
    /// them (or as a power cut tore them). Panics outside the region.
    pub fn set_contents(&self, offset: usize, bytes: &[u8]) {
        self.region.borrow_mut()[offset..offset + bytes.len()].copy_from_slice(bytes);
    }

    /// The next size, read or write ends with `error` in its upcall and
    /// touches nothing.
    pub fn fail_next(&self, error: ErrorCode) {
        self.failure.set(Some(error));
    }

    /// How many writes have succeeded.
    pub fn writes(&self) -> usize {
        self.writes.get()
    }

    /// The region's range for `length` bytes at `offset`, if it fits.
    fn range(&self, offset: u64, length: usize) -> Result<std::ops::Range<usize>, ErrorCode> {
        if length == 0 {
            return Err(ErrorCode::Reserve);
        }
        let start = usize::try_from(offset).map_err(|_| ErrorCode::Inval)?;
        let end = start.checked_add(length).ok_or(ErrorCode::Inval)?;
        if end > self.region.borrow().len() {
            return Err(ErrorCode::Inval);
        }
        Ok(start..end)
    }

    fn read(&self, offset: u64) -> Result<(), ErrorCode> {
        with_rw_buffer(NUMBER, 0, |out| {
            let range = self.range(offset, out.len())?;
            out.copy_from_slice(&self.region.borrow()[range]);
            Ok(())
        })
    }

    fn write(&self, offset: u64) -> Result<(), ErrorCode> {
        with_ro_buffer(NUMBER, 0, |data| {
            let range = self.range(offset, data.len())?;
            self.region.borrow_mut()[range].copy_from_slice(data);
            self.writes.set(self.writes.get() + 1);
            Ok(())
        })
    }
}

impl Driver for IsolatedNonvolatileStorage {
    fn number(&self) -> u32 {
        NUMBER
    }
    fn slots(&self) -> Slots {
        Slots {
            upcalls: 3,
            allow_ro: 1,
            allow_rw: 1,
            allow_userspace_readable: 0,
        }
    }
    fn command(&self, command: u32, argument0: u32, argument1: u32) -> CommandReturn {
        let offset = u64::from(argument0) | (u64::from(argument1) << 32);
        match command {
            0 => return CommandReturn::success(),
            1..=3 if !self.permitted => return CommandReturn::failure(ErrorCode::NoSupport),
            1..=3 => {}
            _ => return CommandReturn::failure(ErrorCode::NoSupport),
        }
        let length = match command {
            2 => with_rw_buffer(NUMBER, 0, |buffer| buffer.len()),
            3 => with_ro_buffer(NUMBER, 0, |buffer| buffer.len()),
            _ => 1,
        };
        if let Err(ErrorCode::Inval) = self.range(offset, length) {
            return CommandReturn::failure(ErrorCode::Inval);
        }
        let failure = self.failure.take();
        let (result, size) = match (command, failure) {
            (_, Some(error)) => (Err(error), 0),
            (1, None) => (Ok(()), self.region.borrow().len() as u64),
            (2, None) => (self.read(offset), 0),
            (_, None) => (self.write(offset), 0),
        };
        let arguments = (status(result), size as u32, (size >> 32) as u32);
        schedule_upcall(NUMBER, command - 1, arguments);
        CommandReturn::success()
    }
}
