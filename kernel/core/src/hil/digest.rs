//! Digests and MACs (SHA-1, SHA-2, HMAC over either), split-phase.
//!
//! A user picks a mode with [`Digest::start`] (which also forgets any
//! digest in progress), feeds data with [`Digest::add_data`] one buffer at
//! a time, and ends with [`Digest::finish`], which writes the digest into
//! the buffer it is given. Each call that takes a buffer hands it back in
//! the matching [`DigestClient`] callback, later, never from inside the
//! call. SHA-1 is here only because HMAC-SHA1 (RFC 2104) is what HOTP
//! (RFC 4226) specifies; do not use plain SHA-1 for anything new.

use kernel_abi::ErrorCode;

/// Longest digest any mode produces (SHA-512), in bytes.
pub const MAX_DIGEST_BYTES: usize = 64;

/// The hash function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// SHA-1 (FIPS 180-4), 20-byte digest.
    Sha1,
    /// SHA-256, 32 bytes.
    Sha256,
    /// SHA-384, 48 bytes.
    Sha384,
    /// SHA-512, 64 bytes.
    Sha512,
}

impl HashAlgorithm {
    /// The digest length in bytes.
    pub const fn digest_bytes(self) -> usize {
        match self {
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }
}

/// What to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestMode {
    /// A plain hash.
    Hash(HashAlgorithm),
    /// HMAC (RFC 2104) under the key given to [`Digest::start`].
    Hmac(HashAlgorithm),
}

impl DigestMode {
    /// The algorithm underneath.
    pub const fn algorithm(self) -> HashAlgorithm {
        match self {
            DigestMode::Hash(algorithm) | DigestMode::Hmac(algorithm) => algorithm,
        }
    }
}

/// Told when a digest operation ends.
pub trait DigestClient {
    /// An `add_data` ended: `data` comes back.
    fn add_data_done(&self, result: Result<(), ErrorCode>, data: &'static mut [u8]);
    /// A `finish` ended: `digest` comes back holding the digest in its
    /// first `mode.algorithm().digest_bytes()` bytes.
    fn finish_done(&self, result: Result<(), ErrorCode>, digest: &'static mut [u8]);
}

/// A digest engine (hardware or software), one computation at a time.
pub trait Digest<'a> {
    /// Who is told.
    fn set_client(&self, client: &'a dyn DigestClient);
    /// Begin a new computation in `mode`; `key` is used by HMAC modes and
    /// ignored otherwise. Synchronous (no callback). BUSY while an
    /// `add_data` or `finish` is outstanding.
    fn start(&self, mode: DigestMode, key: &[u8]) -> Result<(), ErrorCode>;
    /// Add the first `length` bytes of `data`. OFF if no computation was
    /// started, SIZE if `length` exceeds the buffer, BUSY if an operation
    /// is outstanding; on error the buffer comes back at once.
    fn add_data(
        &self,
        data: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])>;
    /// End the computation and write the digest into `digest` (at least
    /// the digest length long, else SIZE). The engine is idle afterwards.
    fn finish(&self, digest: &'static mut [u8]) -> Result<(), (ErrorCode, &'static mut [u8])>;
}
