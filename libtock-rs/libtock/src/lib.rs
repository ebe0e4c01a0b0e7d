//! libtock: the one crate a Tock app in Rust depends on.
//!
//! What it is: every driver API of libtock-rs, bound to the real system
//! calls ([`runtime::TockSyscalls`]), plus the platform types and the
//! runtime's macros. `libtock::console::Console::write(b"hi")` is
//! `libtock_console::Console::<TockSyscalls>::write(b"hi")`;
//! `libtock::println!("{x}")` formats onto the console.
//!
//! Linking: the runtime's build script links every app with the layout
//! named by `LIBTOCK_LAYOUT` (see docs/libtock-rs.md); an app needs no build
//! script of its own, and a build without a layout fails at the link with
//! what to set.
//!
//! Guarantees: nothing of its own beyond [`print`]: it re-exports, so its
//! behaviour is that of the crates it names. Must never: contain `unsafe`.
#![no_std]
#![forbid(unsafe_code)]

pub use libtock_platform as platform;
pub use libtock_runtime as runtime;
pub use libtock_runtime::TockSyscalls;

#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
pub use libtock_runtime::{set_main, stack_size};

/// The alarm driver ([`libtock_alarm`]).
pub mod alarm {
    pub use libtock_alarm::*;
    /// Bound to the real system calls.
    pub type Alarm = libtock_alarm::Alarm<crate::TockSyscalls>;
}

/// The console driver ([`libtock_console`]).
pub mod console {
    pub use libtock_console::*;
    /// Bound to the real system calls.
    pub type Console = libtock_console::Console<crate::TockSyscalls>;
}

/// The leds driver ([`libtock_leds`]).
pub mod leds {
    pub use libtock_leds::*;
    /// Bound to the real system calls.
    pub type Leds = libtock_leds::Leds<crate::TockSyscalls>;
}

/// The buttons driver ([`libtock_buttons`]).
pub mod buttons {
    pub use libtock_buttons::*;
    /// Bound to the real system calls.
    pub type Buttons = libtock_buttons::Buttons<crate::TockSyscalls>;
}

/// The gpio driver ([`libtock_gpio`]).
pub mod gpio {
    pub use libtock_gpio::*;
    /// Bound to the real system calls.
    pub type Gpio = libtock_gpio::Gpio<crate::TockSyscalls>;
}

/// The rng driver ([`libtock_rng`]).
pub mod rng {
    pub use libtock_rng::*;
    /// Bound to the real system calls.
    pub type Rng = libtock_rng::Rng<crate::TockSyscalls>;
}

/// The low level debug driver ([`libtock_low_level_debug`]).
pub mod low_level_debug {
    pub use libtock_low_level_debug::*;
    /// Bound to the real system calls.
    pub type LowLevelDebug = libtock_low_level_debug::LowLevelDebug<crate::TockSyscalls>;
}

/// The key value driver ([`libtock_key_value`]).
pub mod key_value {
    pub use libtock_key_value::*;
    /// Bound to the real system calls.
    pub type KeyValue = libtock_key_value::KeyValue<crate::TockSyscalls>;
}

/// The isolated non-volatile storage driver ([`libtock_isolated_nonvolatile_storage`]).
pub mod isolated_nonvolatile_storage {
    pub use libtock_isolated_nonvolatile_storage::*;
    /// Bound to the real system calls.
    pub type IsolatedNonvolatileStorage =
        libtock_isolated_nonvolatile_storage::IsolatedNonvolatileStorage<crate::TockSyscalls>;
}

/// The sha driver ([`libtock_sha`]).
pub mod sha {
    pub use libtock_sha::*;
    /// Bound to the real system calls.
    pub type Sha = libtock_sha::Sha<crate::TockSyscalls>;
}

/// The hmac driver ([`libtock_hmac`]).
pub mod hmac {
    pub use libtock_hmac::*;
    /// Bound to the real system calls.
    pub type Hmac = libtock_hmac::Hmac<crate::TockSyscalls>;
}

/// The aes driver ([`libtock_aes`]).
pub mod aes {
    pub use libtock_aes::*;
    /// Bound to the real system calls.
    pub type Aes = libtock_aes::Aes<crate::TockSyscalls>;
}

/// The usb keyboard hid driver ([`libtock_usb_keyboard_hid`]).
pub mod usb_keyboard_hid {
    pub use libtock_usb_keyboard_hid::*;
    /// Bound to the real system calls.
    pub type UsbKeyboardHid = libtock_usb_keyboard_hid::UsbKeyboardHid<crate::TockSyscalls>;
}

/// The ctap driver ([`libtock_ctap`]).
pub mod ctap {
    pub use libtock_ctap::*;
    /// Bound to the real system calls.
    pub type Ctap = libtock_ctap::Ctap<crate::TockSyscalls>;
}

/// The process info driver ([`libtock_process_info`]).
pub mod process_info {
    pub use libtock_process_info::*;
    /// Bound to the real system calls.
    pub type ProcessInfo = libtock_process_info::ProcessInfo<crate::TockSyscalls>;
}

/// The date-time (real-time clock) driver ([`libtock_date_time`]).
pub mod date_time {
    pub use libtock_date_time::*;
    /// Bound to the real system calls.
    pub type DateTime = libtock_date_time::DateTime<crate::TockSyscalls>;
}

/// Writes formatted text to the console (what [`print!`] and [`println!`]
/// expand to). A console write that fails is ignored: the console is where
/// an app reports things, so there is nowhere left to report it.
#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
pub fn print(arguments: core::fmt::Arguments) {
    use core::fmt::Write;
    let _ = console::Console::writer().write_fmt(arguments);
}

/// `print!` onto the console: `libtock::print!("{count} ")`.
#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
#[macro_export]
macro_rules! print {
    ($($argument:tt)*) => {
        $crate::print(format_args!($($argument)*))
    };
}

/// `println!` onto the console: `libtock::println!("count: {count}")`.
#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
#[macro_export]
macro_rules! println {
    () => {
        $crate::print(format_args!("\n"))
    };
    ($($argument:tt)*) => {
        $crate::print(format_args!("{}\n", format_args!($($argument)*)))
    };
}
