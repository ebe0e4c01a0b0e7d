//! The syscall conformance app: runs [`libtock_examples::conformance`]
//! against the kernel it runs on and exits with 0 only if every check held.
//! Its last line, `conformance: ok <passed>/<total>`, is machine-checkable.
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use libtock::console::Console;
use libtock::platform::ErrorCode;
use libtock::TockSyscalls;

libtock::set_main! {main}
libtock::stack_size! {0x800}

fn main() -> Result<(), ErrorCode> {
    if libtock_examples::conformance::run::<TockSyscalls, _>(&mut Console::writer()) {
        Ok(())
    } else {
        Err(ErrorCode::Fail)
    }
}
