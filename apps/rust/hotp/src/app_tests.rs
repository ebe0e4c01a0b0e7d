//! The whole app against the fake kernel: console commands, button
//! presses, the key-value store, HMAC, the keyboard and the clock.

extern crate std;

use super::HotpApp;
use crate::keyboard;
use crate::slot::{self, Slot};
use libtock_platform::ErrorCode;
use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
use std::rc::Rc;
use std::string::String;
use std::vec::Vec;

/// "12345678901234567890", the RFC 4226 appendix D secret.
const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

struct Bench {
    kernel: Kernel,
    console: Rc<drivers::Console>,
    buttons: Rc<drivers::Buttons>,
    store: Rc<drivers::KeyValue>,
    keyboard: Rc<drivers::UsbKeyboardHid>,
    clock: Rc<drivers::DateTime>,
}

impl Bench {
    fn new() -> Bench {
        let kernel = Kernel::new();
        let console = Rc::new(drivers::Console::new());
        let buttons = Rc::new(drivers::Buttons::new(2));
        let store = Rc::new(drivers::KeyValue::new());
        let keyboard = Rc::new(drivers::UsbKeyboardHid::new());
        let clock = Rc::new(drivers::DateTime::new());
        kernel.add_driver(&clock);
        kernel.add_driver(&console);
        kernel.add_driver(&buttons);
        kernel.add_driver(&store);
        kernel.add_driver(&keyboard);
        kernel.add_driver(&Rc::new(drivers::Hmac::new()));
        Bench {
            kernel,
            console,
            buttons,
            store,
            keyboard,
            clock,
        }
    }

    /// Queues moving the clock to 2005-03-18 (a Friday) 01:58:`second`.
    fn set_clock_at_1_58(&self, second: u32) {
        let clock = self.clock.clone();
        self.kernel
            .when_idle(move || clock.set_date(2005, 3, 18, 5, 1, 58, second));
    }

    /// Queues `line` on the console.
    fn type_line(&self, line: &str) {
        let console = self.console.clone();
        let text = std::format!("{line}\r");
        self.kernel
            .when_idle(move || console.push_input(text.as_bytes()));
    }

    /// Queues a click of `button`.
    fn click(&self, button: usize) {
        let buttons = self.buttons.clone();
        self.kernel.when_idle(move || {
            buttons.set_pressed(button, true);
            buttons.set_pressed(button, false);
        });
    }

    /// Runs the app until the queued events are used up (the console read
    /// then fails, which ends the app); returns its console output.
    fn run(&self) -> String {
        let console = self.console.clone();
        self.kernel.when_idle(move || {
            console.fail_next_read(ErrorCode::Cancel);
            // Completes the read in flight with that failure.
            console.push_input(b"");
        });
        let mut app = HotpApp::<Fake>::new();
        assert_eq!(app.run(), Err(ErrorCode::Cancel));
        String::from_utf8(self.console.take_output()).unwrap()
    }

    /// What the keyboard typed, as text (Enter as a newline).
    fn typed(&self) -> String {
        let mut text = String::new();
        for report in self.keyboard.take_sent() {
            if report[2] == keyboard::ENTER {
                text.push('\n');
            } else if let Some(digit) = keyboard::usage_digit(report[2]) {
                text.push(char::from(digit));
            }
        }
        text
    }

    fn slot(&self, index: usize) -> Slot {
        Slot::decode(&self.store.get(&slot::key(index)).unwrap()).unwrap()
    }
}

#[test]
fn programmed_secret_gives_the_rfc_4226_codes_in_order() {
    let bench = Bench::new();
    bench.type_line(&std::format!("set 0 {RFC_SECRET}"));
    for _ in 0..3 {
        bench.click(0);
    }
    let output = bench.run();
    assert!(
        output.contains("hotp: slot 0 programmed (6 digits, sha1)"),
        "{output}"
    );
    assert!(output.contains("slot 0 counter 0 code 755224"), "{output}");
    assert!(output.contains("slot 0 counter 2 code 359152"), "{output}");
    assert_eq!(bench.typed(), "755224\n287082\n359152\n");
    assert_eq!(bench.slot(0).counter, 3);
    assert!(
        !output.contains(RFC_SECRET),
        "the secret was echoed: {output}"
    );
}

#[test]
fn slots_are_separate_and_button_one_emits_slot_one() {
    let bench = Bench::new();
    bench.type_line(&std::format!("set 1 {RFC_SECRET} 8"));
    bench.type_line(&std::format!("set 2 {RFC_SECRET} sha256"));
    bench.click(1);
    bench.type_line("select 2");
    bench.click(0);
    bench.type_line("list");
    let output = bench.run();
    // Counter 0 truncates to 1284755224: eight digits "84755224".
    assert!(
        output.contains("slot 1 counter 0 code 84755224"),
        "{output}"
    );
    // RFC 6238 appendix B's SHA-256 secret is longer; this one is the
    // 20-byte secret under HMAC-SHA-256, checked independently below.
    assert!(output.contains("slot 2 counter 0 code "), "{output}");
    assert!(output.contains("hotp: slot 0: empty"), "{output}");
    assert!(
        output.contains("hotp: slot 2: 6 digits, sha256, counter 1"),
        "{output}"
    );
    let typed = bench.typed();
    let codes: Vec<&str> = typed.lines().collect();
    assert_eq!(codes[0], "84755224");
    assert_eq!(codes[1], sha256_code(0));
}

fn sha256_code(counter: u64) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"12345678901234567890").unwrap();
    mac.update(&counter.to_be_bytes());
    let mac = mac.finalize().into_bytes();
    String::from(crate::code::Code::from_mac(&mac, 6).unwrap().as_str())
}

#[test]
fn an_empty_slot_and_bad_lines_are_explained() {
    let bench = Bench::new();
    bench.click(0);
    bench.type_line("set 9 AAAA");
    bench.type_line("set 0 not-base32");
    let output = bench.run();
    assert!(output.contains("slot 0 is empty"), "{output}");
    assert!(
        output.contains("the slot must be a number from 0 to 3"),
        "{output}"
    );
    assert!(output.contains("the secret is not base32"), "{output}");
    assert_eq!(bench.typed(), "");
}

#[test]
fn no_code_is_shown_when_the_counter_cannot_be_stored() {
    let bench = Bench::new();
    bench.type_line(&std::format!("set 0 {RFC_SECRET}"));
    bench.run();
    let store = SyscallMatch::Command {
        driver: libtock_key_value::DRIVER_NUM,
        command: libtock_key_value::command::SET,
    };
    bench.kernel.inject_failure(store, ErrorCode::NoMem);
    bench.click(0);
    let output = bench.run();
    assert!(output.contains("hotp: error: slot 0: NoMem"), "{output}");
    assert!(!output.contains("code "), "{output}");
    assert_eq!(bench.slot(0).counter, 0);
    assert_eq!(bench.typed(), "");
}

#[test]
fn totp_codes_follow_rfc_6238_across_a_step_boundary() {
    let bench = Bench::new();
    bench.type_line(&std::format!("set 0 {RFC_SECRET} 8"));
    // RFC 6238 appendix B: 1111111109 and 1111111111 lie on either side
    // of the boundary at 1111111110.
    bench.set_clock_at_1_58(29);
    bench.type_line("totp 0");
    bench.set_clock_at_1_58(31);
    bench.type_line("totp 0");
    let output = bench.run();
    assert!(
        output.contains("hotp: slot 0 time 1111111109 totp 07081804"),
        "{output}"
    );
    assert!(
        output.contains("hotp: slot 0 time 1111111111 totp 14050471"),
        "{output}"
    );
    assert_eq!(bench.typed(), "07081804\n14050471\n");
    assert_eq!(
        bench.slot(0).counter,
        0,
        "TOTP leaves the HOTP counter alone"
    );
}

#[test]
fn totp_of_an_empty_slot_or_without_a_clock_is_explained() {
    let bench = Bench::new();
    bench.type_line("totp 1");
    bench.type_line(&std::format!("set 1 {RFC_SECRET}"));
    let clock = bench.clock.clone();
    bench
        .kernel
        .when_idle(move || clock.fail_next(ErrorCode::Off));
    bench.type_line("totp 1");
    let output = bench.run();
    assert!(output.contains("hotp: slot 1 is empty"), "{output}");
    assert!(
        output.contains("hotp: error: slot 1: TOTP: Off"),
        "{output}"
    );
    assert_eq!(bench.typed(), "");
}
