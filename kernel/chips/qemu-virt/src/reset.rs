//! Reset into the board's serial bootloader: write the entry request word
//! that the bootloader reads at reset, then reset the machine through the
//! SiFive test device (QEMU reboots with the same flash file; RAM keeps
//! its contents across that reset, which is what carries the request).
//!
//! ```text
//!  kernel: request word := magic --> test device: 0x7777 (reset)
//!  bootloader at 0x2000_0000: word == magic? clear it, serve the link
//! ```

use crate::test_device::TestDevice;

/// The request word and the test device that resets the machine.
pub struct BootloaderReset {
    request_word: usize,
    magic: u32,
    test_device: &'static TestDevice,
}

impl BootloaderReset {
    /// # Safety
    /// `request_word` must be a word of RAM that no section of the kernel
    /// and no process occupies (the board's layout reserves it), and that
    /// the board's bootloader reads at reset for `magic`.
    pub const unsafe fn new(
        request_word: usize,
        magic: u32,
        test_device: &'static TestDevice,
    ) -> Self {
        BootloaderReset {
            request_word,
            magic,
            test_device,
        }
    }

    /// Ask for the bootloader at the next reset, and reset now.
    pub fn reset_into_bootloader(&self) -> ! {
        // SAFETY: per `new`'s contract the word is reserved RAM that
        // nothing else reads or writes while the kernel runs.
        unsafe { core::ptr::write_volatile(self.request_word as *mut u32, self.magic) };
        self.test_device.reset()
    }
}
