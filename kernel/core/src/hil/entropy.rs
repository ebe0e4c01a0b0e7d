//! True random numbers, 32 bits at a time.

use kernel_abi::ErrorCode;

/// Whether the client wants more entropy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Continue {
    /// Keep generating and call again.
    More,
    /// Stop.
    Done,
}

/// Told when entropy is available.
pub trait Entropy32Client {
    /// Take what you need from `entropy` (it may run dry); say whether
    /// to continue.
    fn entropy_available(
        &self,
        entropy: &mut dyn Iterator<Item = u32>,
        result: Result<(), ErrorCode>,
    ) -> Continue;
}

/// A 32-bit entropy source.
pub trait Entropy32<'a> {
    /// Who is told.
    fn set_client(&self, client: &'a dyn Entropy32Client);
    /// Start generating; the client is called when words are ready.
    fn get(&self) -> Result<(), ErrorCode>;
    /// Stop generating.
    fn cancel(&self) -> Result<(), ErrorCode>;
}
