//! The NVMC (0x4001_E000) and the 1 MiB internal flash at 0x0 behind the
//! kernel's flash HIL. The hardware erases 4 KiB pages and programs 32-bit
//! words; the HIL's read/write page is 512 bytes (the tock-bootloader
//! protocol's page, as on qemu-rv32-virt, so the loader service works
//! unchanged) and its erase block is the 4 KiB hardware page.
//!
//! ```text
//!  0x0000_0000 +---------------+
//!              | kernel        |  never writable through this driver
//!  writable    +---------------+ window start (the board's app start)
//!   window     | apps          |  erase: one 4 KiB block (~85 ms)
//!              |               |  write: one 512-byte page, word by word,
//!              |               |         1 -> 0 bits only
//!  0x0010_0000 +---------------+ end of flash (HIL page 2048)
//! ```
//!
//! Operations run to completion at once: the CPU stalls on flash fetches
//! while the NVMC writes or erases, so there is nothing to wait for in an
//! interrupt. The HIL callback follows from a deferred call. A word that
//! would need a 0 -> 1 change (flash not erased there) is not written and
//! the write reports FAIL; every word written is read back and a mismatch
//! reports FAIL too, instead of leaving silently wrong data.
//! Pages outside the writable window the board gives are refused (INVAL),
//! so no client can overwrite the kernel.

use core::cell::Cell;
use core::ops::Range;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::flash::{Flash, FlashClient};
use kernel::ErrorCode;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

/// Bytes per HIL page (the unit of read and write).
pub const PAGE_SIZE: usize = 512;
/// Bytes per hardware page (the unit of erase).
pub const ERASE_SIZE: usize = 4096;
/// Bytes of internal flash.
pub const FLASH_SIZE: usize = 1024 * 1024;
/// HIL pages of internal flash.
pub const PAGE_COUNT: usize = FLASH_SIZE / PAGE_SIZE;

register_bitfields![u32,
    Ready [
        READY OFFSET(0) NUMBITS(1) []
    ],
    Configuration [
        MODE OFFSET(0) NUMBITS(2) [ReadOnly = 0, Write = 1, Erase = 2]
    ]
];

register_structs! {
    /// NVMC registers (nRF52840 product specification, NVMC chapter).
    pub NvmcRegisters {
        (0x000 => _reserved0),
        (0x400 => ready: ReadOnly<u32, Ready::Register>),
        (0x404 => _reserved1),
        (0x504 => configuration: ReadWrite<u32, Configuration::Register>),
        (0x508 => erase_page: ReadWrite<u32>),
        (0x50c => @END),
    }
}

/// The byte offset of HIL page `page` if it lies in `writable` (a byte
/// range of flash).
pub fn writable_page_offset(writable: &Range<usize>, page: usize) -> Result<usize, ErrorCode> {
    let offset = readable_page_offset(page)?;
    if offset < writable.start || offset + PAGE_SIZE > writable.end {
        return Err(ErrorCode::Inval);
    }
    Ok(offset)
}

/// The offset of the erase block holding HIL page `page`, if the whole
/// block lies in `writable`.
pub fn writable_block_offset(writable: &Range<usize>, page: usize) -> Result<usize, ErrorCode> {
    let offset = readable_page_offset(page)?;
    let block = offset - offset % ERASE_SIZE;
    if block < writable.start || block + ERASE_SIZE > writable.end {
        return Err(ErrorCode::Inval);
    }
    Ok(block)
}

/// The byte offset of `page` if it lies in flash (any page may be read).
pub fn readable_page_offset(page: usize) -> Result<usize, ErrorCode> {
    if page >= PAGE_COUNT {
        return Err(ErrorCode::Inval);
    }
    Ok(page * PAGE_SIZE)
}

/// The board's writable window `[start, end)` of flash offsets, checked:
/// `None` unless both bounds are on 4 KiB erase blocks and in flash.
pub fn writable_window(start: usize, end: usize) -> Option<Range<usize>> {
    let aligned = start.is_multiple_of(ERASE_SIZE) && end.is_multiple_of(ERASE_SIZE);
    (aligned && start <= end && end <= FLASH_SIZE).then_some(start..end)
}

/// True if programming `new` over `current` gives `new` (flash can only
/// clear bits).
pub fn programmable(current: u32, new: u32) -> bool {
    current & new == new
}

enum Completion {
    Read(&'static mut [u8], Result<(), ErrorCode>),
    Write(&'static mut [u8], Result<(), ErrorCode>),
    Erase(Result<(), ErrorCode>),
}

/// The internal flash.
pub struct Nvmc {
    registers: &'static NvmcRegisters,
    /// Address of flash offset 0 (0x0 on the chip).
    flash: usize,
    writable: Range<usize>,
    deferred_call: Cell<Option<DeferredCall>>,
    client: Cell<Option<&'static dyn FlashClient>>,
    completion: Cell<Option<Completion>>,
}

impl Nvmc {
    /// The NVMC, allowed to program and erase only the flash offsets in
    /// `writable` (see [`writable_window`]; an unchecked window that is not
    /// block aligned only shrinks what erase accepts), of the
    /// [`FLASH_SIZE`] bytes of flash mapped at `flash`.
    ///
    /// # Safety
    /// `base` must be the NVMC's address (0x4001_E000) and `flash` the
    /// flash's (0x0); no Rust reference may point into the writable pages
    /// while they change.
    pub const unsafe fn new(base: usize, flash: usize, writable: Range<usize>) -> Self {
        Nvmc {
            // SAFETY: the caller guarantees the NVMC is at `base`.
            registers: unsafe { &*(base as *const NvmcRegisters) },
            flash,
            writable,
            deferred_call: Cell::new(None),
            client: Cell::new(None),
            completion: Cell::new(None),
        }
    }

    /// Gives the driver its deferred call, needed by the HIL callbacks.
    pub fn set_deferred_call(&'static self, call: DeferredCall) {
        call.register(self);
        self.deferred_call.set(Some(call));
    }

    fn wait_ready(&self) {
        while !self.registers.ready.is_set(Ready::READY) {}
    }

    fn read_word(&self, offset: usize) -> u32 {
        // SAFETY: `offset` is inside the flash (the callers check it) and
        // word aligned; flash always reads.
        unsafe { ((self.flash + offset) as *const u32).read_volatile() }
    }

    fn copy_out(&self, offset: usize, buffer: &mut [u8]) {
        for (index, chunk) in buffer[..PAGE_SIZE].chunks_exact_mut(4).enumerate() {
            chunk.copy_from_slice(&self.read_word(offset + index * 4).to_le_bytes());
        }
    }

    fn program(&self, offset: usize, data: &[u8]) -> Result<(), ErrorCode> {
        self.registers
            .configuration
            .write(Configuration::MODE::Write);
        let mut result = Ok(());
        for (index, chunk) in data[..PAGE_SIZE].chunks_exact(4).enumerate() {
            let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let word_offset = offset + index * 4;
            let current = self.read_word(word_offset);
            if !programmable(current, word) {
                // The page was not erased there: leave the word alone.
                result = Err(ErrorCode::Fail);
                continue;
            }
            if word != current {
                let address = (self.flash + word_offset) as *mut u32;
                // SAFETY: `address` is a word in the writable window (the
                // caller checked the page); the NVMC is in write mode.
                unsafe { address.write_volatile(word) };
                self.wait_ready();
            }
            if self.read_word(word_offset) != word {
                result = Err(ErrorCode::Fail);
            }
        }
        self.registers
            .configuration
            .write(Configuration::MODE::ReadOnly);
        result
    }

    fn erase(&self, offset: usize) {
        self.registers
            .configuration
            .write(Configuration::MODE::Erase);
        self.registers.erase_page.set((self.flash + offset) as u32);
        self.wait_ready();
        self.registers
            .configuration
            .write(Configuration::MODE::ReadOnly);
    }

    fn complete_later(&self, completion: Completion) -> Result<(), Completion> {
        let Some(call) = self.deferred_call.get() else {
            return Err(completion);
        };
        if self.busy() {
            return Err(completion);
        }
        self.completion.set(Some(completion));
        call.set();
        Ok(())
    }

    fn busy(&self) -> bool {
        let completion = self.completion.take();
        let busy = completion.is_some();
        self.completion.set(completion);
        busy
    }
}

impl DeferredCallClient for Nvmc {
    fn handle_deferred_call(&self) {
        let (Some(completion), Some(client)) = (self.completion.take(), self.client.get()) else {
            return;
        };
        match completion {
            Completion::Read(buffer, result) => client.read_complete(buffer, result),
            Completion::Write(buffer, result) => client.write_complete(buffer, result),
            Completion::Erase(result) => client.erase_complete(result),
        }
    }
}

fn refused(completion: Completion) -> Result<(), (ErrorCode, &'static mut [u8])> {
    match completion {
        Completion::Read(buffer, _) | Completion::Write(buffer, _) => {
            Err((ErrorCode::Busy, buffer))
        }
        Completion::Erase(_) => Ok(()),
    }
}

impl Flash<'static> for Nvmc {
    fn set_client(&self, client: &'static dyn FlashClient) {
        self.client.set(Some(client));
    }

    fn page_size(&self) -> usize {
        PAGE_SIZE
    }

    fn erase_size(&self) -> usize {
        ERASE_SIZE
    }

    fn read_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        let offset = match readable_page_offset(page) {
            Ok(_) if buffer.len() < PAGE_SIZE => return Err((ErrorCode::Size, buffer)),
            Ok(offset) => offset,
            Err(code) => return Err((code, buffer)),
        };
        if self.busy() {
            return Err((ErrorCode::Busy, buffer));
        }
        self.copy_out(offset, buffer);
        self.complete_later(Completion::Read(buffer, Ok(())))
            .or_else(refused)
    }

    fn write_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        let offset = match writable_page_offset(&self.writable, page) {
            Ok(_) if buffer.len() < PAGE_SIZE => return Err((ErrorCode::Size, buffer)),
            Ok(offset) => offset,
            Err(code) => return Err((code, buffer)),
        };
        if self.busy() || self.deferred_call.get().is_none() {
            return Err((ErrorCode::Busy, buffer));
        }
        let result = self.program(offset, buffer);
        self.complete_later(Completion::Write(buffer, result))
            .or_else(refused)
    }

    fn erase_page(&self, page: usize) -> Result<(), ErrorCode> {
        let offset = writable_block_offset(&self.writable, page)?;
        if self.busy() || self.deferred_call.get().is_none() {
            return Err(ErrorCode::Busy);
        }
        self.erase(offset);
        self.complete_later(Completion::Erase(Ok(())))
            .map_err(|_| ErrorCode::Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_stay_inside_the_writable_window() {
        let apps = writable_window(0x4_0000, FLASH_SIZE).unwrap();
        assert_eq!(apps, 0x4_0000..FLASH_SIZE);
        assert_eq!(writable_page_offset(&apps, 0x200), Ok(0x4_0000));
        assert_eq!(writable_page_offset(&apps, 2047), Ok(0xf_fe00));
        assert_eq!(writable_page_offset(&apps, 0x1ff), Err(ErrorCode::Inval));
        assert_eq!(writable_page_offset(&apps, 2048), Err(ErrorCode::Inval));
        assert_eq!(
            writable_page_offset(&(0..usize::MAX), 2048),
            Err(ErrorCode::Inval)
        );
    }

    #[test]
    fn erases_take_the_whole_4k_block_of_a_page() {
        let apps = writable_window(0x4_0000, 0x8_0000).unwrap();
        // Page 0x207 is the eighth 512-byte page of block 0x4_0000.
        assert_eq!(writable_block_offset(&apps, 0x207), Ok(0x4_0000));
        assert_eq!(writable_block_offset(&apps, 0x208), Ok(0x4_1000));
        assert_eq!(writable_block_offset(&apps, 0x1ff), Err(ErrorCode::Inval));
        assert_eq!(writable_block_offset(&apps, 0x400), Err(ErrorCode::Inval));
        // A window that does not hold the whole block refuses the erase.
        let ragged = 0x4_0200..0x8_0000;
        assert_eq!(writable_block_offset(&ragged, 0x201), Err(ErrorCode::Inval));
        assert_eq!(writable_page_offset(&ragged, 0x201), Ok(0x4_0200));
    }

    #[test]
    fn any_flash_page_reads_but_none_past_the_end() {
        assert_eq!(readable_page_offset(0), Ok(0));
        assert_eq!(readable_page_offset(2047), Ok(2047 * PAGE_SIZE));
        assert_eq!(readable_page_offset(2048), Err(ErrorCode::Inval));
        assert_eq!(readable_page_offset(usize::MAX), Err(ErrorCode::Inval));
    }

    #[test]
    fn windows_must_be_block_aligned_and_in_flash() {
        assert_eq!(writable_window(0x1000, 0x3000), Some(0x1000..0x3000));
        assert_eq!(writable_window(0x1200, 0x3000), None);
        assert_eq!(writable_window(0x3000, 0x1000), None);
        assert_eq!(writable_window(0, FLASH_SIZE + ERASE_SIZE), None);
    }

    #[test]
    fn programming_only_clears_bits() {
        assert!(programmable(u32::MAX, 0x1234_5678));
        assert!(programmable(0x1234_5678, 0x1234_5678));
        assert!(programmable(0xf0f0_f0f0, 0x0000_f0f0));
        assert!(!programmable(0x0000_0000, 0x0000_0001));
    }
}
