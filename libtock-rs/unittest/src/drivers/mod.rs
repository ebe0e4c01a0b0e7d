//! Fake drivers, one per API crate, each following its capsule's interface
//! (documented in docs/libtock-rs.md). Each completes an operation when
//! the command runs if it can, else when the app blocks (`on_idle`), and
//! offers test methods to feed input and read what the app did.

mod alarm;
mod buttons;
mod console;
mod crypto;
mod date_time;
mod gpio;
mod isolated_nonvolatile_storage;
mod key_value;
mod leds;
mod low_level_debug;
mod process_info;
mod rng;
mod usb;

pub use alarm::Alarm;
pub use buttons::Buttons;
pub use console::Console;
pub use crypto::{Aes, Hmac, Sha};
pub use date_time::DateTime;
pub use gpio::{Gpio, PinMode};
pub use isolated_nonvolatile_storage::IsolatedNonvolatileStorage;
pub use key_value::KeyValue;
pub use leds::Leds;
pub use low_level_debug::{LowLevelDebug, LowLevelDebugMessage};
pub use process_info::{FakeProcess, ProcessInfo};
pub use rng::Rng;
pub use usb::{Ctap, UsbKeyboardHid};

use libtock_platform::{CommandReturn, ErrorCode};

/// A command result from `Result<(), ErrorCode>`.
pub(crate) fn unit_result(result: Result<(), ErrorCode>) -> CommandReturn {
    match result {
        Ok(()) => CommandReturn::success(),
        Err(error) => CommandReturn::failure(error),
    }
}

/// The status word of an upcall: 0 or the error's number.
pub(crate) fn status(result: Result<(), ErrorCode>) -> u32 {
    match result {
        Ok(()) => 0,
        Err(error) => error as u32,
    }
}
