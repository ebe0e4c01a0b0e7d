//! The CTAP2 app on a device: see the library's documentation.
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use libtock::platform::ErrorCode;

libtock::set_main! {main}
libtock::stack_size! {0x4000}

fn main() -> Result<(), ErrorCode> {
    Ok(())
}
