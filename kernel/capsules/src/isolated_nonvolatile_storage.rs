//! Isolated non-volatile storage driver (0x50004), upstream Tock's
//! interface: each app identity reads and writes a flash region of its
//! own at byte offsets, and nobody else's.
//!
//! - command 0: exists (for every process)
//! - command 1: region size; upcall 0 `(status, bytes low 32, bytes high 32)`
//! - command 2 (offset low, offset high): read into read-write buffer 0;
//!   upcall 1 `(status, 0, 0)`
//! - command 3 (offset low, offset high): write read-only buffer 0; upcall 2
//!   `(status, 0, 0)`
//!
//! Errors, as upstream's own tests (libtock-c's invs_single and
//! invs_read_write, through both its callback and its yield-wait-for
//! paths) pin them. At the command: a process whose storage permissions
//! have no write id (`kernel::identity`) gets NOSUPPORT from commands 1
//! to 3; one with an operation already queued BUSY; a range that
//! overflows or does not lie inside the region INVAL; an empty read-write
//! buffer at a real address RESERVE. In the upcall, which always follows
//! from a deferred call, never from inside the command: no buffer at all
//! (nothing allowed, or the null pointer; for a write any empty buffer)
//! RESERVE; the same range and buffer checks again (the process may have
//! allowed another buffer since); no free region left for a new identity
//! NOMEM; a flash failure FAIL. A refused operation touches nothing.
//!
//! # Regions
//!
//! One erase block per region, in the board's storage area; a region
//! belongs to the write id named in its header, so an app keeps its bytes
//! across reboots and when it is replaced by a new build of the same
//! identity (same write id), and removing an app leaves them in place
//! for when it comes back. (Upstream boards that place storage after
//! the app lose it on reflash; ours do not.) Regions are never given
//! back: a ninth identity on an eight-region board gets NOMEM.
//!
//! ```text
//!  storage area: [ block 0 ][ block 1 ] ... [ block N-1 ]
//!  one block:    | magic | write id | !write id | !magic | app bytes ...        |
//!                  0       4          8           12      16 (offset 0)   block end
//! ```
//!
//! A region is claimed (on its identity's first write; a read of an
//! unclaimed region sees erased bytes, 0xFF) in the first block without a
//! valid header: erased if it is not erased already, then its header
//! programmed. Programming only clears bits, so a header torn by a power
//! cut has some bit of a word still 1 where it should be 0, and the
//! complement words cannot then both match: a torn header is never valid,
//! its block is simply claimed again (erased first). A block with a valid
//! header is never erased by this driver.
//!
//! # Writes
//!
//! A write makes the region's bytes at the offset equal the buffer
//! (upstream's semantics), 512 bytes at a time:
//! - bytes already equal: nothing happens;
//! - only bits going 1 to 0: programmed in place. A power cut may leave
//!   those bytes torn (each bit old or new); the app's own store must cope
//!   (checksums, sequence numbers);
//! - some bit going 0 to 1: the 512 bytes go through the board's flash
//!   journal (`kernel::flash_journal`), which after a cut and its recovery
//!   at boot leaves the block all old or all new.
//!
//! A write over several 512-byte pieces is not atomic as a whole: a cut
//! may leave earlier pieces new and later ones old. A write of nothing but
//! 0xFF (a store erasing part of its region) is one journal rewrite,
//! atomic as a whole, or nothing if the range is erased already.
//!
//! Flash operations run blocking from the deferred call, as the journal
//! does; a read copies from the flash as mapped.

use core::cell::RefCell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::flash_journal::{BlockRewrite, NorFlash};
use kernel::grant::Grant;
use kernel::{CommandReturn, ErrorCode, ProcessId};
use kernel_abi::StatusCode;

pub use crate::kv::PermissionSource;

/// The header at the start of each region's block.
pub const HEADER_BYTES: usize = 16;
/// "INVS", little-endian.
const MAGIC: u32 = 0x5356_4e49;
/// Bytes copied per step through the driver's RAM buffers.
pub const CHUNK: usize = 512;

/// The header claiming a block for `write_id`.
pub fn encode_header(write_id: u32) -> [u8; HEADER_BYTES] {
    let mut header = [0u8; HEADER_BYTES];
    for (index, word) in [MAGIC, write_id, !write_id, !MAGIC].iter().enumerate() {
        header[index * 4..index * 4 + 4].copy_from_slice(&word.to_le_bytes());
    }
    header
}

/// The write id a header claims the block for; `None` for an erased,
/// torn or foreign header.
pub fn decode_header(header: &[u8; HEADER_BYTES]) -> Option<u32> {
    let write_id = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    (*header == encode_header(write_id)).then_some(write_id)
}

/// Can `length` bytes at `offset` be read or written in a region of
/// `region_bytes`? RESERVE for no bytes, INVAL unless they lie inside.
pub fn check_range(offset: u64, length: usize, region_bytes: usize) -> Result<(), ErrorCode> {
    if length == 0 {
        return Err(ErrorCode::Reserve);
    }
    let end = offset.checked_add(length as u64).ok_or(ErrorCode::Inval)?;
    (end <= region_bytes as u64)
        .then_some(())
        .ok_or(ErrorCode::Inval)
}

/// Where the regions are: `count` erase blocks from flash offset `start`.
#[derive(Clone, Copy, Debug)]
pub struct StorageArea {
    /// Flash offset of the first region's block (block-aligned).
    pub start: usize,
    /// How many regions (one erase block each).
    pub count: usize,
}

/// An operation a process asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    Size,
    Read(u64),
    Write(u64),
}

impl Operation {
    /// The subscribe number its upcall goes to.
    fn upcall(self) -> usize {
        match self {
            Operation::Size => 0,
            Operation::Read(_) => 1,
            Operation::Write(_) => 2,
        }
    }
}

/// Per-process state: the operation queued for the next deferred call.
#[derive(Default)]
pub struct StorageRequest {
    pending: Option<Operation>,
}

/// The grant: three upcalls, one read-only and one read-write buffer.
pub type StorageGrant = Grant<StorageRequest, 3, 1, 1>;

/// The driver.
pub struct IsolatedNonvolatileStorage<'a> {
    grant: StorageGrant,
    permissions: &'a dyn PermissionSource,
    flash: &'a dyn NorFlash,
    rewriter: &'a dyn BlockRewrite,
    area: StorageArea,
    /// The app's bytes of one piece.
    data: RefCell<[u8; CHUNK]>,
    /// The flash's bytes of the same piece.
    current: RefCell<[u8; CHUNK]>,
    deferred_call: DeferredCall,
}

impl<'a> IsolatedNonvolatileStorage<'a> {
    /// A driver over the regions of `area` in `flash`, rewriting through
    /// `rewriter` (offsets of both count from the same flash start). Make
    /// it `deferred_call`'s client.
    pub fn new(
        grant: StorageGrant,
        permissions: &'a dyn PermissionSource,
        (flash, rewriter): (&'a dyn NorFlash, &'a dyn BlockRewrite),
        area: StorageArea,
        deferred_call: DeferredCall,
    ) -> Self {
        IsolatedNonvolatileStorage {
            grant,
            permissions,
            flash,
            rewriter,
            area,
            data: RefCell::new([0; CHUNK]),
            current: RefCell::new([0; CHUNK]),
            deferred_call,
        }
    }

    /// Bytes an app may use in its region.
    pub fn region_bytes(&self) -> usize {
        self.flash.block_size().saturating_sub(HEADER_BYTES)
    }

    fn block_offset(&self, region: usize) -> usize {
        self.area.start + region * self.flash.block_size()
    }

    /// The region whose header names `write_id`.
    fn find(&self, write_id: u32) -> Result<Option<usize>, ErrorCode> {
        for region in 0..self.area.count {
            if self.header(region)? == Some(write_id) {
                return Ok(Some(region));
            }
        }
        Ok(None)
    }

    fn header(&self, region: usize) -> Result<Option<u32>, ErrorCode> {
        let mut header = [0u8; HEADER_BYTES];
        self.flash
            .read(self.block_offset(region), &mut header)
            .map_err(|_| ErrorCode::Fail)?;
        Ok(decode_header(&header))
    }

    /// The region of `write_id`, claiming the first block without a valid
    /// header if it has none (see the module documentation).
    fn find_or_claim(&self, write_id: u32) -> Result<usize, ErrorCode> {
        if let Some(region) = self.find(write_id)? {
            return Ok(region);
        }
        let mut free = None;
        for region in 0..self.area.count {
            if self.header(region)?.is_none() {
                free = Some(region);
                break;
            }
        }
        let region = free.ok_or(ErrorCode::NoMem)?;
        let block = self.block_offset(region);
        let flash_error = |_| ErrorCode::Fail;
        if !self.is_erased(block)? {
            self.flash.erase_block(block).map_err(flash_error)?;
        }
        self.flash
            .program(block, &encode_header(write_id))
            .map_err(flash_error)?;
        match self.header(region)? {
            Some(claimed) if claimed == write_id => Ok(region),
            _ => Err(ErrorCode::Fail),
        }
    }

    fn is_erased(&self, block: usize) -> Result<bool, ErrorCode> {
        let mut current = self.current.borrow_mut();
        let size = self.flash.block_size();
        for start in (0..size).step_by(CHUNK) {
            let piece = &mut current[..CHUNK.min(size - start)];
            self.flash
                .read(block + start, piece)
                .map_err(|_| ErrorCode::Fail)?;
            if piece.iter().any(|&byte| byte != 0xff) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Command 1..=3 for a process with storage: check it and queue it.
    fn queue(&self, process: ProcessId, operation: Operation) -> Result<(), ErrorCode> {
        if self
            .permissions
            .storage_permissions(process)
            .write_id()
            .is_none()
        {
            return Err(ErrorCode::NoSupport);
        }
        self.grant
            .enter(process, |request, kernel_data| {
                if request.pending.is_some() {
                    return Err(ErrorCode::Busy);
                }
                let (offset, length, allowed) = match operation {
                    Operation::Size => (0, 1, true),
                    Operation::Read(offset) => {
                        let buffer = kernel_data.read_write_buffer(0)?;
                        (offset, buffer.len(), buffer.address() != 0)
                    }
                    Operation::Write(offset) => {
                        (offset, kernel_data.read_only_buffer(0)?.len(), false)
                    }
                };
                match check_range(offset, length, self.region_bytes()) {
                    // No buffer: upstream's tests expect it in the upcall.
                    Err(ErrorCode::Reserve) if !allowed => {}
                    result => result?,
                }
                request.pending = Some(operation);
                Ok(())
            })
            .map_err(ErrorCode::from)??;
        self.deferred_call.set();
        Ok(())
    }

    /// Runs one queued operation of `process`; returns the upcall's two
    /// values after the status.
    fn serve(&self, process: ProcessId, operation: Operation) -> Result<(u32, u32), ErrorCode> {
        let write_id = self
            .permissions
            .storage_permissions(process)
            .write_id()
            .ok_or(ErrorCode::NoSupport)?;
        match operation {
            Operation::Size => {
                let bytes = self.region_bytes() as u64;
                Ok((bytes as u32, (bytes >> 32) as u32))
            }
            Operation::Read(offset) => self.read(process, write_id, offset).map(|()| (0, 0)),
            Operation::Write(offset) => self.write(process, write_id, offset).map(|()| (0, 0)),
        }
    }

    fn read(&self, process: ProcessId, write_id: u32, offset: u64) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, kernel_data| {
                let buffer = kernel_data.read_write_buffer(0)?;
                check_range(offset, buffer.len(), self.region_bytes())?;
                let region = self.find(write_id)?;
                let mut current = self.current.borrow_mut();
                let mut done = 0;
                while done < buffer.len() {
                    let piece = &mut current[..CHUNK.min(buffer.len() - done)];
                    match region {
                        // An unclaimed region reads as erased flash.
                        None => piece.fill(0xff),
                        Some(region) => {
                            let at = self.block_offset(region) + HEADER_BYTES;
                            self.flash
                                .read(at + offset as usize + done, piece)
                                .map_err(|_| ErrorCode::Fail)?;
                        }
                    }
                    done += buffer.copy_from(done, piece);
                }
                Ok(())
            })
            .map_err(ErrorCode::from)?
    }

    fn write(&self, process: ProcessId, write_id: u32, offset: u64) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, kernel_data| {
                let buffer = kernel_data.read_only_buffer(0)?;
                check_range(offset, buffer.len(), self.region_bytes())?;
                let region = self.find_or_claim(write_id)?;
                let start = self.block_offset(region) + HEADER_BYTES + offset as usize;
                if self.all_erased(|done, piece| buffer.copy_to(done, piece), buffer.len()) {
                    return self.erase_range(start, buffer.len());
                }
                let mut done = 0;
                while done < buffer.len() {
                    let length = CHUNK.min(buffer.len() - done);
                    let mut data = self.data.borrow_mut();
                    buffer.copy_to(done, &mut data[..length]);
                    self.write_piece(start + done, &data[..length])?;
                    done += length;
                }
                Ok(())
            })
            .map_err(ErrorCode::from)?
    }

    /// Whether the `length` bytes that `copy(offset, piece)` gives are all
    /// 0xFF (an app's store erasing part of its region).
    fn all_erased(&self, copy: impl Fn(usize, &mut [u8]) -> usize, length: usize) -> bool {
        let mut data = self.data.borrow_mut();
        let mut done = 0;
        while done < length {
            let piece = &mut data[..CHUNK.min(length - done)];
            let copied = copy(done, piece);
            if copied == 0 || piece[..copied].iter().any(|&byte| byte != 0xff) {
                return false;
            }
            done += copied;
        }
        true
    }

    /// Erases `length` bytes at `at` (inside one block): nothing if they
    /// are erased already, else one journal rewrite (not one per
    /// [`CHUNK`]), atomic across a power cut.
    fn erase_range(&self, at: usize, length: usize) -> Result<(), ErrorCode> {
        let mut current = self.current.borrow_mut();
        let mut done = 0;
        while done < length {
            let piece = &mut current[..CHUNK.min(length - done)];
            self.flash
                .read(at + done, piece)
                .map_err(|_| ErrorCode::Fail)?;
            if piece.iter().any(|&byte| byte != 0xff) {
                return self
                    .rewriter
                    .rewrite_erased(at, length)
                    .map_err(|_| ErrorCode::Fail);
            }
            done += piece.len();
        }
        Ok(())
    }

    /// Makes the flash at `at` hold `data` (at most [`CHUNK`] bytes, inside
    /// one block): by programming if no bit must be set, else through
    /// the journal.
    fn write_piece(&self, at: usize, data: &[u8]) -> Result<(), ErrorCode> {
        let mut current = self.current.borrow_mut();
        let current = &mut current[..data.len()];
        self.flash.read(at, current).map_err(|_| ErrorCode::Fail)?;
        if current == data {
            return Ok(());
        }
        let sets_a_bit = current.iter().zip(data).any(|(old, new)| new & !old != 0);
        if sets_a_bit {
            self.rewriter.rewrite(at, data).map_err(|_| ErrorCode::Fail)
        } else {
            self.flash.program(at, data).map_err(|_| ErrorCode::Fail)
        }
    }

    fn report(
        &self,
        process: ProcessId,
        operation: Operation,
        result: Result<(u32, u32), ErrorCode>,
    ) {
        let _ = self.grant.enter(process, |_, kernel_data| {
            let (first, second) = result.unwrap_or((0, 0));
            let status = u32::from(StatusCode::from(result.map(|_| ())));
            let _ = kernel_data.schedule_upcall(operation.upcall(), (status, first, second));
        });
    }

    /// The first process with a queued operation, taking it off the queue.
    fn take_next(&self) -> Option<(ProcessId, Operation)> {
        let mut next = None;
        self.grant.each(|process, request, _| {
            if next.is_none() {
                next = request.pending.take().map(|operation| (process, operation));
            }
        });
        next
    }
}

impl kernel::driver::SyscallDriver for IsolatedNonvolatileStorage<'_> {
    fn command(&self, command: u32, low: u32, high: u32, process: ProcessId) -> CommandReturn {
        let offset = u64::from(low) | (u64::from(high) << 32);
        let operation = match command {
            0 => return CommandReturn::success(),
            1 => Operation::Size,
            2 => Operation::Read(offset),
            3 => Operation::Write(offset),
            _ => return CommandReturn::failure(ErrorCode::NoSupport),
        };
        match self.queue(process, operation) {
            Ok(()) => CommandReturn::success(),
            Err(error) => CommandReturn::failure(error),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl DeferredCallClient for IsolatedNonvolatileStorage<'_> {
    fn handle_deferred_call(&self) {
        while let Some((process, operation)) = self.take_next() {
            let result = self.serve(process, operation);
            self.report(process, operation, result);
        }
    }
}

#[cfg(test)]
#[path = "isolated_nonvolatile_storage_tests.rs"]
mod tests;
