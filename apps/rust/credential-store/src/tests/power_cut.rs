//! Power cuts the OpenSK way: run a sequence once per write, cutting the
//! power at that write and leaving its range untouched, half written,
//! fully written or garbage; then reopen and check that the interrupted
//! operation happened entirely or not at all, that everything before it
//! persisted, and that the store goes on working.

use super::*;

/// Where a run starts: the region's bytes and what they hold.
#[derive(Clone)]
struct Start {
    bytes: RamStorage,
    model: Model,
}

impl Start {
    fn erased(region_bytes: usize) -> Self {
        Start {
            bytes: RamStorage::new(region_bytes),
            model: Model::new(region_bytes),
        }
    }
}

/// Where a run with a cut left the region: its bytes, what they hold once
/// reopened, and the operations not yet run.
struct AfterCut {
    start: Start,
    remaining: Vec<Operation>,
}

/// Runs `operations` from `start`, cutting the power at write `cut_at` as
/// `cut` says; `None` if there are fewer writes. Checks that the reopened
/// store holds the state before or after the interrupted operation, then
/// (on a copy) that the rest of the sequence and a reopen still work.
fn run_with_cut(
    start: &Start,
    operations: &[Operation],
    cut_at: usize,
    cut: Cut,
    seed: u64,
) -> Option<AfterCut> {
    let context =
        |at: usize| format!("seed {seed}, cut at write {cut_at} ({cut:?}), operation {at}");
    let bytes = Rc::new(RefCell::new(start.bytes.clone()));
    let storage = CuttingStorage::new(bytes.clone(), Some((cut_at, cut)), seed ^ cut_at as u64);
    let mut model = start.model.clone();
    // The operation the power went in (`None` for `open`), and the model
    // before and after it.
    let (at, before, after) = match TestStore::open(storage) {
        Err(StoreError::Storage) => (None, model.clone(), model),
        Err(error) => panic!("open failed with {error:?}: {}", context(0)),
        Ok(mut store) => 'run: {
            for (at, operation) in operations.iter().enumerate() {
                let mut after = model.clone();
                let expected = after.apply(operation);
                let (next, result) = run(store, operation);
                if result == Err(StoreError::Storage) {
                    let after = if expected.is_ok() {
                        after
                    } else {
                        model.clone()
                    };
                    break 'run (Some(at), model, after);
                }
                assert_eq!(result, expected, "{}", context(at));
                model = after;
                store = next.unwrap_or_else(|| panic!("reopen failed: {}", context(at)));
            }
            return None;
        }
    };
    let at_context = context(at.unwrap_or(0));
    let cut_bytes = bytes.borrow().clone();
    let mut store = TestStore::open(cut_bytes.clone())
        .unwrap_or_else(|error| panic!("reopening after the cut: {error:?}: {at_context}"));
    // Atomicity, and every completed operation persisted.
    let model = if holds(&mut store, &after.values) {
        after
    } else if holds(&mut store, &before.values) {
        before
    } else {
        let context = format!("neither before nor after: {at_context}");
        assert_holds(&mut store, &after.values, &context);
        unreachable!("assert_holds panics when the state differs");
    };
    assert_eq!(store.free_bytes(), model.free_bytes(), "{at_context}");
    let remaining = operations[at.map_or(0, |at| at + 1)..].to_vec();
    check_goes_on_working(store, model.clone(), &remaining, &at_context);
    Some(AfterCut {
        start: Start {
            bytes: cut_bytes,
            model,
        },
        remaining,
    })
}

/// Runs `operations` on `store` and reopens it, checking every result and
/// the final contents against `model`.
fn check_goes_on_working(
    mut store: TestStore<RamStorage>,
    mut model: Model,
    operations: &[Operation],
    context: &str,
) {
    for (later, operation) in operations.iter().enumerate() {
        let expected = model.apply(operation);
        let (next, result) = run(store, operation);
        assert_eq!(
            result, expected,
            "after the cut, operation {later} later: {context}"
        );
        store = next.unwrap_or_else(|| panic!("reopen failed after the cut: {context}"));
    }
    let (next, result) = run(store, &Operation::Reopen);
    assert_eq!(result, Ok(()), "final reopen: {context}");
    let mut store = next.unwrap_or_else(|| unreachable!("the reopen succeeded"));
    assert_holds(&mut store, &model.values, &format!("at the end, {context}"));
}

/// Cuts the power at every write of `operations` from `start`, in every
/// way; returns how many runs were checked.
fn cut_everywhere(start: &Start, operations: &[Operation], seed: u64) -> usize {
    let mut checked = 0;
    for cut_at in 0.. {
        let mut cut_happened = false;
        for cut in CUTS {
            if run_with_cut(start, operations, cut_at, cut, seed).is_some() {
                cut_happened = true;
                checked += 1;
            }
        }
        if !cut_happened {
            return checked;
        }
    }
    unreachable!("the loop ends when a cut index passes the last write")
}

/// A sequence that inserts, overwrites, removes, runs transactions, fills
/// the log until it compacts (twice), clears and runs out of space.
fn scripted_operations() -> Vec<Operation> {
    let mut operations = vec![
        Operation::Insert(1, value(1, 0, 100)),
        Operation::Insert(2, value(2, 0, 200)),
        Operation::Insert(1, value(1, 1, 150)),
        Operation::Remove(2),
        Operation::Transaction(vec![
            (3, Some(value(3, 0, 50))),
            (4, Some(value(4, 0, 60))),
            (1, None),
        ]),
        Operation::Insert(5, Vec::new()),
        Operation::Insert(6, value(6, 0, MAX_VALUE_BYTES)),
        Operation::Reopen,
    ];
    operations.extend((0..80).map(|count| Operation::Insert(7, value(7, count, 8))));
    operations.extend([
        Operation::Clear,
        Operation::Insert(8, value(8, 0, 300)),
        Operation::Transaction(vec![(9, None), (8, Some(value(8, 1, 20)))]),
        Operation::Remove(9),
        Operation::Reopen,
    ]);
    operations.extend((0..6).map(|version| Operation::Insert(10, value(10, version, 400))));
    operations
}

#[test]
fn a_cut_at_any_write_of_the_script_loses_nothing_completed_and_keeps_operations_atomic() {
    let operations = scripted_operations();
    let checked = cut_everywhere(&Start::erased(4096), &operations, 0);
    // Every write of the script was cut in each of the four ways.
    assert!(checked >= 4 * 90, "only {checked} cut runs");
}

#[test]
fn a_cut_at_any_write_of_random_sequences_loses_nothing_completed_and_keeps_operations_atomic() {
    for seed in 1..=12 {
        let mut rng = StdRng::seed_from_u64(seed);
        let (region_bytes, max_value) = if seed % 3 == 0 {
            (8192, 600)
        } else {
            (4096, 200)
        };
        let operations = random_operations(&mut rng, 40, max_value, true);
        let checked = cut_everywhere(&Start::erased(region_bytes), &operations, seed);
        assert!(checked >= 4 * 20, "seed {seed}: only {checked} cut runs");
    }
}

#[test]
fn a_cut_while_formatting_a_region_of_garbage_leaves_an_empty_working_store() {
    for cut_at in 0..8 {
        for cut in CUTS {
            let mut garbage = RamStorage::new(4096);
            StdRng::seed_from_u64(cut_at as u64).fill_bytes(garbage.bytes_mut());
            let bytes = Rc::new(RefCell::new(garbage));
            let storage = CuttingStorage::new(bytes.clone(), Some((cut_at, cut)), 7);
            let _ = TestStore::open(storage);
            let after_cut = bytes.borrow().clone();
            let mut store = TestStore::open(after_cut).expect("open after the cut");
            assert!(store.is_empty());
            store.insert(3, b"still works").unwrap();
            let mut store = TestStore::open(store.into_storage()).unwrap();
            assert_holds(
                &mut store,
                &BTreeMap::from([(3, b"still works".to_vec())]),
                "after format",
            );
        }
    }
}

#[test]
fn a_second_cut_while_recovering_from_a_first_loses_nothing_completed() {
    let operations = scripted_operations();
    let start = Start::erased(4096);
    let mut checked = 0;
    // First cuts spread over the script, leaving torn bytes behind; then a
    // second cut at every write of the recovery and of the rest.
    for cut_at in (3..).step_by(9) {
        let Some(first) = run_with_cut(&start, &operations, cut_at, Cut::Garbage, 99) else {
            break;
        };
        checked += cut_everywhere(&first.start, &first.remaining, 100 + cut_at as u64);
    }
    assert!(checked > 1000, "only {checked} second cuts");
}
