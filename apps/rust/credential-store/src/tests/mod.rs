//! Tests of the store as a whole: each operation, power cuts after every
//! write (the way OpenSK tests its store), and seeded random sequences,
//! all checked against a model.

mod operations;
mod power_cut;
mod random;

use crate::ram::RamStorage;
use crate::{
    Storage, StorageError, Store, StoreError, Update, BANK_HEADER_BYTES, INSERT_RECORD_OVERHEAD,
};
use crate::{MAX_KEY, MAX_RECORD_BYTES, MAX_UPDATES, MAX_VALUE_BYTES};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::vec;
use std::vec::Vec;

/// Index capacity of the stores under test.
const CAPACITY: usize = 40;

type TestStore<S> = Store<S, CAPACITY>;

/// One operation of a test sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operation {
    Insert(u16, Vec<u8>),
    Remove(u16),
    /// `None` removes the key.
    Transaction(Vec<(u16, Option<Vec<u8>>)>),
    Clear,
    /// Drops the store and opens the storage again.
    Reopen,
}

/// What the store must hold: every live key and value, and the region's
/// layout to predict `NoSpace`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Model {
    values: BTreeMap<u16, Vec<u8>>,
    bank_bytes: usize,
}

impl Model {
    fn new(region_bytes: usize) -> Self {
        Model {
            values: BTreeMap::new(),
            bank_bytes: region_bytes / 2,
        }
    }

    fn usable_bytes(&self) -> usize {
        let log_bytes = self.bank_bytes - BANK_HEADER_BYTES;
        log_bytes - MAX_RECORD_BYTES.min(log_bytes / 2)
    }

    fn compacted_bytes(values: &BTreeMap<u16, Vec<u8>>) -> usize {
        values
            .values()
            .map(|value| value.len() + INSERT_RECORD_OVERHEAD)
            .sum()
    }

    fn free_bytes(&self) -> usize {
        if self.values.len() >= CAPACITY {
            return 0;
        }
        self.usable_bytes()
            .saturating_sub(Self::compacted_bytes(&self.values) + INSERT_RECORD_OVERHEAD)
    }

    /// Applies `operation` as the store must, returning its result.
    fn apply(&mut self, operation: &Operation) -> Result<(), StoreError> {
        match operation {
            Operation::Insert(key, value) => self.transaction(&[(*key, Some(value.clone()))]),
            Operation::Remove(key) if *key > MAX_KEY => Err(StoreError::InvalidKey),
            Operation::Remove(key) if !self.values.contains_key(key) => Ok(()),
            Operation::Remove(key) => self.transaction(&[(*key, None)]),
            Operation::Transaction(updates) => self.transaction(updates),
            Operation::Clear => {
                self.values.clear();
                Ok(())
            }
            Operation::Reopen => Ok(()),
        }
    }

    fn transaction(&mut self, updates: &[(u16, Option<Vec<u8>>)]) -> Result<(), StoreError> {
        if updates.len() > MAX_UPDATES {
            return Err(StoreError::TooManyUpdates);
        }
        for (key, value) in updates {
            if *key > MAX_KEY {
                return Err(StoreError::InvalidKey);
            }
            if value
                .as_ref()
                .is_some_and(|value| value.len() > MAX_VALUE_BYTES)
            {
                return Err(StoreError::ValueTooLarge);
            }
        }
        if updates.is_empty() {
            return Ok(());
        }
        let mut after = self.values.clone();
        for (key, value) in updates {
            match value {
                Some(value) => after.insert(*key, value.clone()),
                None => after.remove(key),
            };
        }
        let before_bytes = Self::compacted_bytes(&self.values);
        let after_bytes = Self::compacted_bytes(&after);
        let record_bytes = 8 + updates
            .iter()
            .map(|(_, value)| value.as_ref().map_or(2, |value| 4 + value.len()))
            .sum::<usize>();
        let grows = after_bytes > before_bytes;
        if after.len() > CAPACITY
            || (grows && after_bytes > self.usable_bytes())
            || BANK_HEADER_BYTES + before_bytes + record_bytes > self.bank_bytes
        {
            return Err(StoreError::NoSpace);
        }
        self.values = after;
        Ok(())
    }
}

/// Runs `operation` on the store (reopening it for [`Operation::Reopen`]).
fn run<S: Storage>(
    store: TestStore<S>,
    operation: &Operation,
) -> (Option<TestStore<S>>, Result<(), StoreError>) {
    let mut store = store;
    let result = match operation {
        Operation::Insert(key, value) => store.insert(*key, value),
        Operation::Remove(key) => store.remove(*key),
        Operation::Transaction(updates) => {
            let updates: Vec<Update<'_>> = updates
                .iter()
                .map(|(key, value)| match value {
                    Some(value) => Update::Insert { key: *key, value },
                    None => Update::Remove { key: *key },
                })
                .collect();
            store.transaction(&updates)
        }
        Operation::Clear => store.clear(),
        Operation::Reopen => {
            return match TestStore::open(store.into_storage()) {
                Ok(store) => (Some(store), Ok(())),
                Err(error) => (None, Err(error)),
            }
        }
    };
    (Some(store), result)
}

/// Panics unless the store holds exactly the model's keys and values.
fn assert_holds<S: Storage>(
    store: &mut TestStore<S>,
    model: &BTreeMap<u16, Vec<u8>>,
    context: &str,
) {
    let keys: Vec<u16> = store.keys().collect();
    let expected: Vec<u16> = model.keys().copied().collect();
    assert_eq!(keys, expected, "keys differ: {context}");
    assert_eq!(store.len(), model.len(), "{context}");
    assert_eq!(store.is_empty(), model.is_empty(), "{context}");
    let mut buffer = vec![0; MAX_VALUE_BYTES];
    for (key, value) in model {
        assert!(store.contains(*key), "{context}");
        let length = store
            .get(*key, &mut buffer)
            .unwrap_or_else(|error| panic!("get {key}: {error:?}: {context}"));
        assert_eq!(length, Some(value.len()), "key {key}: {context}");
        assert_eq!(&buffer[..value.len()], &value[..], "key {key}: {context}");
    }
}

/// Whether the store holds exactly the model's keys and values.
fn holds<S: Storage>(store: &mut TestStore<S>, model: &BTreeMap<u16, Vec<u8>>) -> bool {
    if !store.keys().eq(model.keys().copied()) {
        return false;
    }
    let mut buffer = vec![0; MAX_VALUE_BYTES];
    model.iter().all(|(key, value)| {
        store.get(*key, &mut buffer) == Ok(Some(value.len())) && buffer[..value.len()] == value[..]
    })
}

/// A value whose bytes tell its key and version apart from others.
fn value(key: u16, version: u32, length: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(u64::from(key) << 32 | u64::from(version));
    let mut bytes = vec![0; length];
    rng.fill_bytes(&mut bytes);
    bytes
}

/// Random operations over a few keys, so that keys are often overwritten;
/// values up to `max_value` bytes.
fn random_operations(
    rng: &mut StdRng,
    count: usize,
    max_value: usize,
    reopen: bool,
) -> Vec<Operation> {
    let random_value = |rng: &mut StdRng| {
        let length = if rng.gen_ratio(1, 8) {
            0
        } else {
            rng.gen_range(1..=max_value)
        };
        let version = rng.gen();
        value(rng.gen_range(0..=MAX_KEY), version, length)
    };
    let key = |rng: &mut StdRng| match rng.gen_range(0..20) {
        0 => MAX_KEY,
        1 => rng.gen_range(0..=MAX_KEY + 1),
        _ => rng.gen_range(0..12),
    };
    (0..count)
        .map(|_| match rng.gen_range(0..100) {
            0..=44 => Operation::Insert(key(rng), random_value(rng)),
            45..=69 => Operation::Remove(key(rng)),
            70..=86 => {
                let updates = rng.gen_range(0..=MAX_UPDATES + 1);
                let updates = (0..updates)
                    .map(|_| (key(rng), rng.gen_bool(0.7).then(|| random_value(rng))))
                    .collect();
                Operation::Transaction(updates)
            }
            87..=88 => Operation::Clear,
            _ if reopen => Operation::Reopen,
            _ => Operation::Insert(key(rng), random_value(rng)),
        })
        .collect()
}

/// How an interrupted write leaves its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Not a byte changed.
    Untouched,
    /// A random-length prefix written.
    Prefix,
    /// Fully written, but the power went before it returned.
    Complete,
    /// Seeded garbage.
    Garbage,
}

const CUTS: [Cut; 4] = [Cut::Untouched, Cut::Prefix, Cut::Complete, Cut::Garbage];

/// A RAM storage whose power goes at write number `cut_at` (counting from
/// 0), leaving that write's range as `cut` says; every access after that
/// fails, as on a device that lost power. The bytes are shared, so a test
/// keeps them even when `open` fails and drops the storage.
struct CuttingStorage {
    bytes: Rc<RefCell<RamStorage>>,
    writes: usize,
    cut_at: Option<(usize, Cut)>,
    powered: bool,
    rng: StdRng,
}

impl CuttingStorage {
    fn new(bytes: Rc<RefCell<RamStorage>>, cut_at: Option<(usize, Cut)>, seed: u64) -> Self {
        CuttingStorage {
            bytes,
            writes: 0,
            cut_at,
            powered: true,
            rng: StdRng::seed_from_u64(seed),
        }
    }
}

impl Storage for CuttingStorage {
    fn size(&self) -> usize {
        self.bytes.borrow().size()
    }

    fn read(&mut self, offset: usize, buffer: &mut [u8]) -> Result<(), StorageError> {
        if !self.powered {
            return Err(StorageError);
        }
        self.bytes.borrow_mut().read(offset, buffer)
    }

    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), StorageError> {
        if !self.powered {
            return Err(StorageError);
        }
        let number = self.writes;
        self.writes += 1;
        let Some((_, cut)) = self.cut_at.filter(|(cut_at, _)| *cut_at == number) else {
            return self.bytes.borrow_mut().write(offset, data);
        };
        self.powered = false;
        let mut storage = self.bytes.borrow_mut();
        let range = storage
            .bytes_mut()
            .get_mut(offset..offset + data.len())
            .ok_or(StorageError)?;
        match cut {
            Cut::Untouched => {}
            Cut::Prefix => {
                let written = self.rng.gen_range(0..=data.len());
                range[..written].copy_from_slice(&data[..written]);
            }
            Cut::Complete => range.copy_from_slice(data),
            Cut::Garbage => self.rng.fill_bytes(range),
        }
        Err(StorageError)
    }
}
