//! Example apps for libtock-rs, one binary each under `src/bin/` (built for
//! a device by `cargo xtask` with the `device` feature), and the app logic
//! that is worth testing on the host against the fake kernel
//! ([`conformance`]).
//!
//! Must never: contain `unsafe` (the runtime owns it).
#![no_std]
#![forbid(unsafe_code)]

pub mod conformance;

/// Writes formatted text to the console, ignoring a missing console (there
/// is nowhere else to report it).
#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
pub fn print(arguments: core::fmt::Arguments) {
    use core::fmt::Write;
    let _ = libtock::console::Console::writer().write_fmt(arguments);
}

/// `println!` onto the console.
#[cfg(any(target_arch = "riscv32", target_arch = "arm"))]
#[macro_export]
macro_rules! println {
    ($($argument:tt)*) => {
        $crate::print(format_args!("{}\n", format_args!($($argument)*)))
    };
}

#[cfg(test)]
mod tests;
