//! A digest engine in software (RustCrypto's `sha1`, `sha2`, `hmac`)
//! behind the split-phase digest HIL, for chips without a hash block.
//!
//! The work itself is synchronous; only the callback is deferred (a
//! deferred call), so a client is never called from inside its own call.

use core::cell::{Cell, RefCell};

use hmac::{Hmac, Mac};
use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::digest::{Digest, DigestClient, DigestMode, HashAlgorithm};
use kernel::ErrorCode;
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

/// The running computation.
enum Computation {
    Idle,
    Sha1(Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
    HmacSha1(Hmac<Sha1>),
    HmacSha256(Hmac<Sha256>),
    HmacSha384(Hmac<Sha384>),
    HmacSha512(Hmac<Sha512>),
}

impl Computation {
    fn new(mode: DigestMode, key: &[u8]) -> Result<Self, ErrorCode> {
        // `new_from_slice` accepts keys of any length (long keys are hashed
        // as RFC 2104 says), so it cannot fail here; map it anyway.
        let invalid = |_| ErrorCode::Inval;
        Ok(match mode {
            DigestMode::Hash(HashAlgorithm::Sha1) => Computation::Sha1(Sha1::new()),
            DigestMode::Hash(HashAlgorithm::Sha256) => Computation::Sha256(Sha256::new()),
            DigestMode::Hash(HashAlgorithm::Sha384) => Computation::Sha384(Sha384::new()),
            DigestMode::Hash(HashAlgorithm::Sha512) => Computation::Sha512(Sha512::new()),
            DigestMode::Hmac(HashAlgorithm::Sha1) => {
                Computation::HmacSha1(Hmac::new_from_slice(key).map_err(invalid)?)
            }
            DigestMode::Hmac(HashAlgorithm::Sha256) => {
                Computation::HmacSha256(Hmac::new_from_slice(key).map_err(invalid)?)
            }
            DigestMode::Hmac(HashAlgorithm::Sha384) => {
                Computation::HmacSha384(Hmac::new_from_slice(key).map_err(invalid)?)
            }
            DigestMode::Hmac(HashAlgorithm::Sha512) => {
                Computation::HmacSha512(Hmac::new_from_slice(key).map_err(invalid)?)
            }
        })
    }

    fn update(&mut self, data: &[u8]) -> Result<(), ErrorCode> {
        match self {
            Computation::Idle => return Err(ErrorCode::Off),
            Computation::Sha1(state) => state.update(data),
            Computation::Sha256(state) => state.update(data),
            Computation::Sha384(state) => state.update(data),
            Computation::Sha512(state) => state.update(data),
            Computation::HmacSha1(state) => state.update(data),
            Computation::HmacSha256(state) => state.update(data),
            Computation::HmacSha384(state) => state.update(data),
            Computation::HmacSha512(state) => state.update(data),
        }
        Ok(())
    }

    /// Writes the digest into `output` (long enough, checked by the caller)
    /// and returns its length.
    fn finish(self, output: &mut [u8]) -> Result<usize, ErrorCode> {
        fn copy(output: &mut [u8], digest: &[u8]) -> usize {
            output[..digest.len()].copy_from_slice(digest);
            digest.len()
        }
        Ok(match self {
            Computation::Idle => return Err(ErrorCode::Off),
            Computation::Sha1(state) => copy(output, &state.finalize()),
            Computation::Sha256(state) => copy(output, &state.finalize()),
            Computation::Sha384(state) => copy(output, &state.finalize()),
            Computation::Sha512(state) => copy(output, &state.finalize()),
            Computation::HmacSha1(state) => copy(output, &state.finalize().into_bytes()),
            Computation::HmacSha256(state) => copy(output, &state.finalize().into_bytes()),
            Computation::HmacSha384(state) => copy(output, &state.finalize().into_bytes()),
            Computation::HmacSha512(state) => copy(output, &state.finalize().into_bytes()),
        })
    }
}

/// The callback owed to the client.
enum Owed {
    AddData(Result<(), ErrorCode>, &'static mut [u8]),
    Finish(Result<(), ErrorCode>, &'static mut [u8]),
}

/// The software engine.
pub struct SoftwareDigest {
    computation: RefCell<Computation>,
    digest_bytes: Cell<usize>,
    owed: Cell<Option<Owed>>,
    client: Cell<Option<&'static dyn DigestClient>>,
    deferred_call: DeferredCall,
}

impl SoftwareDigest {
    /// An idle engine calling back through `deferred_call` (register the
    /// engine as its client).
    pub fn new(deferred_call: DeferredCall) -> Self {
        SoftwareDigest {
            computation: RefCell::new(Computation::Idle),
            digest_bytes: Cell::new(0),
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

    fn owe(&self, owed: Owed) {
        self.owed.set(Some(owed));
        self.deferred_call.set();
    }
}

impl Digest<'static> for SoftwareDigest {
    fn set_client(&self, client: &'static dyn DigestClient) {
        self.client.set(Some(client));
    }

    fn start(&self, mode: DigestMode, key: &[u8]) -> Result<(), ErrorCode> {
        if self.busy() {
            return Err(ErrorCode::Busy);
        }
        *self.computation.borrow_mut() = Computation::new(mode, key)?;
        self.digest_bytes.set(mode.algorithm().digest_bytes());
        Ok(())
    }

    fn add_data(
        &self,
        data: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.busy() {
            return Err((ErrorCode::Busy, data));
        }
        if length > data.len() {
            return Err((ErrorCode::Size, data));
        }
        if let Err(error) = self.computation.borrow_mut().update(&data[..length]) {
            return Err((error, data));
        }
        self.owe(Owed::AddData(Ok(()), data));
        Ok(())
    }

    fn finish(&self, digest: &'static mut [u8]) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.busy() {
            return Err((ErrorCode::Busy, digest));
        }
        if matches!(*self.computation.borrow(), Computation::Idle) {
            return Err((ErrorCode::Off, digest));
        }
        if digest.len() < self.digest_bytes.get() {
            return Err((ErrorCode::Size, digest));
        }
        let computation = self.computation.replace(Computation::Idle);
        let result = computation.finish(digest).map(|_| ());
        self.owe(Owed::Finish(result, digest));
        Ok(())
    }
}

impl DeferredCallClient for SoftwareDigest {
    fn handle_deferred_call(&self) {
        let (Some(owed), Some(client)) = (self.owed.take(), self.client.get()) else {
            return;
        };
        match owed {
            Owed::AddData(result, data) => client.add_data_done(result, data),
            Owed::Finish(result, digest) => client.finish_done(result, digest),
        }
    }
}
