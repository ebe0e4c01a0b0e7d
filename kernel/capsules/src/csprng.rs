//! A cryptographically secure random number generator (ChaCha20, from
//! the maintained `rand_chacha` crate) seeded from a true entropy source,
//! offered as an entropy source itself, so the RNG driver (and anything
//! else) can draw fast, unlimited randomness from a slow device such as
//! virtio-rng.
//!
//! Guarantees: no output before a full 256-bit seed has come from the
//! source (until then requests wait; a source that fails makes `get`
//! fail with its error, never yields made-up numbers); fresh entropy is
//! mixed in after every [`RESEED_WORDS`] words; clients are called from a
//! deferred call, never from inside `get`.

use core::cell::{Cell, RefCell};

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::entropy::{Continue, Entropy32, Entropy32Client};
use kernel::ErrorCode;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Seed words (256 bits).
const SEED_WORDS: usize = 8;
/// Words served between reseeds.
pub const RESEED_WORDS: u32 = 1 << 16;

/// The generator.
pub struct Csprng<'a> {
    source: &'a dyn Entropy32<'a>,
    generator: RefCell<Option<ChaCha20Rng>>,
    seed: Cell<[u32; SEED_WORDS]>,
    seed_words: Cell<usize>,
    seeding: Cell<bool>,
    served_since_seed: Cell<u32>,
    wanted: Cell<bool>,
    client: Cell<Option<&'a dyn Entropy32Client>>,
    deferred_call: DeferredCall,
}

impl<'a> Csprng<'a> {
    /// A generator over `source` (make it the source's client; register
    /// it as the deferred call's client).
    pub fn new(source: &'a dyn Entropy32<'a>, deferred_call: DeferredCall) -> Self {
        Csprng {
            source,
            generator: RefCell::new(None),
            seed: Cell::new([0; SEED_WORDS]),
            seed_words: Cell::new(0),
            seeding: Cell::new(false),
            served_since_seed: Cell::new(0),
            wanted: Cell::new(false),
            client: Cell::new(None),
            deferred_call,
        }
    }

    fn request_seed(&self) -> Result<(), ErrorCode> {
        if self.seeding.get() {
            return Ok(());
        }
        self.seed_words.set(0);
        self.source.get()?;
        self.seeding.set(true);
        Ok(())
    }

    fn install_seed(&self) {
        let words = self.seed.get();
        let mut seed = [0u8; 32];
        for (chunk, word) in seed.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        let mut generator = self.generator.borrow_mut();
        if let Some(old) = generator.as_mut() {
            // Keep what the old state knew: fresh entropy is added, never
            // substituted (a weak reseed cannot make things worse).
            let mut mixed = [0u8; 32];
            old.fill_bytes(&mut mixed);
            for (byte, extra) in seed.iter_mut().zip(mixed) {
                *byte ^= extra;
            }
        }
        *generator = Some(ChaCha20Rng::from_seed(seed));
        self.served_since_seed.set(0);
    }
}

/// Draws words from the generator, counting them.
struct Words<'g> {
    generator: &'g mut ChaCha20Rng,
    served: u32,
}

impl Iterator for Words<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        self.served = self.served.saturating_add(1);
        Some(self.generator.next_u32())
    }
}

impl<'a> Entropy32<'a> for Csprng<'a> {
    fn set_client(&self, client: &'a dyn Entropy32Client) {
        self.client.set(Some(client));
    }

    fn get(&self) -> Result<(), ErrorCode> {
        if self.generator.borrow().is_none() {
            self.request_seed()?;
        } else {
            self.deferred_call.set();
        }
        self.wanted.set(true);
        Ok(())
    }

    fn cancel(&self) -> Result<(), ErrorCode> {
        self.wanted.set(false);
        Ok(())
    }
}

impl Entropy32Client for Csprng<'_> {
    fn entropy_available(
        &self,
        entropy: &mut dyn Iterator<Item = u32>,
        result: Result<(), ErrorCode>,
    ) -> Continue {
        if let Err(error) = result {
            self.seeding.set(false);
            if self.generator.borrow().is_none() && self.wanted.replace(false) {
                if let Some(client) = self.client.get() {
                    client.entropy_available(&mut core::iter::empty(), Err(error));
                }
            }
            return Continue::Done;
        }
        let mut seed = self.seed.get();
        let mut count = self.seed_words.get();
        while count < SEED_WORDS {
            let Some(word) = entropy.next() else { break };
            seed[count] = word;
            count += 1;
        }
        self.seed.set(seed);
        self.seed_words.set(count);
        if count < SEED_WORDS {
            return Continue::More;
        }
        self.seeding.set(false);
        self.install_seed();
        if self.wanted.get() {
            self.deferred_call.set();
        }
        Continue::Done
    }
}

impl DeferredCallClient for Csprng<'_> {
    fn handle_deferred_call(&self) {
        if !self.wanted.get() {
            return;
        }
        let Some(client) = self.client.get() else {
            return;
        };
        let (decision, served) = {
            let mut generator = self.generator.borrow_mut();
            let Some(generator) = generator.as_mut() else {
                return;
            };
            let mut words = Words {
                generator,
                served: 0,
            };
            let decision = client.entropy_available(&mut words, Ok(()));
            (decision, words.served)
        };
        let served = self.served_since_seed.get().saturating_add(served);
        self.served_since_seed.set(served);
        if served >= RESEED_WORDS {
            // Failing to reach the source keeps the current state, which
            // is still a sound generator.
            let _ = self.request_seed();
        }
        match decision {
            Continue::More => self.deferred_call.set(),
            Continue::Done => self.wanted.set(false),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use kernel::deferred_call::DeferredCalls;
    use std::boxed::Box;
    use std::vec::Vec;

    #[derive(Default)]
    struct Source {
        requests: Cell<u32>,
        fails: Cell<bool>,
    }
    impl<'a> Entropy32<'a> for Source {
        fn set_client(&self, _client: &'a dyn Entropy32Client) {}
        fn get(&self) -> Result<(), ErrorCode> {
            if self.fails.get() {
                return Err(ErrorCode::NoDevice);
            }
            self.requests.set(self.requests.get() + 1);
            Ok(())
        }
        fn cancel(&self) -> Result<(), ErrorCode> {
            Ok(())
        }
    }

    #[derive(Default)]
    struct Taker {
        words: std::cell::RefCell<Vec<u32>>,
        wanted: Cell<usize>,
    }
    impl Entropy32Client for Taker {
        fn entropy_available(
            &self,
            entropy: &mut dyn Iterator<Item = u32>,
            _result: Result<(), ErrorCode>,
        ) -> Continue {
            let mut words = self.words.borrow_mut();
            while words.len() < self.wanted.get() {
                match entropy.next() {
                    Some(word) => words.push(word),
                    None => return Continue::More,
                }
            }
            Continue::Done
        }
    }

    fn generator(
        source: &'static Source,
    ) -> (
        &'static Csprng<'static>,
        &'static Taker,
        &'static DeferredCalls,
    ) {
        let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
        let call = calls.allocate();
        let csprng: &'static Csprng<'static> = Box::leak(Box::new(Csprng::new(source, call)));
        call.register(csprng);
        let taker: &'static Taker = Box::leak(Box::default());
        csprng.set_client(taker);
        (csprng, taker, calls)
    }

    #[test]
    fn nothing_comes_out_before_a_full_seed() {
        let source: &'static Source = Box::leak(Box::default());
        let (csprng, taker, calls) = generator(source);
        taker.wanted.set(100);
        csprng.get().unwrap();
        assert_eq!(source.requests.get(), 1);
        while calls.service_next() {}
        assert!(taker.words.borrow().is_empty());
        let half = [1u32, 2, 3, 4];
        assert_eq!(
            csprng.entropy_available(&mut half.into_iter(), Ok(())),
            Continue::More
        );
        while calls.service_next() {}
        assert!(taker.words.borrow().is_empty(), "half a seed is not enough");
        assert_eq!(
            csprng.entropy_available(&mut [5u32, 6, 7, 8, 9].into_iter(), Ok(())),
            Continue::Done
        );
        while calls.service_next() {}
        let words = taker.words.borrow();
        assert_eq!(words.len(), 100);
        let expected: Vec<u32> = {
            let mut seed = [0u8; 32];
            for (index, chunk) in seed.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&(index as u32 + 1).to_le_bytes());
            }
            let mut reference = ChaCha20Rng::from_seed(seed);
            (0..100).map(|_| reference.next_u32()).collect()
        };
        assert_eq!(*words, expected, "the ChaCha20 stream of the seed");
    }

    #[test]
    fn a_missing_source_is_an_error_not_made_up_numbers() {
        let source: &'static Source = Box::leak(Box::default());
        source.fails.set(true);
        let (csprng, taker, calls) = generator(source);
        taker.wanted.set(4);
        assert_eq!(csprng.get(), Err(ErrorCode::NoDevice));
        while calls.service_next() {}
        assert!(taker.words.borrow().is_empty());
    }

    #[test]
    fn it_reseeds_after_its_quota() {
        let source: &'static Source = Box::leak(Box::default());
        let (csprng, taker, calls) = generator(source);
        taker.wanted.set(RESEED_WORDS as usize + 1);
        csprng.get().unwrap();
        csprng.entropy_available(&mut (0..8u32), Ok(()));
        while calls.service_next() {}
        assert_eq!(source.requests.get(), 2, "asked the source again");
        let before = taker.words.borrow().len();
        csprng.entropy_available(&mut (100..108u32), Ok(()));
        taker.wanted.set(before + 4);
        csprng.get().unwrap();
        while calls.service_next() {}
        assert_eq!(taker.words.borrow().len(), before + 4);
    }
}
