//! Driver numbers: upstream Tock's, so apps find the same drivers here.

/// The number a process passes to subscribe, command and allow to name a
/// driver. Command 0 of every driver is the existence check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct DriverNumber(pub u32);

impl DriverNumber {
    /// Virtualised alarm.
    pub const ALARM: DriverNumber = DriverNumber(0x0);
    /// Console (upstream's interface).
    pub const CONSOLE: DriverNumber = DriverNumber(0x1);
    /// LEDs.
    pub const LED: DriverNumber = DriverNumber(0x2);
    /// Buttons.
    pub const BUTTON: DriverNumber = DriverNumber(0x3);
    /// GPIO pins.
    pub const GPIO: DriverNumber = DriverNumber(0x4);
    /// Analog-to-digital converter.
    pub const ADC: DriverNumber = DriverNumber(0x5);
    /// Low-level debug: prints numbers without any buffer.
    pub const LOW_LEVEL_DEBUG: DriverNumber = DriverNumber(0x8);
    /// Inter-process communication.
    pub const IPC: DriverNumber = DriverNumber(0x10000);
    /// Installing apps from a process.
    pub const APP_LOADER: DriverNumber = DriverNumber(0x10001);
    /// Information about the processes on the board.
    pub const PROCESS_INFO: DriverNumber = DriverNumber(0x10002);
    /// The board's EUI-64 (64-bit extended unique identifier).
    pub const EUI64: DriverNumber = DriverNumber(0x30006);
    /// Random numbers.
    pub const RNG: DriverNumber = DriverNumber(0x40001);
    /// CRC computation.
    pub const CRC: DriverNumber = DriverNumber(0x40002);
    /// HMAC.
    pub const HMAC: DriverNumber = DriverNumber(0x40003);
    /// CTAP over HID (FIDO).
    pub const CTAP: DriverNumber = DriverNumber(0x40004);
    /// SHA digests.
    pub const SHA: DriverNumber = DriverNumber(0x40005);
    /// AES.
    pub const AES: DriverNumber = DriverNumber(0x40006);
    /// App state: a process rewrites bytes of its own flash image
    /// (upstream's app flash driver; libtock-c's `app_state`).
    pub const APP_STATE: DriverNumber = DriverNumber(0x50000);
    /// Key-value store, isolated per app identity.
    pub const KV: DriverNumber = DriverNumber(0x50003);
    /// Isolated non-volatile storage: a flash region of each app identity's
    /// own, read and written at byte offsets.
    pub const ISOLATED_NONVOLATILE_STORAGE: DriverNumber = DriverNumber(0x50004);
    /// USB keyboard HID.
    pub const USB_KEYBOARD_HID: DriverNumber = DriverNumber(0x90005);
    /// Real-time clock: the date and time (upstream's `DateTime` driver;
    /// libtock-c calls it `rtc`).
    pub const DATE_TIME: DriverNumber = DriverNumber(0x90007);
    /// Our emulator boards' test driver (end QEMU with a status, probe
    /// return variants, wake processes for benchmarks): outside upstream's
    /// allocated ranges. Not in [`DriverNumber::ALL`], so that the syscall
    /// fuzzer and libtock-c's header never reach it by enumeration.
    pub const EMULATOR_TEST: DriverNumber = DriverNumber(0xE_0000);

    /// Every named driver, with upstream's name for it.
    pub const ALL: &'static [(DriverNumber, &'static str)] = &[
        (Self::ALARM, "alarm"),
        (Self::CONSOLE, "console"),
        (Self::LED, "led"),
        (Self::BUTTON, "button"),
        (Self::GPIO, "gpio"),
        (Self::ADC, "adc"),
        (Self::LOW_LEVEL_DEBUG, "low_level_debug"),
        (Self::IPC, "ipc"),
        (Self::APP_LOADER, "app_loader"),
        (Self::PROCESS_INFO, "process_info"),
        (Self::EUI64, "eui64"),
        (Self::RNG, "rng"),
        (Self::CRC, "crc"),
        (Self::HMAC, "hmac"),
        (Self::CTAP, "ctap"),
        (Self::SHA, "sha"),
        (Self::AES, "aes"),
        (Self::APP_STATE, "app_state"),
        (Self::KV, "kv"),
        (
            Self::ISOLATED_NONVOLATILE_STORAGE,
            "isolated_nonvolatile_storage",
        ),
        (Self::USB_KEYBOARD_HID, "usb_keyboard_hid"),
        (Self::DATE_TIME, "rtc"),
    ];
}

impl From<DriverNumber> for u32 {
    fn from(driver: DriverNumber) -> u32 {
        driver.0
    }
}

impl From<u32> for DriverNumber {
    fn from(raw: u32) -> Self {
        DriverNumber(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_match_upstream() {
        for (index, (number, _)) in DriverNumber::ALL.iter().enumerate() {
            for (other, _) in &DriverNumber::ALL[index + 1..] {
                assert_ne!(number, other);
            }
        }
        assert_eq!(DriverNumber::PROCESS_INFO.0, 0x10002);
        assert_eq!(DriverNumber::USB_KEYBOARD_HID.0, 0x90005);
        assert_eq!(DriverNumber::DATE_TIME.0, 0x90007);
        assert_eq!(DriverNumber::EUI64.0, 0x30006);
        assert_eq!(DriverNumber::CRC.0, 0x40002);
    }
}
