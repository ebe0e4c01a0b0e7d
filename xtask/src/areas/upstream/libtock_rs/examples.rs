//! What each upstream libtock-rs example must print on each of our boards,
//! and why the others are not run. The lines come from reading upstream's
//! `examples/*.rs` (facts about their output, not their code) and from our
//! boards' emulated devices (`[led N] on`, the button escape).

use anyhow::{ensure, Result};

/// What the kernel prints when a process ends with status 0.
const EXITED_OK: &str = "exited with status 0";
/// What clicks button 0 on both emulated boards (docs/boards/).
const CLICK_BUTTON_0: &[u8] = b"\x1bB0";

/// One upstream example run on one board.
pub struct Example {
    /// The example's name in upstream's `examples/` (its binary).
    pub name: &'static str,
    /// Console text that must appear, in order.
    pub expected: &'static [&'static str],
    /// Typed on the serial line once the first expected line appeared.
    pub input: &'static [u8],
    /// A further check of the whole console output once every line came.
    pub check: Option<fn(&str) -> Result<()>>,
    /// Then typed on the process console, with the text that must follow.
    pub afterwards: Option<Afterwards>,
}

/// A process console command typed after the example's lines, and the
/// text its answer must hold, in order.
pub struct Afterwards {
    pub typed: &'static [u8],
    pub expected: &'static [&'static str],
}

/// An example that prints `expected` and nothing is typed.
const fn lines(name: &'static str, expected: &'static [&'static str]) -> Example {
    Example {
        name,
        expected,
        input: b"",
        check: None,
        afterwards: None,
    }
}

/// Both LEDs toggle together every 250 ms, forever.
const LEDS: Example = lines(
    "leds",
    &[
        "[led 0] on",
        "[led 1] on",
        "[led 0] off",
        "[led 1] off",
        "[led 0] on",
    ],
);

/// The LEDs count in binary every 250 ms, forever (count 0 leaves both
/// off, so the first change is LED 0 going on at count 1).
const BLINK: Example = lines(
    "blink",
    &[
        "[led 0] on",
        "[led 0] off",
        "[led 1] on",
        "[led 0] on",
        "[led 0] off",
        "[led 1] off",
    ],
);

const CONSOLE: Example = lines("console", &["Hello world!", EXITED_OK]);

/// Upstream's messages and ours are the same; the app id is the kernel's.
const LOW_LEVEL_DEBUG: Example = lines(
    "low_level_debug",
    &[
        "LowLevelDebug: App 0x",
        " prints 0x1\n",
        "LowLevelDebug: App 0x",
        " prints 0x2 0x3\n",
        EXITED_OK,
    ],
);

/// One click: the listener hears the press, then the release (the
/// emulated button holds the press for tens of milliseconds, as a finger
/// would; pressed and released back to back, the example loses the press).
/// Then the process console must answer `list` with no trace of the click
/// in its input line (the sequence is taken off the line before it).
const BUTTONS: Example = Example {
    name: "buttons",
    expected: &["button count: 1", "button 0: Pressed", "button 0: Released"],
    input: CLICK_BUTTON_0,
    check: None,
    afterwards: Some(Afterwards {
        typed: b"list\r",
        expected: &["list\r\n PID ", " buttons ", "tock$ "],
    }),
};

/// Neither board has GPIO pins for apps (QEMU's virt and mps2 machines
/// offer no GPIO controller), so the example says so and ends.
const GPIO: Example = lines("gpio", &["No GPIO pins on this board.", EXITED_OK]);

/// The examples on qemu-rv32-virt.
pub const RV32_EXAMPLES: &[Example] = &[
    CONSOLE,
    LEDS,
    BLINK,
    BUTTONS,
    LOW_LEVEL_DEBUG,
    Example {
        name: "rng",
        // The third marker means the first two lines are whole.
        expected: &["Randomness: ", "Randomness: ", "Randomness: "],
        input: b"",
        check: Some(two_different_random_lines),
        afterwards: None,
    },
    Example {
        name: "rng_async",
        // The third marker means the first two lines are whole.
        expected: &["Randomness: ", "Randomness: ", "Randomness: "],
        input: b"",
        check: Some(two_different_random_lines),
        afterwards: None,
    },
    lines(
        "kv",
        &[
            "KV available!",
            // Key "a" was never set on a fresh flash.
            "error KV::get()",
            "Successfully set the key-value",
            "Got value len: 11",
            "Value: kv test app",
            "Successfully deleted the key-value",
            "error KV::get()",
            EXITED_OK,
        ],
    ),
    GPIO,
];

/// The examples on mps2-an386. It has no entropy source and no flash for
/// a store (docs/boards/mps2-an386.md), so rng and kv run their
/// missing-driver paths: that proves the kernel answers NODEVICE the way
/// upstream's APIs expect.
pub const MPS2_EXAMPLES: &[Example] = &[
    CONSOLE,
    LEDS,
    BLINK,
    BUTTONS,
    LOW_LEVEL_DEBUG,
    lines("rng", &["RNG DRIVER ERROR: NODEVICE", EXITED_OK]),
    lines(
        "kv",
        &[
            "ERR! KV unavailable",
            "error KV::get()",
            "error KV::set()",
            "error KV::get()",
            "error KV::delete()",
            "error KV::get()",
            EXITED_OK,
        ],
    ),
    GPIO,
];

/// Upstream examples run on neither board, each with its exact reason
/// (the same for both boards). docs/compatibility.md repeats them.
pub const NOT_RUN: &[(&str, &str)] = &[
    ("adc", "no ADC driver (0x5): QEMU's virt and mps2-an386 machines have no ADC"),
    ("ambient_light", "no ambient light driver (0x60002): no such sensor in QEMU"),
    ("i2c_master_write_read", "no I2C master/slave driver (0x20006): neither machine has an I2C controller our kernel drives, nor a device on the bus"),
    ("i2c_slave_send_recv", "no I2C master/slave driver (0x20006): needs an I2C controller and a second device on the bus"),
    ("ieee802154_raw", "no IEEE 802.15.4 PHY driver (0x30001): no radio in QEMU"),
    ("ieee802154_rx_raw", "no IEEE 802.15.4 PHY driver (0x30001): no radio in QEMU"),
    ("ieee802154_rx_tx_raw", "no IEEE 802.15.4 PHY driver (0x30001): no radio in QEMU"),
    ("ieee802154_tx_raw", "no IEEE 802.15.4 PHY driver (0x30001): no radio in QEMU"),
    ("music", "no buzzer driver (0x90000): no buzzer in QEMU"),
    ("ninedof", "no nine-degrees-of-freedom sensor driver (0x60004): no such sensor in QEMU"),
    ("proximity", "no proximity sensor driver (0x60005): no such sensor in QEMU"),
    ("screen", "no screen driver (0x90001): our boards offer no display (QEMU could, through virtio-gpu or ramfb; we have no driver for either)"),
    ("sound_pressure", "no sound pressure sensor driver (0x60006): no such sensor in QEMU"),
    ("spi_controller_write_read", "no SPI controller driver (0x20001): no SPI bus in either machine"),
    ("temperature", "no temperature sensor driver (0x60000): no such sensor in QEMU"),
    ("usb_i2c_mctp", "no I2C master/slave driver (0x20006): needs an I2C bus with an MCTP host on it"),
];

/// `rng` and `rng_async` print `Randomness: ` and 32 bytes in hex, every
/// two seconds: at least two such lines, each of 64 hex digits, and not
/// all the same (a stuck source would repeat).
fn two_different_random_lines(output: &str) -> Result<()> {
    let values: Vec<&str> = output
        .split("Randomness: ")
        .skip(1)
        .filter_map(|rest| rest.lines().next())
        .map(str::trim)
        .filter(|value| value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit()))
        .collect();
    ensure!(
        values.len() >= 2,
        "expected two lines of 64 hex digits after `Randomness: `, found {values:?}"
    );
    ensure!(
        values.windows(2).any(|pair| pair[0] != pair[1]),
        "the random values repeat: {values:?}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example in upstream's `examples/` is run on a board or has a
    /// reason here: a new upstream example fails this until placed.
    #[test]
    fn every_upstream_example_is_run_or_has_a_reason() {
        let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let directory = crate::areas::upstream::snapshots(&workspace).join("libtock-rs/examples");
        let entries = std::fs::read_dir(&directory)
            .unwrap_or_else(|error| panic!("reading {}: {error}", directory.display()));
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                name.strip_suffix(".rs").map(str::to_string)
            })
            .collect();
        names.sort();
        assert!(!names.is_empty(), "no examples in {}", directory.display());
        for name in &names {
            let run = RV32_EXAMPLES
                .iter()
                .chain(MPS2_EXAMPLES)
                .any(|example| example.name == name);
            let reason = NOT_RUN.iter().any(|(not_run, _)| not_run == name);
            assert!(run != reason, "{name}: run on a board xor given a reason");
        }
        for (name, _) in NOT_RUN {
            assert!(
                names.iter().any(|known| known == name),
                "{name} is not upstream's"
            );
        }
    }

    #[test]
    fn random_lines_must_be_hex_and_differ() {
        let a = "ab".repeat(32);
        let b = "cd".repeat(32);
        let good = format!("Randomness: {a}\r\nRandomness: {b}\r\n");
        assert!(two_different_random_lines(&good).is_ok());
        let stuck = format!("Randomness: {a}\r\nRandomness: {a}\r\n");
        assert!(two_different_random_lines(&stuck).is_err());
        assert!(two_different_random_lines("Randomness: 12\nRandomness: zz\n").is_err());
    }
}
