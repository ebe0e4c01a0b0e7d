//! The U2F app on a device: see the library's documentation.
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use core::fmt::Write;
use libtock::console::Console;
use libtock::platform::ErrorCode;

libtock::set_main! {main}
libtock::stack_size! {0x4000}

fn main() -> Result<(), ErrorCode> {
    let result = u2f::app::U2fApp::<libtock::TockSyscalls>::new().and_then(|mut app| app.run());
    if let Err(error) = result {
        // A missing driver (CTAP, key-value, RNG) ends here: say which error.
        let _ = writeln!(Console::writer(), "u2f: error: {error:?}");
    }
    result
}
