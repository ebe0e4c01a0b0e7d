//! Echoes every byte it reads; a line "quit" ends it. Prints "echo: ready"
//! first so a test knows when to type.
#![no_main]
#![no_std]
#![forbid(unsafe_code)]

use libtock::console::Console;
use libtock::platform::ErrorCode;

libtock::set_main! {main}
libtock::stack_size! {0x400}

fn main() -> Result<(), ErrorCode> {
    Console::write(b"echo: ready\n")?;
    let mut line = [0u8; 4];
    let mut filled = 0;
    loop {
        let mut byte = [0u8; 1];
        Console::read(&mut byte)?;
        Console::write(&byte)?;
        if byte[0] == b'\n' || byte[0] == b'\r' {
            if &line[..filled] == b"quit" {
                return Console::write(b"\necho: bye\n");
            }
            filled = 0;
        } else if filled < line.len() {
            line[filled] = byte[0];
            filled += 1;
        }
    }
}
