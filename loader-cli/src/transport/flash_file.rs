//! A flash image in a file: offline installs, and QEMU's pflash backing
//! file (the file is the device's flash).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::Transport;
use crate::error::{LoaderError, LoaderResult};

/// Byte value of erased NOR flash; what a new flash file is filled with.
pub const ERASED: u8 = 0xFF;

/// How a flash file is created and grown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Growth {
    /// Ours: a missing file is created erased at the flash size, and a
    /// write past the end of a shorter file (a kernel image alone) fills
    /// the gap with erased bytes, as the flash would read.
    Erased,
    /// tockloader 1.19's: a missing file is created empty, and a write past
    /// the end seeks there, so the gap reads as zeros (byte-identical
    /// files).
    Tockloader,
}

/// A flash file: file offset 0 is `flash_address`. Files shorter than the
/// flash grow when written past their end (a kernel image alone is a
/// valid flash file); reads past the end see erased flash.
pub struct FlashFile {
    path: PathBuf,
    file: File,
    flash_address: u32,
    flash_size: u32,
    growth: Growth,
}

impl FlashFile {
    /// Open `path`, creating it filled with erased bytes (`flash_size` of
    /// them) when it does not exist.
    pub fn open(path: &Path, flash_address: u32, flash_size: u32) -> LoaderResult<FlashFile> {
        FlashFile::open_with(path, flash_address, flash_size, Growth::Erased)
    }

    /// Open `path`, creating and growing it as `growth` says.
    pub fn open_with(
        path: &Path,
        flash_address: u32,
        flash_size: u32,
        growth: Growth,
    ) -> LoaderResult<FlashFile> {
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
        if !exists && growth == Growth::Erased {
            let erased = vec![ERASED; flash_size as usize];
            file.write_all(&erased).map_err(error)?;
        }
        Ok(FlashFile {
            path: path.to_path_buf(),
            file,
            flash_address,
            flash_size,
            growth,
        })
    }

    /// Before a write at `offset`: fill the gap between the file's end and
    /// it with erased bytes (tockloader's seek leaves zeros there instead).
    fn fill_gap_before(&mut self, offset: u64) -> LoaderResult<()> {
        if self.growth == Growth::Tockloader {
            return Ok(());
        }
        let length = self.file.metadata().map_err(|e| self.io_error(e))?.len();
        if length >= offset {
            return Ok(());
        }
        let gap = usize::try_from(offset - length).unwrap_or(usize::MAX);
        self.file
            .seek(SeekFrom::Start(length))
            .map_err(|e| self.io_error(e))?;
        self.file
            .write_all(&vec![ERASED; gap])
            .map_err(|e| self.io_error(e))
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
        self.fill_gap_before(offset)?;
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

    #[test]
    fn short_files_grow_with_erased_or_zero_gaps() {
        let directory = tempfile::tempdir().unwrap();
        for (growth, gap) in [(Growth::Erased, ERASED), (Growth::Tockloader, 0)] {
            let path = directory.path().join(format!("{growth:?}.bin"));
            std::fs::write(&path, [7u8; 16]).unwrap();
            let mut flash = FlashFile::open_with(&path, 0x1000, 4096, growth).unwrap();
            assert_eq!(flash.read(0x1010, 2).unwrap(), vec![ERASED; 2]);
            flash.write(0x1020, &[1]).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(bytes.len(), 0x21, "{growth:?}");
            assert_eq!(&bytes[16..0x20], &[gap; 16], "{growth:?}");
        }
        let missing = directory.path().join("missing.bin");
        FlashFile::open_with(&missing, 0, 4096, Growth::Tockloader).unwrap();
        assert_eq!(std::fs::metadata(&missing).unwrap().len(), 0);
    }
}
