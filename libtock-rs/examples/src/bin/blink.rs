//! Toggles every LED twice a second, forever (`libtock_rs.blink_tbf_bytes`).
//! A board without LEDs makes it exit with NODEVICE.
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use libtock::alarm::{Alarm, Milliseconds};
use libtock::leds::Leds;
use libtock::platform::ErrorCode;

libtock::set_main! {main}
libtock::stack_size! {0x400}

fn main() -> Result<(), ErrorCode> {
    let count = Leds::count()?;
    loop {
        for led in 0..count {
            Leds::toggle(led)?;
        }
        Alarm::sleep(Milliseconds(250))?;
    }
}
