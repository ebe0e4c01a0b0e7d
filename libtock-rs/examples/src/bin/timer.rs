//! Sleeps 100 ms three times, printing the tick count, and checks that time
//! moved forward by at least the requested amount each time.
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use libtock::alarm::{Alarm, Milliseconds};
use libtock::platform::ErrorCode;
use libtock::println;

libtock::set_main! {main}
libtock::stack_size! {0x800}

fn main() -> Result<(), ErrorCode> {
    let frequency = Alarm::frequency()?;
    let step = Alarm::ticks_for(Milliseconds(100), frequency);
    println!("timer: frequency {} Hz", frequency.0);
    for round in 1..=3 {
        let before = Alarm::ticks()?;
        Alarm::sleep(Milliseconds(100))?;
        let elapsed = Alarm::ticks()?.wrapping_sub(before);
        if elapsed < step {
            println!("timer: FAIL round {round}: {elapsed} < {step} ticks");
            return Err(ErrorCode::Fail);
        }
        println!("timer: tick {round}");
    }
    println!("timer: ok");
    Ok(())
}
