//! The boots of upstream libtock-c's smaller test apps (issue 15): the
//! MPU unit tests, the apps that fault on purpose, the apps whose driver
//! our board lacks (their no-driver path is asserted), and the key-value
//! and console apps that need a boot of their own. `boots.rs` holds the
//! first set; [`super::boots::all`] runs both.

use super::boots::console_boot;
use super::fault_checks::{
    bare_bones_waits_in_its_one_yield, dated_two_seconds_after_setting,
    every_register_value_printed, fault_at_printed_ram_end, fault_one_past_last_byte,
    fault_one_past_last_flash_byte, no_libc_faults_reading_at_its_break,
    stack_growth_faults_below_ram,
};
use super::script::{Boot, Step};

/// The emulated button 0, clicked over the serial line.
const PRESS_BUTTON_0: &[u8] = b"\x1bB0";

/// Markers for boots whose apps fault on purpose: only a kernel panic or
/// an upstream `FAIL!` line (printed after an access that should fault).
const FAULTING_MARKERS: &[&str] = &["FAIL", "panicked", "Panic"];

/// The boots of this set, run after `boots::BOOTS`.
pub const BOOTS: &[Boot] = &[
    Boot {
        name: "printf_led_flash_regions_registers",
        apps: &[
            "printf_long",
            "led-odd",
            "writeable_flash_regions",
            "register-debug",
        ],
        lanes: &[
            (
                "printf_long",
                &[
                    Step::Text(&[
                        "Hi welcome to Tock. This test makes sure that a greater than 64 byte \
                         message can be printed.\n",
                    ]),
                    Step::Text(&["And a short message.\n"]),
                    Step::Text(&["process printf_long exited with status 0"]),
                ],
            ),
            (
                // Odd LEDs on, even ones off (LED 0 starts off: no line).
                "led-odd",
                &[
                    Step::Text(&["[led 1] on"]),
                    Step::Text(&["process led-odd exited with status 0"]),
                ],
            ),
            (
                "writeable_flash_regions",
                &[
                    Step::Text(&["No writeable flash regions defined in this app's header.\n"]),
                    Step::Text(&["process writeable_flash_regions exited with status 0"]),
                ],
            ),
            (
                // Every register holds a known value when it stores to
                // 0xabc04321; the kernel's report shows each of them.
                "register-debug",
                &[
                    Step::Text(&[
                        "process register-debug faulted: store access fault at address 0xabc04321",
                    ]),
                    Step::Transcript(
                        "with x1..x31 = 0xabc04321..0xabc0433f in the fault report",
                        every_register_value_printed,
                    ),
                ],
            ),
        ],
        failure_markers: &[
            "FAIL",
            "process printf_long faulted",
            "process led-odd faulted",
            "process writeable_flash_regions faulted",
            "panicked",
            "Panic",
        ],
        any_exit_status: false,
    },
    Boot {
        name: "mpu_unit_flash_ram_grant",
        apps: &[
            "mpu_flash_end",
            "mpu_flash_start",
            "mpu_ram_end",
            "mpu_grant_start",
        ],
        lanes: &[
            (
                "mpu_flash_end",
                &[
                    Step::Text(&["[TEST] MPU Flash End\n"]),
                    Step::Text(&["Reading next byte...\n"]),
                    Step::Transcript(
                        "with a load fault one byte past the last flash byte read",
                        fault_one_past_last_flash_byte,
                    ),
                ],
            ),
            (
                "mpu_flash_start",
                &[
                    Step::Text(&["[TEST] MPU Flash Start Write\n"]),
                    Step::Text(&["Writing first byte in flash...\n"]),
                    Step::Text(&["process mpu_flash_start faulted: store access fault"]),
                ],
            ),
            (
                "mpu_ram_end",
                &[
                    Step::Text(&["[TEST] MPU RAM End\n"]),
                    Step::Text(&["This should fault if there is a grant region.\n"]),
                    Step::Transcript(
                        "with a load fault at the last RAM byte (grant memory)",
                        fault_at_printed_ram_end,
                    ),
                ],
            ),
            (
                "mpu_grant_start",
                &[
                    Step::Text(&["[TEST] MPU Grant Start\n"]),
                    Step::Text(&["Reading from grant region\n"]),
                    Step::Text(&["process mpu_grant_start faulted: load access fault"]),
                ],
            ),
        ],
        failure_markers: FAULTING_MARKERS,
        any_exit_status: false,
    },
    Boot {
        name: "mpu_heap_stack_no_libc_bare_bones",
        apps: &[
            "mpu_heap_end",
            "mpu_stack_growth",
            "mpu_no_libc",
            "bare_bones",
        ],
        lanes: &[
            (
                "mpu_heap_end",
                &[
                    Step::Text(&["[TEST] MPU test end of readable RAM\n"]),
                    Step::Text(&["Finding end of heap region...\n"]),
                    Step::Transcript(
                        "with a load fault one byte past the last heap byte read",
                        fault_one_past_last_byte,
                    ),
                ],
            ),
            (
                "mpu_stack_growth",
                &[
                    Step::Text(&["[TEST] MPU Stack Growth\n"]),
                    Step::Text(&["stack: "]),
                    Step::Transcript(
                        "with a store fault below the process's RAM start",
                        stack_growth_faults_below_ram,
                    ),
                ],
            ),
            (
                // Raw assembly, no crt0, printing over low-level debug.
                // Steps 0-6 print its entry registers; step 7 reads
                // [RAM start, break) a word at a time but reads before it
                // compares, assuming break >= start + 4 (upstream's older
                // kernels gave 3 KiB at start). Ours starts the break at
                // the RAM start, as upstream's current one does (FACTS.md),
                // so that first read faults, at exactly that address.
                "mpu_no_libc",
                &[
                    Step::Text(&["prints 0x0\n"]),
                    Step::Text(&["prints 0x6 "]),
                    Step::Text(&["prints 0x7\n"]),
                    Step::Transcript(
                        "with a load fault at its RAM start, which is its break",
                        no_libc_faults_reading_at_its_break,
                    ),
                ],
            ),
            (
                // Yields at once, with no stack or heap, and never faults:
                // the process console lists it, waiting.
                "bare_bones",
                &[
                    Step::Text(&["process mpu_no_libc stopped after fault"]),
                    Step::Type(b"list\r"),
                    Step::Line(
                        "bare_bones Yielded after 1 syscall, 0 restarts",
                        bare_bones_waits_in_its_one_yield,
                    ),
                ],
            ),
        ],
        failure_markers: &["FAIL", "process bare_bones faulted", "panicked", "Panic"],
        any_exit_status: false,
    },
    Boot {
        name: "hello_loop_button_print_zero_memory_crash_syscall",
        apps: &[
            "hello_loop",
            "button_print",
            "zero_memory_checker",
            "crash_immediately_syscall",
        ],
        lanes: &[
            (
                "hello_loop",
                &[
                    Step::Text(&["Hello\n"]),
                    Step::Text(&["Hello\n"]),
                    Step::Text(&["Hello\n"]),
                ],
            ),
            (
                "button_print",
                &[
                    Step::Text(&["[TEST] Button Press\n"]),
                    Step::Type(PRESS_BUTTON_0),
                    Step::Text(&["Button Press! Button: 0 Status: 0\n"]),
                    Step::Text(&["App address: 0x20050000\n"]),
                ],
            ),
            (
                // Memory is zero, it is written, the app restarts itself,
                // and its fresh memory is zero again.
                "zero_memory_checker",
                &[
                    Step::Text(&["[ZMC] Memory was zero! This is good."]),
                    Step::Text(&["[ZMC] Rebooting\n"]),
                    Step::Text(&["[ZMC] Look if memory is zeroed.\n"]),
                    Step::Text(&["[ZMC] Memory was zero! This is good."]),
                ],
            ),
            (
                // Its only instruction is a syscall of class 0xbd. Upstream
                // faults the process there; ours answers Failure NOSUPPORT
                // (docs/compatibility.md, where we differ), and with no
                // instruction after the ecall the app runs off its end and
                // faults on what follows: faulted either way.
                "crash_immediately_syscall",
                &[Step::Text(&["process crash_immediately_syscall faulted"])],
            ),
        ],
        failure_markers: &[
            "ERROR",
            "process hello_loop faulted",
            "process button_print faulted",
            "process zero_memory_checker faulted",
            "panicked",
            "Panic",
        ],
        any_exit_status: false,
    },
    Boot {
        // qemu-rv32-virt has no GPIO controller, so no GPIO driver (0x4)
        // or asynchronous GPIO driver (0x80003): each app's path without
        // one, as upstream wrote it.
        name: "gpio_without_pins",
        apps: &["gpio_async", "gpio_interrupt", "gpio_original", "gpio_sync"],
        lanes: &[
            (
                "gpio_async",
                &[
                    Step::Text(&["[TEST] GPIO Async\n"]),
                    Step::Text(&["Toggling port 0 pin 0\n"]),
                ],
            ),
            (
                "gpio_interrupt",
                &[
                    Step::Text(&["[Test] GPIO Interrupt\n"]),
                    Step::Text(&["Jump GPIO pin 0 high to test.\n"]),
                ],
            ),
            (
                "gpio_original",
                &[
                    Step::Text(&["GPIO Test Application\n"]),
                    Step::Text(&["Periodically toggling pin\n"]),
                ],
            ),
            (
                "gpio_sync",
                &[
                    Step::Text(&["[Test] GPIO Sync Interrupt\n"]),
                    // tock_strrcode(RETURNCODE_ENODEVICE), exit -1.
                    Step::Text(&["[ERROR] Device does not exist\n"]),
                    Step::Text(&["process gpio_sync exited with status 4294967295"]),
                ],
            ),
        ],
        failure_markers: &[
            "GPIO Interrupt!",
            "INTERRUPT",
            "faulted",
            "panicked",
            "Panic",
        ],
        any_exit_status: true,
    },
    Boot {
        name: "rtc_usb_gpio_loopback_kv_system",
        apps: &["rtc", "usb", "gpio_loopback_test", "kv_system"],
        lanes: &[
            (
                // Sets 2023-01-01 12:30:01 "Monday", waits 2 s, reads it
                // back. The goldfish RTC counts time since the epoch, so
                // the weekday read back is the calendar's: Sunday (0).
                "rtc",
                &[Step::Line(
                    "a date two seconds after the one set",
                    dated_two_seconds_after_setting,
                )],
            ),
            (
                "usb",
                &[
                    Step::Text(&["USB test: driver is not present\n"]),
                    Step::Text(&["process usb exited with status 4294967295"]),
                ],
            ),
            (
                "gpio_loopback_test",
                &[
                    Step::Text(&["[TEST] GPIO Loopback\n"]),
                    Step::Text(&[
                        "ERROR: This board does not have at least two GPIO pins for this test.\n",
                    ]),
                    Step::Text(&["process gpio_loopback_test exited with status 4294967295"]),
                ],
            ),
            (
                // Set, get, delete, then a get that must fail: the app
                // ends with `Failure 10` (NOSUPPORT, upstream's code for a
                // missing key) and exit -1, as upstream wrote it.
                "kv_system",
                &[
                    Step::Text(&["[TEST] KV System Example Test\r\n"]),
                    Step::Text(&[
                        "Finish retrieving the key: \"My secret key that no one knows\"\r\n",
                    ]),
                    Step::Text(&["Getting the key, again...\r\n"]),
                    Step::Text(&["This should fail\r\n"]),
                    Step::Text(&["Failure 10\n"]),
                    Step::Text(&["process kv_system exited with status 4294967295"]),
                ],
            ),
        ],
        failure_markers: &["Comparison failure", "faulted", "panicked", "Panic"],
        any_exit_status: true,
    },
    console_boot(
        // The number is random (0..65535); a guess below any of them and
        // one above all of them get their answers. The app reads its
        // "echo" with a console read (upstream's putnstr calls
        // libtocksync_console_read), so every digit typed after the first
        // of a pair is swallowed: "--11" is "-1", "7700000000" is 70000.
        "number_guess_game",
        &[(
            "number_guess_game",
            &[
                Step::Text(&["processes loaded"]),
                Step::Text(&["Welcome to the number guessing game!\n"]),
                Step::Text(&["OK I have selected a random number between 0 and 65535\n"]),
                Step::Text(&[
                    "Enter your guesses, and I will let you know when you are correct!\n",
                ]),
                Step::Type(b"--11\r"),
                Step::Text(&["Nope. You are too low\n"]),
                Step::Type(b"7700000000\r"),
                Step::Text(&["Not quite. Please choose a lower number.\n"]),
            ],
        )],
    ),
    Boot {
        // The app and the process console both read what is typed: the
        // console answers each line with its help (not a failure here).
        name: "kv_interactive",
        apps: &["kv_interactive"],
        lanes: &[(
            "kv_interactive",
            &[
                Step::Text(&["processes loaded"]),
                Step::Text(&["   delete <key>\n"]),
                Step::Type(b"set tock rocks\r"),
                Step::Text(&["Setting tock=rocks\n"]),
                Step::Text(&["Set key-value\n"]),
                Step::Type(b"get tock\r"),
                Step::Text(&["Got value: rocks\n"]),
                Step::Type(b"add tock again\r"),
                // add refuses a key that exists.
                Step::Text(&["Error adding key -10\n"]),
                Step::Type(b"update tock roll\r"),
                Step::Text(&["Updated key-value\n"]),
                Step::Type(b"get tock\r"),
                Step::Text(&["Got value: roll\n"]),
                Step::Type(b"delete tock\r"),
                Step::Text(&["Deleted key\n"]),
                Step::Type(b"get tock\r"),
                Step::Text(&["Could not get key: -10\n"]),
                Step::Type(b"clear\r"),
                Step::Text(&["KV: unknown command\n"]),
            ],
        )],
        failure_markers: &["Error reading stdin", "faulted", "panicked", "Panic"],
        any_exit_status: false,
    },
    Boot {
        // Upstream's storage-permission tests, reported through the
        // supervisor. Their TBF permission headers (write, read and
        // modify ids) are unsigned; our store trusts such a header only
        // when the app is signed (docs/security.md), so each app stores
        // under its own short id and may read, overwrite and delete its
        // own keys: the tests that expect a refusal fail, counted below.
        // Two seconds after the last test the supervisor aborts in
        // libtock's alarm upcall: libtock_alarm_cancel leaves the kernel
        // alarm armed when it removes the last alarm (upstream
        // libtock-c's own bug; its kernel delivers that upcall alike). A
        // third runner would not get its turn before that abort, so
        // kv_no_write has a boot of its own.
        name: "kv_permissions",
        apps: &["unit_test_supervisor", "kv_no_modify", "kv_no_read"],
        lanes: &[
            (
                "kv_no_modify",
                &[
                    Step::Text(&["1.001: set_get                  [\u{2713}]\n"]),
                    Step::Text(&[
                        "1.002: set_set                  [FAILED] ret == RETURNCODE_ENOSUPPORT\n",
                    ]),
                    Step::Text(&[
                        "1.003: set_delete               [FAILED] ret == RETURNCODE_ENOSUPPORT\n",
                    ]),
                    Step::Text(&["Summary 1: [2/4] Passed, [2/4] Failed, [0/4] Incomplete\n"]),
                ],
            ),
            (
                "kv_no_read",
                &[
                    Step::Text(&[
                        "2.001: set_get_no_permissions   [FAILED] ret == RETURNCODE_ENOSUPPORT\n",
                    ]),
                    Step::Text(&["Summary 2: [1/2] Passed, [1/2] Failed, [0/2] Incomplete\n"]),
                ],
            ),
            (
                "unit_test_supervisor",
                &[
                    Step::Text(&["process kv_no_read exited with status 0"]),
                    Step::Text(&[SUPERVISOR_ABORT]),
                    Step::Text(&["process org.tockos.unit_test exited with status 1"]),
                ],
            ),
        ],
        failure_markers: &["[ERROR", "faulted", "panicked", "Panic"],
        any_exit_status: true,
    },
    Boot {
        // As kv_permissions: unsigned, so its write id is its own short id
        // and the set it expects to be refused (INVAL) succeeds.
        name: "kv_no_write",
        apps: &["unit_test_supervisor", "kv_no_write"],
        lanes: &[(
            "kv_no_write",
            &[
                Step::Text(&["1.000: exists                   [\u{2713}]\n"]),
                Step::Text(&[
                    "1.001: set_no_permissions       [FAILED] ret == RETURNCODE_EINVAL\n",
                ]),
                Step::Text(&["Summary 1: [1/2] Passed, [1/2] Failed, [0/2] Incomplete\n"]),
                Step::Text(&["process kv_no_write exited with status 0"]),
                Step::Text(&[SUPERVISOR_ABORT]),
                Step::Text(&["process org.tockos.unit_test exited with status 1"]),
            ],
        )],
        failure_markers: &["[ERROR", "faulted", "panicked", "Panic"],
        any_exit_status: true,
    },
    Boot {
        name: "eui64_crc_hifive1b",
        apps: &["eui64", "crc", "hifive1b"],
        lanes: &[
            // Every upstream test case's CRC, in order, each `(OK)`: the
            // software CRC driver (0x40002).
            ("crc", CRC_CASES),
            (
                // The board's fixed EUI-64, printed byte by byte in memory
                // order (qemu-rv32-virt's main.rs).
                "eui64",
                &[
                    Step::Text(&["[EUI64] EUI-64 test app\n"]),
                    Step::Text(&["EUI-64: 0271656d75000001\n"]),
                    Step::Text(&["process eui64 exited with status 0"]),
                ],
            ),
            (
                // Built small for the HiFive1 Rev B: one console write,
                // then it yields for ever.
                "hifive1b",
                &[Step::Text(&["Hello from HiFive1b!\r\n"])],
            ),
        ],
        failure_markers: &[
            "(Expected",
            "CRC compute failed",
            "FAIL",
            "ERROR",
            "faulted",
            "panicked",
            "Panic",
        ],
        any_exit_status: false,
    },
];

/// The supervisor's abort two seconds after its last test (see the
/// kv_permissions boot).
const SUPERVISOR_ABORT: &str =
    "assertion \"head != NULL && !is_within(scheduled, head->reference, \
                                head->dt)\" failed";

/// What the crc app prints for its 21 cases (examples/tests/crc's
/// test_cases.h, in order), after its random `[procid]` prefix.
const CRC_CASES: &[Step] = &[
    Step::Text(&["Case  0: result=00001541 (OK)\n"]),
    Step::Text(&["Case  1: result=0000b34b (OK)\n"]),
    Step::Text(&["Case  2: result=00001c2d (OK)\n"]),
    Step::Text(&["Case  3: result=0000d5a8 (OK)\n"]),
    Step::Text(&["Case  4: result=0000c21f (OK)\n"]),
    Step::Text(&["Case  5: result=000035b3 (OK)\n"]),
    Step::Text(&["Case  6: result=000057c4 (OK)\n"]),
    Step::Text(&["Case  7: result=0000e06e (OK)\n"]),
    Step::Text(&["Case  8: result=0000ec86 (OK)\n"]),
    Step::Text(&["Case  9: result=00007b2e (OK)\n"]),
    Step::Text(&["Case 10: result=0000dfca (OK)\n"]),
    Step::Text(&["Case 11: result=00002dfe (OK)\n"]),
    Step::Text(&["Case 12: result=000039bc (OK)\n"]),
    Step::Text(&["Case 13: result=0000b881 (OK)\n"]),
    Step::Text(&["Case 14: result=0e6f94bc (OK)\n"]),
    Step::Text(&["Case 15: result=a6669d7d (OK)\n"]),
    Step::Text(&["Case 16: result=44050cda (OK)\n"]),
    Step::Text(&["Case 17: result=595b8bc2 (OK)\n"]),
    Step::Text(&["Case 18: result=2c775665 (OK)\n"]),
    Step::Text(&["Case 19: result=063962b9 (OK)\n"]),
    Step::Text(&["Case 20: result=b5ddeb44 (OK)\n"]),
];
