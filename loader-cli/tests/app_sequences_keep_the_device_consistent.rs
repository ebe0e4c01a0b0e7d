//! Seeded random sequences of app operations (installs of new versions,
//! uninstalls, flag changes, erase-apps, reboots, link cuts at any write)
//! against the simulated running kernel, checked against a model after
//! every step (`sequence_model`). The seed is fixed, so CI runs the same
//! few hundred steps every time; a failure is shrunk by proptest to the
//! shortest sequence that still fails, and printed.

mod sequence_model;

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// The seed CI runs.
const SEED: [u8; 32] = *b"issue 16: one app state machine.";

#[test]
fn random_app_operation_sequences_keep_list_processes_and_flash_consistent() {
    let config = Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED));
    let steps = std::cell::Cell::new(0usize);
    let in_place = std::cell::Cell::new(0usize);
    let result = runner.run(&sequence_model::case(30), |case| {
        let outcome =
            sequence_model::run(&case).map_err(proptest::test_runner::TestCaseError::fail)?;
        steps.set(steps.get() + outcome.steps);
        in_place.set(in_place.get() + outcome.replaced_in_place);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("a sequence broke the model; the shortest found:\n{failure}");
    }
    assert!(steps.get() >= 200, "only {} steps ran", steps.get());
    // The seed must reach the journal-committed replace, or the model's
    // "old or new, never neither" for it was never put to the test.
    assert!(in_place.get() > 0, "no replace in place ran");
    println!(
        "{} steps checked, {} replaces in place",
        steps.get(),
        in_place.get()
    );
}
