//! Each operation on its own: results, bounds, capacity and the costs the
//! CTAP2 app relies on.

use super::*;

/// The device's region: 256 KiB minus the driver's small header.
const DEVICE_REGION_BYTES: usize = 256 * 1024 - 64;

/// A storage that counts reads and writes.
struct CountingStorage {
    inner: RamStorage,
    reads: usize,
    writes: usize,
}

impl Storage for CountingStorage {
    fn size(&self) -> usize {
        self.inner.size()
    }

    fn read(&mut self, offset: usize, buffer: &mut [u8]) -> Result<(), StorageError> {
        self.reads += 1;
        self.inner.read(offset, buffer)
    }

    fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), StorageError> {
        self.writes += 1;
        self.inner.write(offset, data)
    }
}

fn counting(size: usize) -> CountingStorage {
    CountingStorage {
        inner: RamStorage::new(size),
        reads: 0,
        writes: 0,
    }
}

#[test]
fn inserted_values_are_read_back_replaced_and_removed() {
    let mut store = TestStore::open(RamStorage::new(4096)).unwrap();
    assert!(store.is_empty());
    store.insert(5, b"five").unwrap();
    store.insert(2, b"two").unwrap();
    store.insert(5, b"FIVE!").unwrap();
    let mut buffer = [0; 16];
    assert_eq!(store.get(5, &mut buffer), Ok(Some(5)));
    assert_eq!(&buffer[..5], b"FIVE!");
    assert_eq!(store.get(3, &mut buffer), Ok(None));
    assert_eq!(store.keys().collect::<Vec<_>>(), [2, 5]);
    assert_eq!(store.len(), 2);
    store.remove(5).unwrap();
    store.remove(5).unwrap();
    assert!(!store.contains(5));
    let mut store = TestStore::open(store.into_storage()).unwrap();
    assert_holds(
        &mut store,
        &BTreeMap::from([(2, b"two".to_vec())]),
        "after reopen",
    );
}

#[test]
fn keys_up_to_max_key_are_accepted_and_beyond_it_rejected() {
    let mut store = TestStore::open(RamStorage::new(4096)).unwrap();
    store.insert(0, b"zero").unwrap();
    store.insert(MAX_KEY, b"max").unwrap();
    let mut buffer = [0; 8];
    assert_eq!(store.insert(MAX_KEY + 1, b"x"), Err(StoreError::InvalidKey));
    assert_eq!(
        store.get(MAX_KEY + 1, &mut buffer),
        Err(StoreError::InvalidKey)
    );
    assert_eq!(store.remove(u16::MAX), Err(StoreError::InvalidKey));
    let updates = [
        Update::Insert {
            key: 1,
            value: b"a",
        },
        Update::Remove { key: 0x1000 },
    ];
    assert_eq!(store.transaction(&updates), Err(StoreError::InvalidKey));
    assert!(!store.contains(MAX_KEY + 1));
    assert_eq!(store.keys().collect::<Vec<_>>(), [0, MAX_KEY]);
}

#[test]
fn values_of_max_value_bytes_fit_and_longer_ones_are_refused() {
    let mut store = TestStore::open(RamStorage::new(32 * 1024)).unwrap();
    let largest = value(1, 0, MAX_VALUE_BYTES);
    store.insert(1, &largest).unwrap();
    assert_eq!(
        store.insert(2, &[0; MAX_VALUE_BYTES + 1]),
        Err(StoreError::ValueTooLarge)
    );
    let mut store = TestStore::open(store.into_storage()).unwrap();
    assert_holds(&mut store, &BTreeMap::from([(1, largest)]), "largest value");
}

#[test]
fn a_small_buffer_gets_buffer_too_small_with_the_length_needed() {
    let mut store = TestStore::open(RamStorage::new(4096)).unwrap();
    store.insert(1, &[7; 40]).unwrap();
    let mut buffer = [0; 39];
    assert_eq!(
        store.get(1, &mut buffer),
        Err(StoreError::BufferTooSmall { needed: 40 })
    );
    store.insert(2, &[]).unwrap();
    assert_eq!(store.get(2, &mut []), Ok(Some(0)));
}

#[test]
fn a_transaction_applies_all_its_updates_in_order_and_refuses_more_than_eight() {
    let mut store = TestStore::open(RamStorage::new(4096)).unwrap();
    store.insert(1, b"one").unwrap();
    let updates = [
        Update::Insert {
            key: 2,
            value: b"two",
        },
        Update::Remove { key: 1 },
        Update::Insert {
            key: 2,
            value: b"TWO",
        },
        Update::Insert {
            key: 3,
            value: b"three",
        },
    ];
    store.transaction(&updates).unwrap();
    let expected = BTreeMap::from([(2, b"TWO".to_vec()), (3, b"three".to_vec())]);
    assert_holds(&mut store, &expected, "after the transaction");
    let nine = [Update::Remove { key: 9 }; MAX_UPDATES + 1];
    assert_eq!(store.transaction(&nine), Err(StoreError::TooManyUpdates));
    store.transaction(&[]).unwrap();
    let mut store = TestStore::open(store.into_storage()).unwrap();
    assert_holds(&mut store, &expected, "after reopen");
}

#[test]
fn clear_removes_every_key_and_leaves_no_removed_value_in_the_storage() {
    let mut store = TestStore::open(RamStorage::new(8192)).unwrap();
    let secret = [0x5C; 64];
    store.insert(1, &secret).unwrap();
    store.insert(1, b"newer").unwrap();
    store.insert(2, &secret).unwrap();
    store.clear().unwrap();
    assert!(store.is_empty());
    let storage = store.into_storage();
    assert!(!storage
        .bytes()
        .windows(secret.len())
        .any(|window| window == secret));
    let mut store = TestStore::open(storage).unwrap();
    assert!(store.is_empty());
    store.insert(4, b"after").unwrap();
    assert_holds(
        &mut store,
        &BTreeMap::from([(4, b"after".to_vec())]),
        "after clear",
    );
}

#[test]
fn at_least_150_values_of_400_bytes_fit_and_then_no_space_loses_nothing() {
    let mut store = Store::<_, 400>::open(RamStorage::new(DEVICE_REGION_BYTES)).unwrap();
    let mut model = BTreeMap::new();
    let mut key = 0;
    let error = loop {
        let value = value(key, 0, 400);
        match store.insert(key, &value) {
            Ok(()) => model.insert(key, value),
            Err(error) => break error,
        };
        key += 1;
    };
    assert_eq!(error, StoreError::NoSpace);
    assert!(model.len() >= 150, "only {} values fit", model.len());
    assert!(
        store.free_bytes() < 400,
        "free_bytes says {} more fit",
        store.free_bytes()
    );
    // A full store still updates in place (the signature counter).
    for count in 0u32..2000 {
        store.insert(0, &value(0, count, 400)).unwrap();
    }
    model.insert(0, value(0, 1999, 400));
    let mut store = Store::<_, 400>::open(store.into_storage()).unwrap();
    assert_eq!(store.insert(key, &[1; 400]), Err(StoreError::NoSpace));
    let keys: Vec<u16> = store.keys().collect();
    assert!(keys.iter().copied().eq(model.keys().copied()));
    let mut buffer = [0; 400];
    for (key, value) in &model {
        assert_eq!(store.get(*key, &mut buffer), Ok(Some(400)));
        assert_eq!(&buffer[..], &value[..]);
    }
}

#[test]
fn free_bytes_is_exactly_what_one_more_value_can_take() {
    let mut store = TestStore::open(RamStorage::new(8192)).unwrap();
    let mut key = 0;
    while store.free_bytes() > MAX_VALUE_BYTES {
        store.insert(key, &[key as u8; MAX_VALUE_BYTES]).unwrap();
        key += 1;
    }
    let free = store.free_bytes();
    assert_eq!(
        store.insert(key, &vec![0; free + 1]),
        Err(StoreError::NoSpace)
    );
    store.insert(key, &vec![0; free]).unwrap();
    assert_eq!(store.free_bytes(), 0);
    assert_eq!(store.insert(key + 1, &[]), Err(StoreError::NoSpace));
}

#[test]
fn the_index_capacity_bounds_the_keys() {
    let mut store = Store::<_, 3>::open(RamStorage::new(4096)).unwrap();
    for key in 0..3 {
        store.insert(key, b"v").unwrap();
    }
    assert_eq!(store.free_bytes(), 0);
    assert_eq!(store.insert(3, b"v"), Err(StoreError::NoSpace));
    store.insert(2, b"replaced").unwrap();
    let swap = [
        Update::Remove { key: 0 },
        Update::Insert {
            key: 3,
            value: b"v",
        },
    ];
    store.transaction(&swap).unwrap();
    assert_eq!(store.keys().collect::<Vec<_>>(), [1, 2, 3]);
    // More live keys in the storage than this build indexes.
    let storage = store.into_storage();
    assert_eq!(
        Store::<_, 2>::open(storage).err(),
        Some(StoreError::NoSpace)
    );
}

#[test]
fn an_insert_of_300_bytes_is_one_write_and_open_reads_in_few_large_reads() {
    let mut store = Store::<_, 400>::open(counting(DEVICE_REGION_BYTES)).unwrap();
    for key in 0..300 {
        let before = store.storage().writes;
        store.insert(key, &value(key, 0, 300)).unwrap();
        assert_eq!(store.storage().writes - before, 1, "key {key}");
    }
    let mut storage = store.into_storage();
    storage.reads = 0;
    let store = Store::<_, 400>::open(storage).unwrap();
    assert_eq!(store.len(), 300);
    // One read per 512 bytes of the bank, plus the two bank headers.
    let bank_reads = (DEVICE_REGION_BYTES / 2).div_ceil(512);
    let reads = store.into_storage().reads;
    assert!(
        reads <= bank_reads + 4,
        "{reads} reads, {bank_reads} bank windows"
    );
}

#[test]
fn a_device_region_holds_this_many_300_byte_credentials() {
    let mut store = Store::<_, 500>::open(RamStorage::new(DEVICE_REGION_BYTES)).unwrap();
    let mut count = 0;
    while store.insert(count, &[0xA5; 300]).is_ok() {
        count += 1;
    }
    // The figure the crate doc and the CTAP2 app cite: (131_040 - 16 -
    // 8_232) usable bytes / (300 + 12) per credential.
    assert_eq!(count, 393);
}

#[test]
fn a_torn_record_is_ignored_and_compacted_away_before_the_next_append() {
    let mut store = TestStore::open(RamStorage::new(4096)).unwrap();
    store.insert(1, b"kept").unwrap();
    let tail = BANK_HEADER_BYTES + INSERT_RECORD_OVERHEAD + 4;
    let mut storage = store.into_storage();
    // A torn append: a few programmed bytes past the valid log.
    storage.bytes_mut()[tail + 6..tail + 9].copy_from_slice(&[0x12, 0x34, 0x56]);
    let mut store = TestStore::open(storage).unwrap();
    assert_holds(
        &mut store,
        &BTreeMap::from([(1, b"kept".to_vec())]),
        "torn tail",
    );
    store.insert(2, b"new").unwrap();
    let storage = store.into_storage();
    // The new record went to the other bank, after the compacted value.
    assert_eq!(storage.bytes()[2048 + tail..2048 + tail + 2], [7, 0]);
    let mut store = TestStore::open(storage).unwrap();
    let expected = BTreeMap::from([(1, b"kept".to_vec()), (2, b"new".to_vec())]);
    assert_holds(&mut store, &expected, "after compaction");
}

#[test]
fn any_region_contents_open_without_panicking() {
    for seed in 0..200 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut storage = RamStorage::new(1024);
        rng.fill_bytes(storage.bytes_mut());
        let mut store = TestStore::open(storage).unwrap();
        assert!(store.is_empty(), "random bytes hold no valid bank");
        store.insert(1, b"x").unwrap();
    }
    assert_eq!(
        TestStore::open(RamStorage::new(150)).err(),
        Some(StoreError::NoSpace)
    );
}

#[test]
fn erase_sets_exactly_its_range_to_ff_in_few_writes() {
    let mut rng = StdRng::seed_from_u64(3);
    for (offset, length) in [(0, 128 * 1024), (100, 5000), (4096, 512), (7, 1), (300, 0)] {
        let mut storage = counting(128 * 1024 + 200);
        rng.fill_bytes(storage.inner.bytes_mut());
        let before = storage.inner.bytes().to_vec();
        storage.erase(offset, length).unwrap();
        let after = storage.inner.bytes();
        assert!(after[offset..offset + length]
            .iter()
            .all(|&byte| byte == 0xFF));
        assert_eq!(after[..offset], before[..offset]);
        assert_eq!(after[offset + length..], before[offset + length..]);
        // At most one write per 4 KiB.
        assert!(
            storage.writes <= length.div_ceil(4096),
            "{} writes",
            storage.writes
        );
    }
    // Already erased pieces are not written again.
    let mut storage = counting(64 * 1024);
    storage.inner.bytes_mut()[10_000] = 0;
    storage.inner.bytes_mut()[40_000] = 0;
    storage.erase(0, 64 * 1024).unwrap();
    assert_eq!(storage.writes, 2);
    assert!(storage.inner.bytes().iter().all(|&byte| byte == 0xFF));
}
