//! SWD through a debug probe (probe-rs): reads go through the core's memory
//! interface, writes through probe-rs's flash algorithms, which keep the
//! bytes of each erased sector that the write does not cover.

use probe_rs::flashing::DownloadOptions;
use probe_rs::{MemoryInterface, Session, SessionConfig};

use super::Transport;
use crate::error::{LoaderError, LoaderResult};

/// A chip attached through the first debug probe found.
pub struct Swd {
    chip: String,
    session: Session,
}

impl Swd {
    /// Attach to `chip` (a probe-rs target name, e.g. `nRF52840_xxAA`).
    pub fn attach(chip: &str) -> LoaderResult<Swd> {
        let session = Session::auto_attach(chip, SessionConfig::default()).map_err(|e| {
            LoaderError::Link {
                device: format!("SWD {chip}"),
                reason: format!("cannot attach: {e}"),
            }
        })?;
        Ok(Swd {
            chip: chip.to_string(),
            session,
        })
    }

    fn failure(&self, address: u32, reason: String) -> LoaderError {
        LoaderError::WriteFailed {
            device: self.describe(),
            address,
            reason,
        }
    }
}

impl Transport for Swd {
    fn describe(&self) -> String {
        format!("SWD {}", self.chip)
    }

    fn read(&mut self, address: u32, length: usize) -> LoaderResult<Vec<u8>> {
        let mut bytes = vec![0u8; length];
        let device = self.describe();
        let mut core = self.session.core(0).map_err(|e| LoaderError::Link {
            device: device.clone(),
            reason: format!("no core 0: {e}"),
        })?;
        core.read_8(u64::from(address), &mut bytes)
            .map_err(|e| LoaderError::Link {
                device,
                reason: format!("read at {address:#x} failed: {e}"),
            })?;
        Ok(bytes)
    }

    fn write(&mut self, address: u32, bytes: &[u8]) -> LoaderResult<()> {
        let mut loader = self.session.target().flash_loader();
        loader
            .add_data(u64::from(address), bytes)
            .map_err(|e| self.failure(address, e.to_string()))?;
        let mut options = DownloadOptions::default();
        options.keep_unwritten_bytes = true;
        options.verify = true;
        loader
            .commit(&mut self.session, options)
            .map_err(|e| self.failure(address, e.to_string()))
    }

    fn finish(&mut self) -> LoaderResult<()> {
        let device = self.describe();
        let mut core = self.session.core(0).map_err(|e| LoaderError::Link {
            device: device.clone(),
            reason: e.to_string(),
        })?;
        core.reset().map_err(|e| LoaderError::Link {
            device,
            reason: format!("reset failed: {e}"),
        })
    }
}
