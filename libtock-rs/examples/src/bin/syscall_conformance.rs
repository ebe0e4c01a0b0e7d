//! The syscall conformance app: runs [`libtock_examples::conformance`]
//! against the kernel it runs on and exits with 0 only if every check held.
//! Its last line, `conformance: ok <passed>/<total>`, is machine-checkable.
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use libtock::console::Console;
use libtock::platform::ErrorCode;
use libtock::TockSyscalls;
use libtock_examples::conformance::{self, Entry};

libtock::set_main! {main}
libtock::stack_size! {0x800}

fn main() -> Result<(), ErrorCode> {
    let registers = libtock::runtime::entry_registers();
    let entry = Entry {
        app_start: registers.app_start,
        rt_header: libtock::runtime::rt_header_address(),
        ram_start: registers.ram_start,
        initial_break: registers.initial_break,
    };
    if conformance::run::<TockSyscalls, _>(&mut Console::writer(), Some(&entry)) {
        Ok(())
    } else {
        Err(ErrorCode::Fail)
    }
}
