//! Seeded random operation sequences, with reopens between operations,
//! checked after every operation against a model (a `BTreeMap`).

use super::*;

/// Runs `count` random operations from `seed` on a region of
/// `region_bytes`, checking results, contents and free bytes throughout.
fn check_random_sequence(seed: u64, region_bytes: usize, count: usize, max_value: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let operations = random_operations(&mut rng, count, max_value, true);
    let mut model = Model::new(region_bytes);
    let mut store = TestStore::open(RamStorage::new(region_bytes)).unwrap();
    for (at, operation) in operations.iter().enumerate() {
        let context = format!("seed {seed}, operation {at}: {operation:?}");
        let expected = model.apply(operation);
        let (next, result) = run(store, operation);
        assert_eq!(result, expected, "{context}");
        store = next.unwrap_or_else(|| panic!("reopen failed: {context}"));
        assert_eq!(store.free_bytes(), model.free_bytes(), "{context}");
        assert!(store.keys().eq(model.values.keys().copied()), "{context}");
        if at % 16 == 0 {
            assert_holds(&mut store, &model.values, &context);
        }
    }
    assert_holds(
        &mut store,
        &model.values,
        &format!("seed {seed}, at the end"),
    );
}

#[test]
fn random_sequences_in_a_small_region_match_the_model() {
    for seed in 0..24 {
        check_random_sequence(seed, 4096, 1500, 300);
    }
}

#[test]
fn random_sequences_in_a_medium_region_match_the_model() {
    for seed in 100..108 {
        check_random_sequence(seed, 32 * 1024, 3000, MAX_VALUE_BYTES + 8);
    }
}

#[test]
fn random_sequences_in_a_device_sized_region_match_the_model() {
    check_random_sequence(1000, 256 * 1024 - 64, 4000, MAX_VALUE_BYTES);
}
