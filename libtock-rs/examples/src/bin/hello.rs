//! Prints one line and exits: the smallest useful app (its TBF size is the
//! `libtock_rs.hello_tbf_bytes` figure).
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use libtock::console::Console;

libtock::set_main! {main}
libtock::stack_size! {0x400}

fn main() -> Result<(), libtock::platform::ErrorCode> {
    Console::write(b"Hello, World!\n")
}
