//! AES-128 in a block-cipher mode, split-phase, one stream at a time: a
//! user sets the mode, key and IV up once, then transforms buffers in
//! place; the chaining state (CBC's last block, CTR's counter) carries
//! from one buffer to the next until `finish`.

use kernel_abi::ErrorCode;

/// AES block and key length in bytes.
pub const AES128_BLOCK_BYTES: usize = 16;

/// The mode of operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AesMode {
    /// Electronic code book (whole blocks; no IV).
    Ecb,
    /// Cipher block chaining (whole blocks).
    Cbc,
    /// Counter mode, 128-bit big-endian counter (any length).
    Ctr,
}

/// Told when a transform ends.
pub trait Aes128Client {
    /// `buffer` comes back transformed in place (its first `length` bytes).
    fn crypt_done(&self, buffer: &'static mut [u8], length: usize, result: Result<(), ErrorCode>);
}

/// An AES-128 engine.
pub trait Aes128<'a> {
    /// Who is told.
    fn set_client(&self, client: &'a dyn Aes128Client);
    /// Start a stream (synchronous, no callback): BUSY while a transform
    /// is outstanding.
    fn setup(
        &self,
        mode: AesMode,
        encrypting: bool,
        key: &[u8; AES128_BLOCK_BYTES],
        iv: &[u8; AES128_BLOCK_BYTES],
    ) -> Result<(), ErrorCode>;
    /// Transform the first `length` bytes of `buffer` in place. OFF
    /// without a stream, SIZE if ECB or CBC get a partial block.
    fn crypt(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])>;
    /// End the stream (its key and state are wiped).
    fn finish(&self);
}
