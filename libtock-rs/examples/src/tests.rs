//! The conformance checks on the fake kernel: the checks and the fake
//! agree on what a Tock kernel answers.

extern crate std;

use libtock_unittest::{drivers, Kernel, Syscalls as Fake};
use std::rc::Rc;
use std::string::String;

#[test]
fn the_fake_kernel_passes_every_conformance_check() {
    let kernel = Kernel::new();
    kernel.add_driver(&Rc::new(drivers::Console::new()));
    kernel.add_driver(&Rc::new(drivers::Alarm::new(10_000_000)));
    let mut output = String::new();
    let passed = crate::conformance::run::<Fake, _>(&mut output);
    assert!(passed, "{output}");
    assert!(!output.contains("FAIL"), "{output}");
    let last = output.lines().last().unwrap_or_default();
    assert!(last.starts_with("conformance: ok "), "{output}");
}

#[test]
fn a_kernel_without_an_alarm_fails_the_alarm_checks() {
    let kernel = Kernel::new();
    kernel.add_driver(&Rc::new(drivers::Console::new()));
    let mut output = String::new();
    assert!(!crate::conformance::run::<Fake, _>(&mut output));
    assert!(
        output.contains("conformance: FAIL command SuccessU32"),
        "{output}"
    );
    assert!(output
        .lines()
        .last()
        .unwrap_or_default()
        .starts_with("conformance: FAIL "));
}
