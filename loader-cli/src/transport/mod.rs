//! How bytes reach a device's flash: one trait, one implementation per link.
//!
//! Every transport reads and programs absolute flash addresses. Programming
//! keeps the bytes around the written range (a transport with page-sized
//! writes reads the rest of the page first). A `write` call either lands as
//! a whole or fails; the install logic orders its writes so that any prefix
//! of them leaves a valid chain (see `operations`).

pub mod flash_file;
pub mod memory;
pub mod serial;
#[cfg(feature = "swd")]
pub mod swd;

pub use flash_file::FlashFile;
pub use memory::MemoryFlash;
pub use serial::{SerialBootloader, SerialLink};

use crate::error::LoaderResult;

/// One bootloader attribute (key, value), as the board reports it.
pub type AttributePair = (String, String);

/// A link to a device's flash.
pub trait Transport {
    /// The device, for messages (`flash file F`, `serial /dev/ttyUSB0`).
    fn describe(&self) -> String;

    /// Read `length` bytes from `address`.
    fn read(&mut self, address: u32, length: usize) -> LoaderResult<Vec<u8>>;

    /// Program `bytes` at `address`, keeping the bytes around them.
    fn write(&mut self, address: u32, bytes: &[u8]) -> LoaderResult<()>;

    /// Make sure the chain ends at `address` (tockloader's `clear_bytes`):
    /// bytes there must not parse as a TBF header. The default programs
    /// eight erased bytes there.
    fn mark_chain_end(&mut self, address: u32) -> LoaderResult<()> {
        self.write(address, &[0xFF; 8])
    }

    /// The device's bootloader attributes; empty when there are none (a
    /// flash file).
    fn attributes(&mut self) -> LoaderResult<Vec<AttributePair>> {
        Ok(Vec::new())
    }

    /// The bootloader's version, when there is one.
    fn bootloader_version(&mut self) -> LoaderResult<Option<String>> {
        Ok(None)
    }

    /// Make writes durable (flush a file, leave the bootloader...).
    fn finish(&mut self) -> LoaderResult<()> {
        Ok(())
    }
}
