//! CRC-32 as upstream computes it over flash (CRC_INTERNAL_FLASH).
//!
//! tockloader checks the bootloader's answer with
//! `crcmod.mkCrcFun(0x104C11DB7, initCrc=0, xorOut=0xFFFFFFFF)`: reflected
//! polynomial 0x04C11DB7, register preset to all ones, final inversion. That
//! is the common CRC-32 (ISO-HDLC, as in zlib): "123456789" gives 0xCBF43926.

use crc::{Crc, Digest, CRC_32_ISO_HDLC};

const ALGORITHM: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// The CRC of `bytes` in one call.
pub fn crc32(bytes: &[u8]) -> u32 {
    ALGORITHM.checksum(bytes)
}

/// A running CRC, fed in chunks (a device reads flash a page at a time).
pub struct Crc32 {
    digest: Digest<'static, u32>,
}

impl Default for Crc32 {
    fn default() -> Self {
        Crc32::new()
    }
}

impl Crc32 {
    /// An empty CRC.
    pub fn new() -> Crc32 {
        Crc32 {
            digest: ALGORITHM.digest(),
        }
    }

    /// Add bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.digest.update(bytes);
    }

    /// The CRC of everything added.
    pub fn finish(self) -> u32 {
        self.digest.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_check_value_and_chunking_does_not_matter() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let mut running = Crc32::new();
        running.update(b"1234");
        running.update(b"56789");
        assert_eq!(running.finish(), 0xCBF4_3926);
    }
}
