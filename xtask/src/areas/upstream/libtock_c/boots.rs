//! The boots of upstream libtock-c apps on qemu-rv32-virt and what each
//! must print (read from each app's source: what it prints and what counts
//! as passing there). Up to four apps share a boot (the board runs four
//! processes) when they do not interfere: apps reading the console or
//! driving the same LED get boots of their own.

use super::checks::{
    alarm_on_time, first_alarm_fired, first_alarm_fired_promptly, first_slot_stack_pointer,
    first_unit_test_passed, flash_overrun_faults_at_the_end, memory_overrun_faults_at_the_end,
    random_bytes, second_alarm_fired, second_alarm_fired_promptly, second_slot_stack_pointer,
};
use super::script::{Boot, Lane, Step, FAILURE_MARKERS};

/// The emulated button 0, clicked over the serial line.
const PRESS_BUTTON_0: &[u8] = b"\x1bB0";

const LED_0_BLINKS: &[Step] = &[
    Step::Text(&["[led 0] on"]),
    Step::Text(&["[led 0] off"]),
    Step::Text(&["[led 0] on"]),
];

/// Every boot of the three sets, in order.
pub fn all() -> impl Iterator<Item = &'static Boot> {
    BOOTS
        .iter()
        .chain(super::more_boots::BOOTS)
        .chain(super::storage_boots::BOOTS)
}

/// The first set of boots (`more_boots.rs` holds the second).
pub const BOOTS: &[Boot] = &[
    Boot {
        name: "hello_and_malloc",
        apps: &["c_hello", "cxx_hello", "malloc_test01", "malloc_test02"],
        lanes: &[
            ("c_hello", &[Step::Text(&["Hello World!\r\n"])]),
            (
                "cxx_hello",
                &[
                    Step::Text(&["D2 says hello\n"]),
                    Step::Text(&["D1 says hello\n"]),
                    Step::Text(&["D2 says hello\n"]),
                ],
            ),
            ("malloc_test01", &[Step::Text(&["malloc01: success\n"])]),
            ("malloc_test02", &[Step::Text(&["malloc02: success\n"])]),
            (
                "exits",
                &[
                    Step::Text(&["process c_hello exited with status 0"]),
                    Step::Text(&["process malloc_test01 exited with status 0"]),
                    Step::Text(&["process malloc_test02 exited with status 0"]),
                ],
            ),
        ],
        failure_markers: FAILURE_MARKERS,
        any_exit_status: false,
    },
    Boot {
        name: "stack_restart_yield",
        apps: &["stack_size_test01", "stack_size_test02", "restart", "yield"],
        lanes: &[
            (
                "stack_size_test01",
                &[
                    Step::Text(&["Stack Test App\n"]),
                    Step::Line("inside slot 0's 900-byte stack", first_slot_stack_pointer),
                ],
            ),
            (
                "stack_size_test02",
                &[
                    Step::Text(&["Stack Test App\n"]),
                    Step::Line("inside slot 1's 9001-byte stack", second_slot_stack_pointer),
                ],
            ),
            (
                "restart",
                &[
                    Step::Text(&["Testing restart. x=1 (should be 1), z=0 (should be 0)\n"]),
                    Step::Text(&["Restarting.\n"]),
                    Step::Text(&["Testing restart. x=1 (should be 1), z=0 (should be 0)\n"]),
                ],
            ),
            (
                "yield",
                &[
                    Step::Text(&["spinning\n"]),
                    Step::Text(&["waiting\n"]),
                    Step::Text(&["spinning\n"]),
                    Step::Text(&["waiting\n"]),
                ],
            ),
        ],
        failure_markers: &[
            "FAIL", "ERROR", "faulted", "panicked", "Panic", "x=2", "z=1",
        ],
        any_exit_status: false,
    },
    Boot {
        name: "faults_beside_a_spinner",
        apps: &["whileone", "exit", "fault", "crash_dummy"],
        lanes: &[
            (
                "exit",
                &[
                    Step::Text(&["Testing exit.\n"]),
                    Step::Text(&["Exiting.\n"]),
                    Step::Text(&["[kernel] process exit exited with status 0"]),
                ],
            ),
            (
                "fault",
                &[
                    Step::Text(&["Testing fault behavior by faulting.\n"]),
                    Step::Text(&[
                        "[kernel] process fault faulted: store access fault at address 0xffffff00",
                    ]),
                ],
            ),
            (
                "crash_dummy",
                &[
                    // Subscribed long before: exit has waited a second.
                    Step::Text(&["Exiting.\n"]),
                    Step::Type(PRESS_BUTTON_0),
                    Step::Text(&[
                        "[kernel] process crash_dummy faulted: load access fault at address 0x0",
                    ]),
                ],
            ),
        ],
        failure_markers: &[
            "SHOULD NOT BE PRINTED",
            "process whileone faulted",
            "process exit faulted",
            "panicked",
            "Panic",
        ],
        any_exit_status: false,
    },
    Boot {
        name: "alarms_rng_yield_for",
        apps: &[
            "alarm_in_overflow",
            "multi_alarm_simple_test",
            "yield_for_with_timeout_test",
            "rng",
        ],
        lanes: &[
            (
                "alarm_in_overflow",
                &[
                    Step::Text(&["Alarm Fired!\n"]),
                    Step::Line("with a difference of at most 10 ms", alarm_on_time),
                ],
            ),
            (
                "multi_alarm_simple_test 1",
                &[
                    Step::Line("`1 now expiration`", first_alarm_fired),
                    Step::Line("`1 now expiration`", first_alarm_fired),
                    Step::Line("`1 now expiration`", first_alarm_fired),
                ],
            ),
            (
                "multi_alarm_simple_test 2",
                &[
                    Step::Line("`2 now expiration`", second_alarm_fired),
                    Step::Line("`2 now expiration`", second_alarm_fired),
                ],
            ),
            ("yield_for_with_timeout_test", LED_0_BLINKS),
            (
                "rng",
                &[
                    Step::Text(&["[TEST] RNG\n"]),
                    Step::Line("of 256 random bytes", random_bytes),
                    Step::Line("of 256 random bytes", random_bytes),
                ],
            ),
        ],
        failure_markers: FAILURE_MARKERS,
        any_exit_status: false,
    },
    Boot {
        name: "blink_hmac_callback_remove",
        apps: &[
            "blink",
            "multi_alarm_simple_overflow_test",
            "hmac",
            "callback_remove_test01",
        ],
        lanes: &[
            (
                "blink",
                &[
                    Step::Text(&["[led 0] on"]),
                    Step::Text(&["[led 0] off"]),
                    Step::Text(&["[led 1] on"]),
                    Step::Text(&["[led 0] on"]),
                    Step::Text(&["[led 0] off"]),
                    Step::Text(&["[led 1] off"]),
                ],
            ),
            (
                "multi_alarm_simple_overflow_test",
                &[Step::Line("`2 now expiration`", second_alarm_fired)],
            ),
            (
                "hmac",
                &[
                    Step::Text(&["[TEST] HMAC"]),
                    Step::Text(&["[HMAC] Matched!\n"]),
                ],
            ),
            (
                "callback_remove_test01",
                &[Step::Text(&[
                    "[SUCCESS] The callback was successfully canceled\n",
                ])],
            ),
        ],
        failure_markers: &[
            "FAIL", "ERROR", "Error!", "Hmm", "faulted", "panicked", "Panic",
        ],
        any_exit_status: false,
    },
    Boot {
        name: "multi_alarm_leds_aes_sha_kv_check",
        apps: &["multi_alarm_test", "aes", "sha", "kv_check"],
        lanes: &[
            (
                "multi_alarm_test",
                &[
                    Step::Text(&["[led 0] on"]),
                    Step::Text(&["[led 0] off"]),
                    Step::Text(&["[led 1] on"]),
                    Step::Text(&["[led 1] off"]),
                    Step::Text(&["[led 0] on"]),
                ],
            ),
            (
                // CTR, then CCM; each half compares the ciphertext with the
                // one it expects (else "Comparison failure", exit -1).
                "aes",
                &[
                    Step::Text(&["[TEST] AES CTR Example Test"]),
                    Step::Text(&["Encrypted text: '"]),
                    Step::Text(&[
                        "Original text: 'A language empowering everyone to build reliable and \
                         efficient software.'",
                    ]),
                    Step::Text(&["[TEST] AES CCM Example Test"]),
                    Step::Text(&["Encrypted text: '"]),
                    Step::Text(&[
                        "Original text: 'A language empowering everyone to build reliable and \
                         efficient software.'",
                    ]),
                    Step::Text(&["[kernel] process aes exited with status 0"]),
                ],
            ),
            (
                "sha",
                &[
                    Step::Text(&["[TEST] SHA"]),
                    Step::Text(&["SHA computation finished.\n"]),
                    Step::Text(&[
                        "Got    : d91344acb529e08ac17bf4209e664248366c5d95ecfe95d1e5077780659a915b\n",
                    ]),
                    Step::Text(&["SHA computation correct.\n"]),
                    Step::Text(&["[kernel] process sha exited with status 0"]),
                ],
            ),
            (
                "kv_check",
                &[
                    Step::Text(&["Key-Value support is enabled.\n"]),
                    Step::Text(&["[kernel] process kv_check exited with status 0"]),
                ],
            ),
        ],
        failure_markers: &[
            "Comparison failure",
            "Crypto failure",
            "Expectation failure",
            "Unable to compute SHA",
            "No SHA driver",
            "ERROR!",
            "faulted",
            "panicked",
            "Panic",
        ],
        any_exit_status: false,
    },
    Boot {
        name: "buttons",
        apps: &["buttons", "c_hello"],
        lanes: &[(
            "buttons",
            &[
                // c_hello runs after buttons has subscribed (slot order).
                Step::Text(&["Hello World!"]),
                Step::Type(PRESS_BUTTON_0),
                Step::Text(&["[led 0] on"]),
                Step::Type(PRESS_BUTTON_0),
                Step::Text(&["[led 0] off"]),
            ],
        )],
        failure_markers: FAILURE_MARKERS,
        any_exit_status: false,
    },
    console_boot(
        "console",
        &[(
            "console",
            &[
                Step::Text(&["processes loaded"]),
                Step::Type(b"ab"),
                Step::Text(&["Got character: 'a'\n"]),
                Step::Text(&["Got character: 'b'\n"]),
            ],
        )],
    ),
    console_boot(
        "console_recv_short",
        &[(
            "console_recv_short",
            &[
                Step::Text(&["processes loaded"]),
                Step::Type(b"hello world"),
                Step::Text(&["console_recv_short: hello world\n"]),
                Step::Text(&["process console_recv_short exited with status 0"]),
            ],
        )],
    ),
    console_boot(
        "console_recv_long",
        &[(
            "console_recv_long",
            &[
                Step::Text(&["processes loaded"]),
                Step::Type(LONG_INPUT),
                Step::Text(&[LONG_OUTPUT]),
                Step::Text(&["process console_recv_long exited with status 0"]),
            ],
        )],
    ),
    console_boot(
        "console_timeout",
        &[(
            "console_timeout",
            &[
                Step::Text(&["processes loaded"]),
                Step::Type(b"abc"),
                Step::Text(&["Userspace call to read console returned: abc\n"]),
                Step::Text(&["process console_timeout exited with status 0"]),
            ],
        )],
    ),
    Boot {
        // Waits out a whole counter period (2^32 ticks, 430 s) plus 10 s:
        // run in virtual time (`VIRTUAL_TIME`), it takes seconds. Alarm 1
        // (period + 1 s, set first) must fire before alarm 2 (set after a
        // period + 10 ms delay, due 10 s later), each by its own expiry.
        name: "alarm_overflow_virtual_time",
        apps: &["multi_alarm_dont_ignore_previous_overflow"],
        lanes: &[(
            "multi_alarm_dont_ignore_previous_overflow",
            &[
                Step::Line(
                    "`1 now expiration`, at most 100 ms late",
                    first_alarm_fired_promptly,
                ),
                Step::Line(
                    "`2 now expiration`, at most 100 ms late",
                    second_alarm_fired_promptly,
                ),
            ],
        )],
        failure_markers: FAILURE_MARKERS,
        any_exit_status: false,
    },
    Boot {
        // The service reads and rewrites the client's buffer in place, at
        // the address its upcall names (the kernel maps it, as upstream's).
        name: "rot13",
        apps: &["rot13_service", "rot13_client"],
        lanes: &[(
            "rot13_client",
            &[
                Step::Text(&["12: Hello World!\n"]),
                Step::Text(&["12: Uryyb Jbeyq!\n"]),
                Step::Text(&["12: Hello World!\n"]),
                Step::Text(&["12: Uryyb Jbeyq!\n"]),
            ],
        )],
        failure_markers: FAILURE_MARKERS,
        any_exit_status: false,
    },
    Boot {
        // kv_unit_tests reports each test through the supervisor, which
        // reads and writes the runner's 256-byte state in place (IPC).
        // set_get_32regions_4..8 set keys 12..31 beside "kvtestapp": our
        // key-value store caps an app at 16 live keys (KEYS_PER_IDENTITY,
        // docs/security.md), so those five fail at their first set past it;
        // upstream's store has no such cap. Everything else passes.
        name: "unit_test_supervisor",
        apps: &["unit_test_supervisor", "kv_unit_tests"],
        lanes: &[
            (
                "unit_test_supervisor",
                &[
                    Step::Line("the first test, exists, passed", first_unit_test_passed),
                    Step::Text(&["set_get_32regions_3      [\u{2713}]\n"]),
                    Step::Text(&["set_get_32regions_4      [FAILED] ret == RETURNCODE_SUCCESS\n"]),
                    Step::Text(&["set_get_32regions_8      [FAILED] ret == RETURNCODE_SUCCESS\n"]),
                    Step::Text(&["garbage_collect          [\u{2713}]\n"]),
                    Step::Text(&["[19/24] Passed, [5/24] Failed, [0/24] Incomplete\n"]),
                ],
            ),
            (
                "kv_unit_tests",
                &[Step::Text(&["process kv_unit_tests exited with status 0"])],
            ),
        ],
        // Not "FAIL": the five capped tests print [FAILED] (counted above).
        failure_markers: &[
            "[ERROR",
            "Expectation failure",
            "faulted",
            "panicked",
            "Panic",
        ],
        any_exit_status: false,
    },
    Boot {
        // The saved count survives the app's restart (process console
        // `boot`) and a reboot of the board (`reset`): the state lives in
        // the app's own flash, written by the app-state driver.
        name: "app_state_persists",
        apps: &["app_state"],
        lanes: &[(
            "app_state",
            &[
                Step::Text(&["Application has never saved state before\n"]),
                Step::Text(&["State saved successfully. Done.\n"]),
                Step::Text(&["process app_state exited with status 0"]),
                Step::Type(b"boot app_state\r"),
                Step::Text(&["This application has run 1 time before\n"]),
                Step::Text(&["State saved successfully. Done.\n"]),
                Step::Text(&["process app_state exited with status 0"]),
                Step::Type(b"reset\r"),
                Step::Text(&["kernel booting"]),
                Step::Text(&["This application has run 2 times before\n"]),
                Step::Text(&["State saved successfully. Done.\n"]),
            ],
        )],
        failure_markers: &["ERROR", "Error", "faulted", "panicked", "Panic"],
        any_exit_status: false,
    },
    Boot {
        name: "mpu_walk_region",
        apps: &["mpu_walk_region"],
        lanes: &[(
            "mpu_walk_region",
            &[
                Step::Text(&["[TEST] MPU Walk Regions\n"]),
                Step::Text(&["Walking flash\n"]),
                Step::Text(&["Walking memory\n"]),
                // The whole memory walk survived: the next round starts.
                Step::Text(&["Walking flash\n"]),
                // Held while the app polls before its next memory walk.
                Step::Repeat(PRESS_BUTTON_0, "Walking memory\n  ! Will overrun"),
                Step::Transcript(
                    "with the overrun's fault exactly at the end of the memory region",
                    memory_overrun_faults_at_the_end,
                ),
                // Held on while it restarts and polls before walking flash.
                Step::Repeat(PRESS_BUTTON_0, "Walking flash\n  ! Will overrun"),
                Step::Transcript(
                    "with the overrun's fault exactly at the end of the flash region",
                    flash_overrun_faults_at_the_end,
                ),
            ],
        )],
        failure_markers: &["FAIL", "panicked", "Panic"],
        any_exit_status: false,
    },
];

/// 61 characters: console_recv_long reads exactly that many.
const LONG_INPUT: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY";
const LONG_OUTPUT: &str =
    "console_recv_long: 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY\n";

/// A boot of one app that reads the console (so nothing else competes for
/// the typed bytes); it types once the kernel has loaded the app.
pub const fn console_boot(name: &'static str, lanes: &'static [Lane]) -> Boot {
    let apps: &'static [&'static str] = match lanes {
        [(app, _)] => std::slice::from_ref(app),
        _ => &[],
    };
    Boot {
        name,
        apps,
        lanes,
        failure_markers: &["Error", "faulted", "panicked", "Panic"],
        any_exit_status: false,
    }
}

/// Boots run in virtual time: QEMU counts time by instructions and, while
/// the guest waits in `wfi`, skips straight to the next timer deadline
/// (`-icount` with `sleep=off`), so minutes of alarms pass in seconds.
pub const VIRTUAL_TIME: &[&str] = &["alarm_overflow_virtual_time"];

/// QEMU's arguments for [`VIRTUAL_TIME`] boots.
pub const VIRTUAL_TIME_ARGUMENTS: &[&str] = &["-icount", "shift=0,align=off,sleep=off"];

/// Apps with a runner of their own: keyboard_hid (`keyboard.rs`) needs the
/// HID link's host end besides the console, invs_no_permission
/// (`storage_refusal.rs`) a signed image and a kernel that trusts its key.
pub const OWN_RUNNER: &[&str] = &["keyboard_hid", "invs_no_permission"];

#[cfg(test)]
mod tests {
    use super::super::build::{APPS, SLOTS};
    use super::*;

    #[test]
    fn every_boot_names_built_apps_and_fits_the_board() {
        for boot in all() {
            assert!(
                !boot.apps.is_empty() && boot.apps.len() <= SLOTS,
                "{}",
                boot.name
            );
            for app in boot.apps {
                assert!(APPS.iter().any(|built| built.name == *app), "{app}");
            }
        }
    }

    #[test]
    fn every_virtual_time_boot_is_a_boot() {
        for name in VIRTUAL_TIME {
            assert!(all().any(|boot| boot.name == *name), "{name}");
        }
    }

    #[test]
    fn console_recv_long_gets_the_61_characters_it_reads() {
        assert_eq!(LONG_INPUT.len(), 61);
        assert!(LONG_OUTPUT.contains(std::str::from_utf8(LONG_INPUT).unwrap_or("-")));
    }

    #[test]
    fn every_built_app_runs() {
        for app in APPS {
            let runs =
                all().any(|boot| boot.apps.contains(&app.name)) || OWN_RUNNER.contains(&app.name);
            assert!(runs, "{} is built but no boot runs it", app.name);
        }
    }
}
