//! Flash held in memory: dry runs ("what would this install write?") and
//! tests of the layers above the transports.

use super::Transport;
use crate::error::{LoaderError, LoaderResult};

/// A flash image in memory, starting at `base`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryFlash {
    /// Address of `bytes[0]`.
    pub base: u32,
    /// The contents.
    pub bytes: Vec<u8>,
    /// Number of `write` calls so far.
    pub writes: usize,
}

impl MemoryFlash {
    /// `size` erased bytes at `base`.
    pub fn erased(base: u32, size: usize) -> MemoryFlash {
        MemoryFlash {
            base,
            bytes: vec![0xFF; size],
            writes: 0,
        }
    }

    fn range(&self, address: u32, length: usize) -> LoaderResult<std::ops::Range<usize>> {
        let start = address
            .checked_sub(self.base)
            .map(|offset| offset as usize)
            .filter(|start| start.saturating_add(length) <= self.bytes.len());
        start
            .map(|start| start..start + length)
            .ok_or(LoaderError::OutOfFlash {
                device: self.describe(),
                address: u64::from(address),
                length,
                start: u64::from(self.base),
                end: u64::from(self.base) + self.bytes.len() as u64,
            })
    }
}

impl Transport for MemoryFlash {
    fn describe(&self) -> String {
        "flash in memory".to_string()
    }

    fn read(&mut self, address: u32, length: usize) -> LoaderResult<Vec<u8>> {
        let range = self.range(address, length)?;
        Ok(self.bytes[range].to_vec())
    }

    fn write(&mut self, address: u32, bytes: &[u8]) -> LoaderResult<()> {
        let range = self.range(address, bytes.len())?;
        self.bytes[range].copy_from_slice(bytes);
        self.writes += 1;
        Ok(())
    }
}
