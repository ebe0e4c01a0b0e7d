//! App state driver (0x50000), upstream's interface (its app flash
//! driver, which libtock-c's `app_state` library uses): a process rewrites
//! bytes of its own flash image, typically the `.wfr.app_state` section
//! its linker script reserves, so that state survives restarts, reboots
//! and power cuts.
//!
//! - read-only buffer 0: the bytes to write (1..=[`MAX_WRITE_BYTES`])
//! - command 0: exists; command 1 (address): write buffer 0 at `address`
//! - subscribe 0: `(status, 0, 0)` when the write has ended (status 0:
//!   written)
//!
//! Checks, at command 1 and again when the write starts (the buffer may
//! have been allowed anew meanwhile): no buffer or an empty one is INVAL,
//! one over [`MAX_WRITE_BYTES`] is SIZE; the range `[address, address +
//! length)` must lie inside the calling process's own image between its
//! app start (after the TBF header and protected region) and its binary's
//! end (before any credentials footer), else INVAL: a process never
//! reaches its header, its footers or another image. A second write while
//! one of the same process is queued or running is BUSY. Writes of
//! different processes are queued and served in turn.
//!
//! How the bytes reach the NOR flash, and what a power cut leaves:
//! - nothing changes: no flash operation at all;
//! - only bits going 1 to 0: the one or two pages the range touches are
//!   programmed through the flash HIL with their other bytes as they are
//!   (programming those again changes nothing). A cut leaves every byte
//!   outside the range as it was and each bit inside it old or new;
//! - some bit going 0 to 1 (which needs an erase): the erase block is
//!   rewritten through the board's flash journal
//!   ([`kernel::flash_journal`]): after a cut and the journal's recovery
//!   at boot the block holds all of its old content or all of its new,
//!   so the app's code beside the state is never lost. A range that
//!   straddles two erase blocks is two such rewrites.
//!
//! The upcall always comes later (a flash completion or a deferred call),
//! never from inside the command.

use core::cell::{Cell, RefCell};

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::flash_journal::BlockRewrite;
use kernel::grant::Grant;
use kernel::hil::flash::{Flash, FlashClient};
use kernel::platform::Region;
use kernel::{CommandReturn, ErrorCode, Kernel, ProcessId};
use kernel_abi::StatusCode;

/// The longest write (upstream's driver copies through a 512-byte buffer).
pub const MAX_WRITE_BYTES: usize = 512;

/// Where the driver learns which flash a process may rewrite (the
/// kernel; a fake in tests).
pub trait ProcessImages {
    /// The part of the live process's image it may rewrite: from its app
    /// start to the end of its binary. `None` if it is not alive or its
    /// header cannot be read.
    fn rewritable(&self, process: ProcessId) -> Option<Region>;
}

impl ProcessImages for Kernel {
    fn rewritable(&self, process: ProcessId) -> Option<Region> {
        let image = self.process(process)?.image();
        let header = tbf::parse_header(image).ok()?;
        let start = usize::from(header.header_size()) + header.protected_size() as usize;
        let end = header.binary_end_offset() as usize;
        (start <= end && end <= image.len())
            .then(|| Region::new(image.as_ptr() as usize + start, end - start))
    }
}

/// Is `[address, address + length)` a write the process may make inside
/// `rewritable`? INVAL if not, SIZE if too long.
pub fn check_write(rewritable: Region, address: usize, length: usize) -> Result<(), ErrorCode> {
    if length == 0 {
        return Err(ErrorCode::Inval);
    }
    if length > MAX_WRITE_BYTES {
        return Err(ErrorCode::Size);
    }
    let inside = address >= rewritable.start
        && address
            .checked_add(length)
            .is_some_and(|end| end <= rewritable.end());
    inside.then_some(()).ok_or(ErrorCode::Inval)
}

/// How a write reaches the flash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The flash already holds the bytes.
    Unchanged,
    /// Programming suffices: no bit goes from 0 to 1.
    Program,
    /// A bit goes from 0 to 1: the erase block must be rewritten.
    Rewrite,
}

/// The method for writing `new` over `current`.
pub fn method(current: &[u8], new: &[u8]) -> Method {
    if current == new {
        Method::Unchanged
    } else if current.iter().zip(new).any(|(old, new)| new & !old != 0) {
        Method::Rewrite
    } else {
        Method::Program
    }
}

/// Per-process state: the address of its queued or running write.
#[derive(Default)]
pub struct AppStateRequest {
    pending: Option<usize>,
}

/// The grant: one upcall, one read-only buffer.
pub type AppStateGrant = Grant<AppStateRequest, 1, 1, 0>;

/// The write in progress.
#[derive(Clone, Copy)]
struct Active {
    process: ProcessId,
    address: usize,
    length: usize,
    method: Method,
    /// With [`Method::Program`]: the next page to program, if the range
    /// spans a second one.
    next_page: Option<usize>,
}

/// The flash as it is now (memory-mapped on a device; a fake in tests).
pub trait FlashContents {
    /// Copies the bytes at `address` into `destination`; false if any of
    /// them lies outside what is mapped.
    fn read(&self, address: usize, destination: &mut [u8]) -> bool;
}

/// Flash mapped into the address space: `contents` starts at `address`.
pub struct MappedFlash {
    /// The mapped bytes (the board's app flash).
    pub contents: &'static [u8],
    /// The address of `contents[0]`.
    pub address: usize,
}

impl FlashContents for MappedFlash {
    fn read(&self, address: usize, destination: &mut [u8]) -> bool {
        let bytes = address.checked_sub(self.address).and_then(|offset| {
            self.contents
                .get(offset..offset.checked_add(destination.len())?)
        });
        bytes
            .map(|bytes| destination.copy_from_slice(bytes))
            .is_some()
    }
}

/// The driver.
pub struct AppState<'a> {
    grant: AppStateGrant,
    images: &'a dyn ProcessImages,
    flash: &'a dyn Flash<'a>,
    rewriter: &'a dyn BlockRewrite,
    contents: &'a dyn FlashContents,
    /// The address of the flash bank's first byte: page numbers and
    /// journal offsets count from there.
    bank_address: usize,
    /// The bytes being written, copied from the process.
    data: RefCell<[u8; MAX_WRITE_BYTES]>,
    /// One flash page, lent to the HIL while it programs.
    page: Cell<Option<&'static mut [u8]>>,
    active: Cell<Option<Active>>,
    deferred_call: DeferredCall,
}

impl<'a> AppState<'a> {
    /// A driver writing through `flash` (programming) and `rewriter`
    /// (setting bits), both counting from the bank at `bank_address`,
    /// reading through `contents`; `page` holds one flash page. Make the
    /// driver the flash's client and `deferred_call`'s.
    pub fn new(
        grant: AppStateGrant,
        images: &'a dyn ProcessImages,
        (flash, rewriter): (&'a dyn Flash<'a>, &'a dyn BlockRewrite),
        (contents, bank_address): (&'a dyn FlashContents, usize),
        page: &'static mut [u8],
        deferred_call: DeferredCall,
    ) -> Self {
        AppState {
            grant,
            images,
            flash,
            rewriter,
            contents,
            bank_address,
            data: RefCell::new([0; MAX_WRITE_BYTES]),
            page: Cell::new(Some(page)),
            active: Cell::new(None),
            deferred_call,
        }
    }

    /// How the first `length` bytes of `data` reach the flash at
    /// `address`, judged against what it holds now; `None` if unmapped.
    fn method_at(&self, address: usize, length: usize) -> Option<Method> {
        let data = self.data.borrow();
        let mut current = [0u8; 64];
        let mut found = Method::Unchanged;
        for start in (0..length).step_by(current.len()) {
            let end = (start + current.len()).min(length);
            let current = &mut current[..end - start];
            if !self.contents.read(address + start, current) {
                return None;
            }
            match method(current, &data[start..end]) {
                Method::Rewrite => return Some(Method::Rewrite),
                Method::Program => found = Method::Program,
                Method::Unchanged => {}
            }
        }
        Some(found)
    }

    /// Copies the process's buffer, checking the range again (the buffer
    /// may have been allowed anew since the command); returns its length.
    fn copy_in(&self, process: ProcessId, address: usize) -> Result<usize, ErrorCode> {
        let rewritable = self.images.rewritable(process).ok_or(ErrorCode::Inval)?;
        self.grant
            .enter(process, |_, kernel_data| {
                let buffer = kernel_data.read_only_buffer(0)?;
                check_write(rewritable, address, buffer.len())?;
                Ok(buffer.copy_to(0, &mut self.data.borrow_mut()[..]))
            })
            .map_err(ErrorCode::from)?
    }

    /// Starts the write queued by `process`; an error ends it at once.
    fn start(&self, process: ProcessId, address: usize) -> Result<(), ErrorCode> {
        let length = self.copy_in(process, address)?;
        let offset = address
            .checked_sub(self.bank_address)
            .ok_or(ErrorCode::Inval)?;
        let method = self.method_at(address, length).ok_or(ErrorCode::Inval)?;
        let mut active = Active {
            process,
            address,
            length,
            method,
            next_page: None,
        };
        if method == Method::Program {
            let page_size = self.flash.page_size();
            let first = offset / page_size;
            let last = (offset + length - 1) / page_size;
            active.next_page = (last != first).then_some(last);
            self.active.set(Some(active));
            return self
                .program_page(first)
                .inspect_err(|_| self.active.set(None));
        }
        self.active.set(Some(active));
        // The journal and the no-op finish from a deferred call, so that
        // the upcall never comes from inside the command.
        self.deferred_call.set();
        Ok(())
    }

    /// Programs flash page `page` with its current bytes and the part of
    /// the active write that falls in it.
    fn program_page(&self, page: usize) -> Result<(), ErrorCode> {
        let active = self.active.get().ok_or(ErrorCode::Fail)?;
        let page_size = self.flash.page_size();
        let page_address = self.bank_address + page * page_size;
        let buffer = self.page.take().ok_or(ErrorCode::Busy)?;
        // The page's other bytes are programmed as they are: no change.
        if buffer.len() < page_size || !self.contents.read(page_address, &mut buffer[..page_size]) {
            self.page.set(Some(buffer));
            return Err(ErrorCode::Inval);
        }
        let start = active.address.max(page_address);
        let end = (active.address + active.length).min(page_address + page_size);
        buffer[start - page_address..end - page_address]
            .copy_from_slice(&self.data.borrow()[start - active.address..end - active.address]);
        self.flash
            .write_page(page, buffer)
            .map_err(|(error, buffer)| {
                self.page.set(Some(buffer));
                error
            })
    }

    /// Rewrites the active range through the journal, one erase block at
    /// a time; only while the process still lives and the range is still
    /// its own.
    fn rewrite(&self, active: Active) -> Result<(), ErrorCode> {
        let rewritable = self
            .images
            .rewritable(active.process)
            .ok_or(ErrorCode::Fail)?;
        check_write(rewritable, active.address, active.length)?;
        let data = self.data.borrow();
        let block = self.flash.erase_size().max(1);
        let mut offset = active
            .address
            .checked_sub(self.bank_address)
            .ok_or(ErrorCode::Inval)?;
        let mut written = 0;
        while written < active.length {
            let chunk = (block - offset % block).min(active.length - written);
            self.rewriter
                .rewrite(offset, &data[written..written + chunk])
                .map_err(|_| ErrorCode::Fail)?;
            offset += chunk;
            written += chunk;
        }
        Ok(())
    }

    /// Ends the active write with `result`, tells its process, and starts
    /// the next queued one.
    fn finish(&self, result: Result<(), ErrorCode>) {
        if let Some(active) = self.active.take() {
            self.report(active.process, result);
        }
        self.serve_next();
    }

    fn report(&self, process: ProcessId, result: Result<(), ErrorCode>) {
        let _ = self.grant.enter(process, |request, kernel_data| {
            request.pending = None;
            let status = u32::from(StatusCode::from(result));
            let _ = kernel_data.schedule_upcall(0, (status, 0, 0));
        });
    }

    /// Starts the first queued write, if the driver is free; a write that
    /// cannot start is reported and the next one tried.
    fn serve_next(&self) {
        while self.active.get().is_none() {
            let mut next = None;
            self.grant.each(|process, request, _| {
                if next.is_none() {
                    next = request.pending.map(|address| (process, address));
                }
            });
            let Some((process, address)) = next else {
                return;
            };
            if let Err(error) = self.start(process, address) {
                self.report(process, Err(error));
            }
        }
    }

    /// Command 1: check, queue, and start if the driver is free.
    fn write(&self, process: ProcessId, address: usize) -> Result<(), ErrorCode> {
        let rewritable = self.images.rewritable(process).ok_or(ErrorCode::Inval)?;
        self.grant
            .enter(process, |request, kernel_data| {
                let length = kernel_data.read_only_buffer(0)?.len();
                check_write(rewritable, address, length)?;
                if request.pending.is_some() {
                    return Err(ErrorCode::Busy);
                }
                request.pending = Some(address);
                Ok(())
            })
            .map_err(ErrorCode::from)??;
        if self.active.get().is_some() {
            return Ok(());
        }
        self.start(process, address).inspect_err(|_| {
            let _ = self
                .grant
                .enter(process, |request, _| request.pending = None);
        })
    }
}

impl kernel::driver::SyscallDriver for AppState<'_> {
    fn command(&self, command: u32, argument0: u32, _: u32, process: ProcessId) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => match self.write(process, argument0 as usize) {
                Ok(()) => CommandReturn::success(),
                Err(error) => CommandReturn::failure(error),
            },
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl DeferredCallClient for AppState<'_> {
    fn handle_deferred_call(&self) {
        let Some(active) = self.active.get() else {
            return;
        };
        let result = match active.method {
            Method::Rewrite => self.rewrite(active),
            Method::Unchanged | Method::Program => Ok(()),
        };
        self.finish(result);
    }
}

impl FlashClient for AppState<'_> {
    fn read_complete(&self, buffer: &'static mut [u8], _: Result<(), ErrorCode>) {
        self.page.set(Some(buffer));
    }

    fn write_complete(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>) {
        self.page.set(Some(buffer));
        let Some(mut active) = self.active.get() else {
            return;
        };
        let next = active.next_page.take().filter(|_| result.is_ok());
        if let Some(page) = next {
            self.active.set(Some(active));
            // Only while the range is still the process's own.
            let still_own = self
                .images
                .rewritable(active.process)
                .is_some_and(|own| check_write(own, active.address, active.length).is_ok());
            let started = if still_own {
                self.program_page(page)
            } else {
                Err(ErrorCode::Fail)
            };
            if let Err(error) = started {
                self.finish(Err(error));
            }
            return;
        }
        self.finish(result);
    }

    fn erase_complete(&self, _: Result<(), ErrorCode>) {}
}

#[cfg(test)]
mod tests;
