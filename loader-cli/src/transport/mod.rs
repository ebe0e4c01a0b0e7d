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
pub mod shared_port;
pub mod simulated_kernel;
#[cfg(feature = "swd")]
pub mod swd;
pub mod trust_answer;

pub use flash_file::FlashFile;
pub use memory::MemoryFlash;
pub use serial::{SerialBootloader, SerialLink};
pub use simulated_kernel::SimulatedKernel;

use crate::error::LoaderResult;
use loader_protocol::{AppState, RefusalReason};

/// An app operation on a running kernel (our loader service's
/// extensions): the kernel starts or stops the process itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveOperation {
    /// Start the image whose header is at this address.
    Install(u32),
    /// Stop the app at `old`, start the image at `new` (the kernel keeps
    /// the old one if the new one is refused).
    Replace {
        /// The running app's header.
        old: u32,
        /// The new image's header.
        new: u32,
    },
    /// Stop the app whose header is at this address and free its slot.
    Remove(u32),
    /// Stop, resume or restart the process of the app at `address`.
    Control {
        /// The app's header.
        address: u32,
        /// What to do with its process.
        action: loader_protocol::ProcessAction,
    },
    /// Replace the app at `old` in its own slot: the `length` bytes
    /// written at `source` (past the chain's end) become the slot's
    /// content in one flash-journal commit, after the kernel checked the
    /// new image at `new` against its credential policy and stopped the
    /// old process; then the new image starts.
    ReplaceInPlace {
        /// The old app's header: the slot's start.
        old: u32,
        /// The new image's header, inside the slot.
        new: u32,
        /// Where the slot's new content was written.
        source: u32,
        /// Its length.
        length: u32,
    },
}

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

    /// True when the device is a running kernel that starts and stops
    /// apps itself (our loader service). Flash files and bootloaders are
    /// not: their apps start at the next boot.
    fn is_live(&mut self) -> bool {
        false
    }

    /// Have the running kernel perform `operation`.
    fn live_operation(&mut self, operation: LiveOperation) -> LoaderResult<()> {
        Err(crate::error::LoaderError::Refused(format!(
            "{}: {operation:?} needs a running kernel with the loader service",
            self.describe()
        )))
    }

    /// On a running kernel: the state of every app image, by header
    /// address (the shared model, `loader_protocol::AppState`). `None`
    /// where apps do not run (a flash file, a bootloader).
    fn app_states(&mut self) -> LoaderResult<Option<Vec<(u32, AppState)>>> {
        Ok(None)
    }

    /// On a running kernel: why each refused image (enabled, nothing
    /// runs from it) was refused, by header address. Empty where apps do
    /// not run.
    fn refusal_reasons(&mut self) -> LoaderResult<Vec<(u32, RefusalReason)>> {
        Ok(Vec::new())
    }

    /// On a running kernel with a trust store: the encoded
    /// `tbf::trust::TrustState` (TRUST_STATE). `None` where there is none
    /// (a flash file, a bootloader, a board built without a root key).
    fn trust_state(&mut self) -> LoaderResult<Option<Vec<u8>>> {
        Ok(None)
    }

    /// On a running kernel with a trust store: apply the encoded signed
    /// change (APPLY_TRUST_CHANGE). The device checks it (root signature,
    /// sequence, scope) and writes it, or refuses it and changes nothing.
    fn apply_trust_change(&mut self, change: &[u8]) -> LoaderResult<()> {
        let _ = change;
        Err(trust_answer::not_live(&self.describe()))
    }

    /// On a running kernel: send one of the loader service's extension
    /// requests (test installs use it) and return the body of its OK
    /// answer; refused where nothing runs apps.
    fn extension_request(
        &mut self,
        request: &loader_protocol::Request<'_>,
    ) -> LoaderResult<Vec<u8>> {
        Err(crate::error::LoaderError::Refused(format!(
            "{}: {:?} needs a running kernel with the loader service (--port)",
            self.describe(),
            request.command()
        )))
    }

    /// Bytes that crossed the link both ways so far, where there is a link.
    fn wire_bytes(&self) -> Option<u64> {
        None
    }

    /// What a running kernel's console printed while the loader talked to
    /// it (and forget it); empty where there is no console.
    fn take_console(&mut self) -> Vec<u8> {
        Vec::new()
    }

    /// Make writes durable (flush a file, leave the bootloader...).
    fn finish(&mut self) -> LoaderResult<()> {
        Ok(())
    }
}
