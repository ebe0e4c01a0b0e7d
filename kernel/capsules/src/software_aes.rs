//! AES-128 in software (RustCrypto's `aes` with the `ecb`, `cbc` and
//! `ctr` mode crates) behind the split-phase AES HIL. The transform runs
//! at once; only the callback is deferred (a deferred call).

use core::cell::{Cell, RefCell};

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit, StreamCipher};
use aes::Aes128 as Aes128Block;
use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::aes::{Aes128, Aes128Client, AesMode, AES128_BLOCK_BYTES};
use kernel::ErrorCode;

/// The stream in progress.
enum Stream {
    Idle,
    EcbEncrypt(ecb::Encryptor<Aes128Block>),
    EcbDecrypt(ecb::Decryptor<Aes128Block>),
    CbcEncrypt(cbc::Encryptor<Aes128Block>),
    CbcDecrypt(cbc::Decryptor<Aes128Block>),
    Ctr(ctr::Ctr128BE<Aes128Block>),
}

impl Stream {
    fn transform(&mut self, data: &mut [u8]) -> Result<(), ErrorCode> {
        if let Stream::Ctr(stream) = self {
            stream.apply_keystream(data);
            return Ok(());
        }
        if matches!(self, Stream::Idle) {
            return Err(ErrorCode::Off);
        }
        if !data.len().is_multiple_of(AES128_BLOCK_BYTES) {
            return Err(ErrorCode::Size);
        }
        for chunk in data.chunks_exact_mut(AES128_BLOCK_BYTES) {
            let mut block = aes::Block::default();
            block.copy_from_slice(chunk);
            match self {
                Stream::EcbEncrypt(mode) => mode.encrypt_block_mut(&mut block),
                Stream::EcbDecrypt(mode) => mode.decrypt_block_mut(&mut block),
                Stream::CbcEncrypt(mode) => mode.encrypt_block_mut(&mut block),
                Stream::CbcDecrypt(mode) => mode.decrypt_block_mut(&mut block),
                Stream::Ctr(_) | Stream::Idle => {}
            }
            chunk.copy_from_slice(&block);
        }
        Ok(())
    }
}

/// A transformed buffer, its length and the outcome, owed to the client.
type Transformed = (&'static mut [u8], usize, Result<(), ErrorCode>);

/// The engine.
pub struct SoftwareAes {
    stream: RefCell<Stream>,
    owed: Cell<Option<Transformed>>,
    client: Cell<Option<&'static dyn Aes128Client>>,
    deferred_call: DeferredCall,
}

impl SoftwareAes {
    /// An idle engine calling back through `deferred_call` (register the
    /// engine as its client).
    pub fn new(deferred_call: DeferredCall) -> Self {
        SoftwareAes {
            stream: RefCell::new(Stream::Idle),
            owed: Cell::new(None),
            client: Cell::new(None),
            deferred_call,
        }
    }

    fn busy(&self) -> bool {
        let owed = self.owed.take();
        let busy = owed.is_some();
        self.owed.set(owed);
        busy
    }
}

impl Aes128<'static> for SoftwareAes {
    fn set_client(&self, client: &'static dyn Aes128Client) {
        self.client.set(Some(client));
    }

    fn setup(
        &self,
        mode: AesMode,
        encrypting: bool,
        key: &[u8; AES128_BLOCK_BYTES],
        iv: &[u8; AES128_BLOCK_BYTES],
    ) -> Result<(), ErrorCode> {
        if self.busy() {
            return Err(ErrorCode::Busy);
        }
        let (key, iv) = (key.into(), iv.into());
        *self.stream.borrow_mut() = match (mode, encrypting) {
            (AesMode::Ecb, true) => Stream::EcbEncrypt(ecb::Encryptor::new(key)),
            (AesMode::Ecb, false) => Stream::EcbDecrypt(ecb::Decryptor::new(key)),
            (AesMode::Cbc, true) => Stream::CbcEncrypt(cbc::Encryptor::new(key, iv)),
            (AesMode::Cbc, false) => Stream::CbcDecrypt(cbc::Decryptor::new(key, iv)),
            (AesMode::Ctr, _) => Stream::Ctr(ctr::Ctr128BE::new(key, iv)),
        };
        Ok(())
    }

    fn crypt(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.busy() {
            return Err((ErrorCode::Busy, buffer));
        }
        if length > buffer.len() {
            return Err((ErrorCode::Size, buffer));
        }
        if let Err(error) = self.stream.borrow_mut().transform(&mut buffer[..length]) {
            return Err((error, buffer));
        }
        self.owed.set(Some((buffer, length, Ok(()))));
        self.deferred_call.set();
        Ok(())
    }

    fn finish(&self) {
        *self.stream.borrow_mut() = Stream::Idle;
    }
}

impl DeferredCallClient for SoftwareAes {
    fn handle_deferred_call(&self) {
        let (Some((buffer, length, result)), Some(client)) = (self.owed.take(), self.client.get())
        else {
            return;
        };
        client.crypt_done(buffer, length, result);
    }
}
