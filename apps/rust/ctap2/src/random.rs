//! A generator for the crypto APIs that take a `CryptoRngCore` (key
//! agreement keys, protocol two's IVs): SHA-256 in counter mode over a
//! 32-byte seed drawn from the device's generator. A fresh seed per
//! request keeps it no weaker than the device's own randomness.

use crate::authenticator::Platform;
use ctap_types::Error;
use p256::elliptic_curve::rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

/// The seeded generator.
pub struct SeededRng {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededRng {
    /// A generator seeded from `platform`.
    pub fn from_platform(platform: &mut impl Platform) -> Result<Self, Error> {
        let mut seed = [0u8; 32];
        platform.fill_random(&mut seed)?;
        Ok(Self::from_seed(seed))
    }

    /// A generator over `seed`.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SeededRng {
            seed,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl RngCore for SeededRng {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0u8; 4];
        self.fill_bytes(&mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn fill_bytes(&mut self, destination: &mut [u8]) {
        for byte in destination {
            if self.used == self.block.len() {
                self.block = Sha256::new()
                    .chain_update(self.seed)
                    .chain_update(self.counter.to_le_bytes())
                    .finalize()
                    .into();
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
    }

    fn try_fill_bytes(
        &mut self,
        destination: &mut [u8],
    ) -> Result<(), p256::elliptic_curve::rand_core::Error> {
        self.fill_bytes(destination);
        Ok(())
    }
}

impl CryptoRng for SeededRng {}
