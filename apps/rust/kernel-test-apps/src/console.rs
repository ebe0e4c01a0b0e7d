//! Printing through the console driver (upstream's interface: read-only
//! allow 1 = the bytes, subscribe 1 = written, command 1 = write length).

use core::fmt;

use kernel_abi::DriverNumber;

use crate::syscall::{allow_read_only, command, subscribe, yield_wait_for};

extern "C" fn ignore_upcall(_: u32, _: u32, _: u32, _: usize) {}

/// Writes `bytes` and waits until the console has taken them.
pub fn write_bytes(bytes: &[u8]) {
    try_write_bytes(bytes);
}

/// Writes `bytes` and waits until the console has taken them; false if
/// the console refused the write (BUSY: a write of ours is in flight).
pub fn try_write_bytes(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return true;
    }
    let driver = DriverNumber::CONSOLE;
    subscribe(driver, 1, ignore_upcall as *const () as usize, 0);
    allow_read_only(driver, 1, bytes.as_ptr() as usize, bytes.len());
    let result = command(driver, 1, bytes.len() as u32, 0);
    let accepted = crate::syscall::is_success(result);
    if accepted {
        yield_wait_for(driver, 1);
    }
    allow_read_only(driver, 1, 0, 0);
    accepted
}

/// A buffered console writer (flushes every 96 bytes and on drop).
pub struct Console {
    buffer: [u8; 96],
    length: usize,
}

impl Console {
    /// An empty writer.
    pub const fn new() -> Self {
        Console {
            buffer: [0; 96],
            length: 0,
        }
    }

    /// Sends what is buffered.
    pub fn flush(&mut self) {
        write_bytes(&self.buffer[..self.length]);
        self.length = 0;
    }

    /// Sends what is buffered (it must fit the 96-byte buffer to go out
    /// whole); false if the console refused it. Empties the buffer either way.
    pub fn try_flush(&mut self) -> bool {
        let sent = try_write_bytes(&self.buffer[..self.length]);
        self.length = 0;
        sent
    }
}

impl Default for Console {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.flush();
    }
}

impl fmt::Write for Console {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for byte in text.bytes() {
            if self.length == self.buffer.len() {
                self.flush();
            }
            self.buffer[self.length] = byte;
            self.length += 1;
        }
        Ok(())
    }
}

/// Prints a formatted line (with `\r\n`) on the console.
#[macro_export]
macro_rules! println {
    ($($argument:tt)*) => {{
        use core::fmt::Write as _;
        let mut console = $crate::console::Console::new();
        let _ = write!(console, $($argument)*);
        let _ = console.write_str("\r\n");
    }};
}
