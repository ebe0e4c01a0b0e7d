//! The CTAP2 app on a device: see the library's documentation.
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use core::fmt::Write;
use libtock::console::Console;
use libtock::platform::ErrorCode;

libtock::set_main! {main}
// Measured from the frames (llvm-objdump): the app itself (about 10 KB,
// in `serve`), then a GetAssertion over resident credentials (about 25 KB
// with p256 signing) or the start-up (opening the store, about 25 KB);
// 52 KB leaves a margin of about 10 KB.
libtock::stack_size! {0xD000}

fn main() -> Result<(), ErrorCode> {
    let result = ctap2::app::serve::<libtock::TockSyscalls>();
    if let Err(error) = result {
        // A missing driver (CTAP, storage, RNG, alarm) ends here: say which.
        let _ = writeln!(Console::writer(), "ctap2: error: {error:?}");
    }
    result
}
