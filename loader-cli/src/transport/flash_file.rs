//! A flash image in a file: offline installs, and QEMU's pflash backing
//! file (the file is the device's flash).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::Transport;
use crate::error::{LoaderError, LoaderResult};

/// Byte value of erased NOR flash; what a new flash file is filled with.
pub const ERASED: u8 = 0xFF;

/// A flash file: file offset 0 is `flash_address`.
pub struct FlashFile {
    path: PathBuf,
    file: File,
    flash_address: u32,
    flash_size: u32,
}

impl FlashFile {
    /// Open `path`, creating it filled with erased bytes (`flash_size` of
    /// them) when it does not exist.
    pub fn open(path: &Path, flash_address: u32, flash_size: u32) -> LoaderResult<FlashFile> {
        let error = |source| LoaderError::FlashFile {
            path: path.display().to_string(),
            source,
        };
        let exists = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(error)?;
        if !exists {
            let erased = vec![ERASED; flash_size as usize];
            file.write_all(&erased).map_err(error)?;
        }
        Ok(FlashFile {
            path: path.to_path_buf(),
            file,
            flash_address,
            flash_size,
        })
    }

    fn offset(&self, address: u32, length: usize) -> LoaderResult<u64> {
        let start = u64::from(self.flash_address);
        let end = start + u64::from(self.flash_size);
        let address = u64::from(address);
        if address < start || address + length as u64 > end {
            return Err(LoaderError::OutOfFlash {
                device: self.describe(),
                address,
                length,
                start,
                end,
            });
        }
        Ok(address - start)
    }

    fn io_error(&self, source: std::io::Error) -> LoaderError {
        LoaderError::FlashFile {
            path: self.path.display().to_string(),
            source,
        }
    }
}

impl Transport for FlashFile {
    fn describe(&self) -> String {
        format!("flash file {}", self.path.display())
    }

    fn read(&mut self, address: u32, length: usize) -> LoaderResult<Vec<u8>> {
        let offset = self.offset(address, length)?;
        self.file
            .seek(SeekFrom::Start(offset))
            .map_err(|e| self.io_error(e))?;
        let mut bytes = Vec::with_capacity(length);
        (&mut self.file)
            .take(length as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io_error(e))?;
        // Past the end of a short file reads as erased flash.
        bytes.resize(length, ERASED);
        Ok(bytes)
    }

    fn write(&mut self, address: u32, bytes: &[u8]) -> LoaderResult<()> {
        let offset = self.offset(address, bytes.len())?;
        self.file
            .seek(SeekFrom::Start(offset))
            .map_err(|e| self.io_error(e))?;
        self.file.write_all(bytes).map_err(|e| self.io_error(e))
    }

    fn mark_chain_end(&mut self, address: u32) -> LoaderResult<()> {
        // What tockloader writes on a flash file: one zero byte (a header
        // version of 0 cannot start a TBF).
        self.write(address, &[0])
    }

    fn finish(&mut self) -> LoaderResult<()> {
        self.file.sync_all().map_err(|e| self.io_error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_files_are_erased_and_bounds_are_checked() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("flash.bin");
        let mut flash = FlashFile::open(&path, 0x2000_0000, 4096).unwrap();
        assert_eq!(flash.read(0x2000_0000, 4).unwrap(), vec![ERASED; 4]);
        flash.write(0x2000_0010, &[1, 2, 3]).unwrap();
        assert_eq!(
            flash.read(0x2000_000F, 5).unwrap(),
            vec![0xFF, 1, 2, 3, 0xFF]
        );
        assert!(matches!(
            flash.read(0x2000_0FFF, 2),
            Err(LoaderError::OutOfFlash { .. })
        ));
        assert!(flash.write(0x1FFF_FFFF, &[0]).is_err());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 4096);
    }
}
