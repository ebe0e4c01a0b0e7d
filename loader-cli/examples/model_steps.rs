//! `cargo xtask bench loader` runs this: the model-based sequence check
//! (`tests/sequence_model`) over many seeds, at least `--steps` steps in
//! all. Prints one JSON object: steps survived, invariant violations (each
//! violation's shortest reproducing sequence goes to stderr), seeds run.

#[path = "../tests/sequence_model/mod.rs"]
mod sequence_model;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

fn main() {
    let wanted: usize = std::env::args()
        .skip_while(|argument| argument != "--steps")
        .nth(1)
        .map(|steps| steps.parse().expect("--steps takes a number"))
        .unwrap_or(10_000);
    let mut steps = 0usize;
    let mut violations = 0usize;
    let mut refused_fixed = 0usize;
    let mut replaced_in_place = 0usize;
    let mut seed = 0u64;
    while steps < wanted {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let config = Config {
            cases: 16,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
        let counted = std::cell::Cell::new((0usize, 0usize, 0usize));
        let result = runner.run(&sequence_model::case(40), |case| {
            let outcome = sequence_model::run(&case).map_err(TestCaseError::fail)?;
            let (ran, refused, lost) = counted.get();
            counted.set((
                ran + outcome.steps,
                refused + outcome.refused_fixed,
                lost + outcome.replaced_in_place,
            ));
            Ok(())
        });
        let (ran, refused, lost) = counted.get();
        steps += ran;
        refused_fixed += refused;
        replaced_in_place += lost;
        if let Err(failure) = result {
            violations += 1;
            eprintln!("seed {seed}: {failure}");
        }
        seed += 1;
    }
    println!(
        "{{\"steps_survived\": {steps}, \"invariant_violations\": {violations}, \"seeds\": {seed}, \"fixed_address_refusals\": {refused_fixed}, \"replaced_in_place\": {replaced_in_place}}}"
    );
}
