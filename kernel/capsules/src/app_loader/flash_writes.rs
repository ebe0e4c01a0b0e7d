//! Writing app flash for the loader service: WRITE_PAGE and ERASE_PAGE
//! through the flash HIL where programming suffices (it only clears
//! bits), through the board's flash journal where a bit must be set, and
//! never where a changed byte lies in a loaded process's image.

use kernel::hil::flash::FlashClient;
use kernel::ErrorCode;
use loader_protocol::{Response, PAGE_SIZE};

use super::AppLoader;

impl AppLoader<'_> {
    /// Is `[address, address + length)` in the flash of a loaded process?
    pub(super) fn in_loaded_image(&self, address: usize, length: usize) -> bool {
        self.loaded_image_at(address, length).is_some()
    }

    /// The name of a loaded process whose flash overlaps the range.
    fn loaded_image_at(&self, address: usize, length: usize) -> Option<&'static str> {
        let range = kernel::platform::Region::new(address, length);
        self.kernel
            .processes()
            .iter()
            .find(|process| {
                process.is_loaded() && kernel::memory::ranges_overlap(process.layout().flash, range)
            })
            .map(|process| process.name())
            .or_else(|| self.test_protected(address, length))
    }

    /// A page erase: nothing to do on erased flash; otherwise the page
    /// becomes 0xFF through the journal (its erase block is rewritten),
    /// unless a loaded process runs from it.
    pub(super) fn erase_page(&self, address: usize) {
        match self.app_flash_range(address, PAGE_SIZE) {
            Some(bytes) if bytes.iter().all(|&byte| byte == 0xff) => self.answer(Response::Ok, &[]),
            Some(_)
                if address.is_multiple_of(PAGE_SIZE)
                    && !self.in_loaded_image(address, PAGE_SIZE) =>
            {
                self.rewrite_in_place(address, &[0xff; PAGE_SIZE])
            }
            _ => self.answer(Response::BadAddress, &[]),
        }
    }

    pub(super) fn write_page(&self, address: usize, data: &[u8]) {
        let Some(current) = self.app_flash_range(address, PAGE_SIZE) else {
            return self.answer(Response::BadAddress, &[]);
        };
        // Only the bytes that change matter: a page may hold the tail of a
        // running app's image beside the start of a new one.
        let changed = current.iter().zip(data).position(|(old, new)| old != new);
        let Some(first) = changed else {
            return self.answer(Response::Ok, &[]);
        };
        let last = PAGE_SIZE
            - current
                .iter()
                .rev()
                .zip(data.iter().rev())
                .position(|(old, new)| old != new)
                .unwrap_or(0);
        if let Some(name) = self.loaded_image_at(address + first, last - first) {
            // The host's protocol has no reason field: the console says it.
            self.kernel.print(format_args!(
                "[kernel] loader: refused a write at {:#x} into app {} (loaded: uninstall or disable it first)\r\n",
                address + first,
                name
            ));
            return self.answer(Response::BadAddress, &[]);
        }
        // Programming only clears bits (NOR flash): a write that sets one
        // needs its erase block rewritten through the journal.
        let sets_bits = current.iter().zip(data).any(|(old, new)| new & !old != 0);
        if sets_bits {
            return self.rewrite_in_place(address, &data[..PAGE_SIZE]);
        }
        // Upstream tockloader also writes "pages" at addresses that are
        // not page-aligned: such a write spans two flash pages, each
        // written with its other bytes as they are.
        let first_page = address - address % PAGE_SIZE;
        let offset = address - first_page;
        let pages = self.app_flash_range(
            first_page,
            if offset == 0 {
                PAGE_SIZE
            } else {
                2 * PAGE_SIZE
            },
        );
        let (Some(current), Some(page)) = (pages, self.page.take()) else {
            return self.answer(Response::InternalError, &[]);
        };
        page[..PAGE_SIZE].copy_from_slice(&current[..PAGE_SIZE]);
        page[offset..PAGE_SIZE].copy_from_slice(&data[..PAGE_SIZE - offset]);
        let page_number = (first_page - self.flash_base) / PAGE_SIZE;
        if offset != 0 {
            let Some(second) = self.second_page.take() else {
                self.page.set(Some(page));
                return self.answer(Response::InternalError, &[]);
            };
            second[..PAGE_SIZE].copy_from_slice(&current[PAGE_SIZE..]);
            second[..offset].copy_from_slice(&data[PAGE_SIZE - offset..]);
            self.second_page.set(Some(second));
            self.second_pending.set(Some(page_number + 1));
        }
        if let Err((_, page)) = self.flash.write_page(page_number, page) {
            self.page.set(Some(page));
            self.second_pending.set(None);
            self.answer(Response::InternalError, &[]);
        }
    }

    /// Makes `data` the content at `address` with the journal, one erase
    /// block at a time, and answers. Each block's rewrite is power-cut
    /// safe; a write spanning two blocks is two rewrites.
    fn rewrite_in_place(&self, address: usize, data: &[u8]) {
        let Some(rewriter) = self.rewriter else {
            return self.answer(Response::BadAddress, &[]);
        };
        let offset = address - self.flash_base;
        let block = self.flash.erase_size().max(1);
        let split = (block - offset % block).min(data.len());
        let result = rewriter.rewrite(offset, &data[..split]).and_then(|()| {
            if data.len() > split {
                rewriter.rewrite(offset + split, &data[split..])
            } else {
                Ok(())
            }
        });
        match result {
            Ok(()) => self.answer(Response::Ok, &[]),
            Err(error) => {
                self.kernel.print(format_args!(
                    "[kernel] loader: rewriting flash at {:#x} failed: {}\r\n",
                    address, error
                ));
                self.answer(Response::InternalError, &[])
            }
        }
    }
}

impl FlashClient for AppLoader<'_> {
    fn read_complete(&self, buffer: &'static mut [u8], _result: Result<(), ErrorCode>) {
        self.page.set(Some(buffer));
    }

    fn write_complete(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>) {
        if let Some(next) = self.second_pending.take() {
            // The first of two pages: the second follows.
            self.page.set(Some(buffer));
            let Some(second) = self.second_page.take().filter(|_| result.is_ok()) else {
                return self.answer(Response::InternalError, &[]);
            };
            if let Err((_, second)) = self.flash.write_page(next, second) {
                self.second_page.set(Some(second));
                self.answer(Response::InternalError, &[]);
            }
            return;
        }
        match self.page.take() {
            Some(first) => {
                self.page.set(Some(first));
                self.second_page.set(Some(buffer));
            }
            None => self.page.set(Some(buffer)),
        }
        match result {
            Ok(()) => self.answer(Response::Ok, &[]),
            Err(_) => self.answer(Response::InternalError, &[]),
        }
    }

    fn erase_complete(&self, _result: Result<(), ErrorCode>) {}
}
