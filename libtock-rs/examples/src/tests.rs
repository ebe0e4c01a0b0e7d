//! The conformance checks on the fake kernel: the checks and the fake
//! agree on what a Tock kernel answers.

extern crate std;

use crate::conformance::Entry;
use libtock_unittest::{drivers, Kernel, Syscalls as Fake};
use std::rc::Rc;
use std::string::String;

#[test]
fn the_fake_kernel_passes_every_conformance_check() {
    let kernel = Kernel::new();
    kernel.add_driver(&Rc::new(drivers::Console::new()));
    kernel.add_driver(&Rc::new(drivers::Alarm::new(10_000_000)));
    let mut output = String::new();
    let passed = crate::conformance::run::<Fake, _>(&mut output, None);
    assert!(passed, "{output}");
    assert!(!output.contains("FAIL"), "{output}");
    let last = output.lines().last().unwrap_or_default();
    assert!(last.starts_with("conformance: ok "), "{output}");
}

#[test]
fn entry_registers_unlike_upstreams_fail() {
    let kernel = Kernel::new();
    kernel.add_driver(&Rc::new(drivers::Console::new()));
    kernel.add_driver(&Rc::new(drivers::Alarm::new(1000)));
    let ram = kernel.memory_layout().memory_start;
    let upstream = Entry {
        app_start: 0x2004_0060,
        rt_header: 0x2004_0060,
        ram_start: ram,
        initial_break: ram,
    };
    let mut output = String::new();
    assert!(
        crate::conformance::run::<Fake, _>(&mut output, Some(&upstream)),
        "{output}"
    );
    // a0 = the entry point instead of the app start.
    let entry_point = Entry {
        app_start: 0x2004_0080,
        ..upstream
    };
    output.clear();
    assert!(!crate::conformance::run::<Fake, _>(
        &mut output,
        Some(&entry_point)
    ));
    assert!(output.contains("conformance: FAIL entry a0"), "{output}");
}

#[test]
fn a_kernel_without_an_alarm_fails_the_alarm_checks() {
    let kernel = Kernel::new();
    kernel.add_driver(&Rc::new(drivers::Console::new()));
    let mut output = String::new();
    assert!(!crate::conformance::run::<Fake, _>(&mut output, None));
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
