//! Fuzz target `store`: no storage contents may panic `Store::open` or any
//! later operation, and every operation must agree with a model of the
//! store's contents (a `BTreeMap`), across reopens and across corruptions
//! of the storage (after which the model restarts from what the store
//! holds: a corruption may only take the store back to an earlier state).
//!
//! Input: a first byte choosing the start (even: an erased region whose
//! size the next byte picks; odd: a region whose size the next two bytes
//! pick, filled from the input that follows, erased past its end), then
//! operations, one code byte each followed by their arguments.
//!
//! Run: `cargo +nightly fuzz run store` in `apps/rust/credential-store/fuzz`.

#![no_main]

use credential_store::ram::RamStorage;
use credential_store::{Store, StoreError, Update, MAX_KEY, MAX_UPDATES, MAX_VALUE_BYTES};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

/// Small, so that inputs reach the index capacity too.
const CAPACITY: usize = 16;

type FuzzStore = Store<RamStorage, CAPACITY>;
type Model = BTreeMap<u16, Vec<u8>>;

/// Reads the input a byte at a time; zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        *first
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// Mostly a few keys (so values are overwritten), sometimes the
    /// largest key or one beyond it.
    fn key(&mut self) -> u16 {
        match self.byte() {
            0xFF => MAX_KEY + 1,
            0xFE => MAX_KEY,
            byte => u16::from(byte % 24),
        }
    }

    /// A value up to one byte past [`MAX_VALUE_BYTES`], in a pattern.
    fn value(&mut self) -> Vec<u8> {
        let length = usize::from(self.u16()) % (MAX_VALUE_BYTES + 2);
        let seed = self.byte();
        (0..length).map(|at| seed.wrapping_add(at as u8)).collect()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let storage = if input.byte() % 2 == 0 {
        RamStorage::new(512 + usize::from(input.byte() % 32) * 256)
    } else {
        let size = 160 + usize::from(input.u16()) % 8192;
        let (given, rest) = input.0.split_at(size.min(input.0.len()));
        input.0 = rest;
        let mut bytes = given.to_vec();
        bytes.resize(size, 0xFF);
        RamStorage::from_bytes(bytes)
    };
    let Ok(mut store) = FuzzStore::open(storage) else {
        return; // Too small, or more keys than CAPACITY: refused, not a panic.
    };
    let mut model = contents(&mut store);
    while !input.0.is_empty() {
        store = match input.byte() % 7 {
            0 => insert(store, &mut model, &mut input),
            1 => remove(store, &mut model, &mut input),
            2 => transaction(store, &mut model, &mut input),
            3 => {
                assert_eq!(store.clear(), Ok(()));
                model.clear();
                store
            }
            4 => reopen(store),
            5 => {
                let (store, contents) = corrupt(store, &mut input);
                model = contents;
                store
            }
            _ => {
                let key = input.key();
                let mut buffer = vec![0; usize::from(input.byte()) * 4];
                let expected = match model.get(&key) {
                    _ if key > MAX_KEY => Err(StoreError::InvalidKey),
                    None => Ok(None),
                    Some(value) if value.len() > buffer.len() => Err(StoreError::BufferTooSmall {
                        needed: value.len(),
                    }),
                    Some(value) => Ok(Some(value.len())),
                };
                assert_eq!(store.get(key, &mut buffer), expected);
                store
            }
        };
        assert_eq!(contents(&mut store), model);
    }
    let mut store = reopen(store);
    assert_eq!(contents(&mut store), model);
});

/// Every key and value the store holds.
fn contents(store: &mut FuzzStore) -> Model {
    let keys: Vec<u16> = store.keys().collect();
    assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "keys ascend");
    assert_eq!(keys.len(), store.len());
    let mut buffer = vec![0; MAX_VALUE_BYTES];
    keys.into_iter()
        .map(|key| {
            let length = store.get(key, &mut buffer).unwrap().unwrap();
            (key, buffer[..length].to_vec())
        })
        .collect()
}

fn reopen(store: FuzzStore) -> FuzzStore {
    FuzzStore::open(store.into_storage()).expect("a store that was open opens again")
}

/// An insert: a new key of at most `free_bytes()` bytes must fit; other
/// failures must be for the reason the model gives.
fn insert(mut store: FuzzStore, model: &mut Model, input: &mut Input) -> FuzzStore {
    let (key, value) = (input.key(), input.value());
    let free = store.free_bytes();
    let result = store.insert(key, &value);
    if key > MAX_KEY {
        assert_eq!(result, Err(StoreError::InvalidKey));
    } else if value.len() > MAX_VALUE_BYTES {
        assert_eq!(result, Err(StoreError::ValueTooLarge));
    } else if result.is_ok() {
        model.insert(key, value);
    } else {
        assert_eq!(result, Err(StoreError::NoSpace));
        let new_key = !model.contains_key(&key);
        assert!(
            !(new_key && (1..=free).contains(&value.len())),
            "{} bytes of {free} free",
            value.len()
        );
    }
    store
}

fn remove(mut store: FuzzStore, model: &mut Model, input: &mut Input) -> FuzzStore {
    let key = input.key();
    let result = store.remove(key);
    if key > MAX_KEY {
        assert_eq!(result, Err(StoreError::InvalidKey));
    } else if model.contains_key(&key) {
        // Removing never grows the data; only a full log refuses it.
        if result != Err(StoreError::NoSpace) {
            assert_eq!(result, Ok(()));
            model.remove(&key);
        }
    } else {
        assert_eq!(result, Ok(()), "an absent key's removal writes nothing");
    }
    store
}

fn transaction(mut store: FuzzStore, model: &mut Model, input: &mut Input) -> FuzzStore {
    let count = usize::from(input.byte()) % (MAX_UPDATES + 2);
    let mut updates: Vec<(u16, Option<Vec<u8>>)> = Vec::new();
    for _ in 0..count {
        let insert = input.byte() % 3 != 0;
        let key = input.key();
        updates.push((key, insert.then(|| input.value())));
    }
    let borrowed: Vec<Update<'_>> = updates
        .iter()
        .map(|(key, value)| match value {
            Some(value) => Update::Insert { key: *key, value },
            None => Update::Remove { key: *key },
        })
        .collect();
    let result = store.transaction(&borrowed);
    let invalid_key = updates.iter().any(|(key, _)| *key > MAX_KEY);
    let too_large = updates.iter().any(|(_, value)| {
        value
            .as_ref()
            .is_some_and(|value| value.len() > MAX_VALUE_BYTES)
    });
    match result {
        _ if count > MAX_UPDATES => assert_eq!(result, Err(StoreError::TooManyUpdates)),
        _ if invalid_key || too_large => assert!(matches!(
            result,
            Err(StoreError::InvalidKey | StoreError::ValueTooLarge)
        )),
        Ok(()) => {
            for (key, value) in updates {
                match value {
                    Some(value) => model.insert(key, value),
                    None => model.remove(&key),
                };
            }
        }
        Err(error) => assert_eq!(error, StoreError::NoSpace),
    }
    store
}

/// Flips bits of the storage at offsets the input picks, then reopens.
/// Returns the store and what it now holds.
fn corrupt(store: FuzzStore, input: &mut Input) -> (FuzzStore, Model) {
    let mut storage = store.into_storage();
    let size = storage.bytes().len();
    for _ in 0..input.byte() % 8 {
        let offset = usize::from(input.u16()) % size;
        storage.bytes_mut()[offset] ^= input.byte() | 1;
    }
    let mut store = FuzzStore::open(storage).expect("a corrupted store still opens");
    let contents = contents(&mut store);
    (store, contents)
}
