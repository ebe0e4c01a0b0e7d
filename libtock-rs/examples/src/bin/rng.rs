//! Reads 16 random bytes twice and prints them; fails if the two reads are
//! equal or all zero (a source that is not random at all).
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use libtock::platform::ErrorCode;
use libtock::println;
use libtock::rng::Rng;

libtock::set_main! {main}
libtock::stack_size! {0x800}

fn main() -> Result<(), ErrorCode> {
    let (mut first, mut second) = ([0u8; 16], [0u8; 16]);
    Rng::fill(&mut first)?;
    Rng::fill(&mut second)?;
    if first == second || first == [0; 16] {
        println!("rng: FAIL {first:02x?}");
        return Err(ErrorCode::Fail);
    }
    println!("rng: {first:02x?}");
    println!("rng: ok");
    Ok(())
}
