//! Flash: read, program and erase whole pages, split-phase.

use kernel_abi::ErrorCode;

/// Told when a flash operation ends.
pub trait FlashClient {
    /// A `read_page` ended; the buffer comes back.
    fn read_complete(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>);
    /// A `write_page` ended; the buffer comes back.
    fn write_complete(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>);
    /// An `erase_page` ended.
    fn erase_complete(&self, result: Result<(), ErrorCode>);
}

/// A flash bank addressed in pages of [`Flash::page_size`] bytes.
pub trait Flash<'a> {
    /// Who is told.
    fn set_client(&self, client: &'a dyn FlashClient);
    /// Bytes per page (the unit of read and write).
    fn page_size(&self) -> usize;
    /// Bytes per erase block (a multiple of the page size).
    fn erase_size(&self) -> usize;
    /// Read page `page` into `buffer` (at least a page long).
    fn read_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])>;
    /// Program page `page` from `buffer` (erased bits only change 1 to 0).
    fn write_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])>;
    /// Erase the block holding `page` (all bits to 1).
    fn erase_page(&self, page: usize) -> Result<(), ErrorCode>;
}
