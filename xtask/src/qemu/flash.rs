//! Flash files: the persistent CFI pflash of `qemu-rv32-virt` is a file of
//! exactly 32 MiB; erased flash reads 0xFF.
//!
//! ```text
//! 0x2000_0000  pflash unit 0 (32 MiB, reset vector, execute in place)
//! 0x2200_0000  pflash unit 1 (32 MiB)
//! ```

use anyhow::{bail, Context as _, Result};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The size QEMU's virt machine requires of each pflash file.
pub const PFLASH_SIZE: u64 = 32 * 1024 * 1024;
/// Where pflash unit 0 is mapped on `qemu-rv32-virt`.
pub const RV32_VIRT_PFLASH0_BASE: u64 = 0x2000_0000;
/// Where pflash unit 1 is mapped on `qemu-rv32-virt`.
pub const RV32_VIRT_PFLASH1_BASE: u64 = 0x2200_0000;

/// Creates (or overwrites) `path` as an erased 32 MiB flash: all 0xFF.
pub fn create_erased_flash(path: &Path) -> Result<()> {
    let erased = vec![0xFF; usize::try_from(PFLASH_SIZE)?];
    std::fs::write(path, erased).with_context(|| format!("creating flash file {}", path.display()))
}

/// Creates an erased flash at `path` unless a flash file is already there
/// (which is kept: it is the device's flash). Returns whether it created one.
pub fn create_flash_if_missing(path: &Path) -> Result<bool> {
    if path.exists() {
        check_size(path)?;
        return Ok(false);
    }
    create_erased_flash(path)?;
    Ok(true)
}

fn check_size(path: &Path) -> Result<()> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading flash file {}", path.display()))?
        .len();
    if size != PFLASH_SIZE {
        bail!(
            "flash file {} is {size} bytes; QEMU needs exactly {PFLASH_SIZE} (delete it to start with an erased flash)",
            path.display()
        );
    }
    Ok(())
}

fn check_range(path: &Path, offset: u64, length: usize) -> Result<()> {
    let end = offset.checked_add(u64::try_from(length)?);
    if end.is_none_or(|end| end > PFLASH_SIZE) {
        bail!(
            "{length} bytes at offset {offset:#x} do not fit in the {PFLASH_SIZE}-byte flash file {}",
            path.display()
        );
    }
    Ok(())
}

/// Writes `bytes` at `offset` in the flash file, leaving the rest as it is.
pub fn write_flash(path: &Path, offset: u64, bytes: &[u8]) -> Result<()> {
    check_size(path)?;
    check_range(path, offset, bytes.len())?;
    let mut file = OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("opening flash file {}", path.display()))?;
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
        .with_context(|| format!("writing flash file {} at {offset:#x}", path.display()))
}

/// Reads `length` bytes at `offset` from the flash file.
pub fn read_flash(path: &Path, offset: u64, length: usize) -> Result<Vec<u8>> {
    check_range(path, offset, length)?;
    let mut file =
        File::open(path).with_context(|| format!("opening flash file {}", path.display()))?;
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = vec![0; length];
    file.read_exact(&mut bytes)
        .with_context(|| format!("reading flash file {} at {offset:#x}", path.display()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_erased_flash_reads_ff_and_keeps_what_is_written_at_an_offset() {
        let path =
            std::env::temp_dir().join(format!("xtask-flash-test-{}.pflash", std::process::id()));
        assert!(create_flash_if_missing(&path).unwrap());
        write_flash(&path, 0x40000, b"TBF!").unwrap();
        assert!(
            !create_flash_if_missing(&path).unwrap(),
            "an existing flash is kept"
        );
        assert_eq!(
            read_flash(&path, 0x3fffe, 8).unwrap(),
            b"\xff\xffTBF!\xff\xff"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), PFLASH_SIZE);
        assert!(
            write_flash(&path, PFLASH_SIZE - 2, b"abc").is_err(),
            "past the end"
        );
        assert!(
            write_flash(&path, u64::MAX, b"a").is_err(),
            "offset overflow"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_flash_file_of_the_wrong_size_is_refused() {
        let path =
            std::env::temp_dir().join(format!("xtask-flash-small-{}.pflash", std::process::id()));
        std::fs::write(&path, [0xFF; 16]).unwrap();
        let error = create_flash_if_missing(&path).unwrap_err().to_string();
        assert!(error.contains("exactly"), "{error}");
        std::fs::remove_file(&path).unwrap();
    }
}
