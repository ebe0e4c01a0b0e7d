//! A storage in RAM, for host tests of the store and of its users (the
//! `ram` feature; it needs `std`).

extern crate std;

use crate::{Storage, StorageError};
use std::vec;
use std::vec::Vec;

/// A [`Storage`] held in a `Vec`, erased (0xFF) when new. Accesses outside
/// the region fail with [`StorageError`] rather than panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RamStorage {
    bytes: Vec<u8>,
}

impl RamStorage {
    /// An erased region of `size` bytes.
    pub fn new(size: usize) -> Self {
        RamStorage {
            bytes: vec![0xFF; size],
        }
    }

    /// A region holding `bytes` (say, a copy taken before a power cut).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        RamStorage { bytes }
    }

    /// The region's contents.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The region's contents, to corrupt in tests.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    fn range(&self, offset: usize, length: usize) -> Result<core::ops::Range<usize>, StorageError> {
        let end = offset.checked_add(length).ok_or(StorageError)?;
        if end <= self.bytes.len() {
            Ok(offset..end)
        } else {
            Err(StorageError)
        }
    }
}

impl Storage for RamStorage {
    fn size(&self) -> usize {
        self.bytes.len()
    }

    fn read(&mut self, offset: usize, buffer: &mut [u8]) -> Result<(), StorageError> {
        let range = self.range(offset, buffer.len())?;
        buffer.copy_from_slice(&self.bytes[range]);
        Ok(())
    }

    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), StorageError> {
        let range = self.range(offset, data.len())?;
        self.bytes[range].copy_from_slice(data);
        Ok(())
    }
}
