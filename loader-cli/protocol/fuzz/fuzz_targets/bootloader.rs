//! Feeds arbitrary bytes to the bootloader engine over a small flash: it
//! may not panic, and never changes flash outside app flash and the
//! attribute table.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loader_protocol::{
    Bootloader, BootloaderFlash, BootloaderLayout, Erase, FlashFault, ResponseSink,
};

const BASE: u32 = 0x2000_0000;
/// Small, so that every input costs little: attributes at 0x600..0xA00,
/// app flash 0xC00..0x1000, the rest protected.
const SIZE: usize = 0x1000;
const LAYOUT: BootloaderLayout = BootloaderLayout {
    flash_start: BASE,
    flash_end: BASE + SIZE as u32,
    kernel_start: BASE + 0xA00,
    app_start: BASE + 0xC00,
    app_end: BASE + SIZE as u32,
};

/// Flash in memory; the engine must have checked every range already.
struct Flash(Vec<u8>);

impl Flash {
    fn range(address: u32, length: usize) -> std::ops::Range<usize> {
        let start = (address - BASE) as usize;
        assert!(
            start + length <= SIZE,
            "the engine passed a range outside flash"
        );
        start..start + length
    }
}

impl BootloaderFlash for Flash {
    fn read(&mut self, address: u32, out: &mut [u8]) -> Result<(), FlashFault> {
        out.copy_from_slice(&self.0[Self::range(address, out.len())]);
        Ok(())
    }
    fn write(&mut self, address: u32, data: &[u8], _: Erase) -> Result<(), FlashFault> {
        self.0[Self::range(address, data.len())].copy_from_slice(data);
        Ok(())
    }
    fn erase(&mut self, address: u32, length: u32) -> Result<(), FlashFault> {
        self.0[Self::range(address, length as usize)].fill(0xFF);
        Ok(())
    }
}

struct Discard;

impl ResponseSink for Discard {
    fn send(&mut self, _: &[u8]) {}
}

fuzz_target!(|data: &[u8]| {
    let mut bootloader = Bootloader::new(Flash(vec![0xA5; SIZE]), LAYOUT, "{}");
    for byte in data {
        let _ = bootloader.receive(*byte, &mut Discard);
    }
    let flash = &bootloader.flash().0;
    let (attributes, app) = (0x600..0xA00, 0xC00..SIZE);
    let changed = flash.iter().enumerate().any(|(index, byte)| {
        *byte != 0xA5 && !attributes.contains(&index) && !app.contains(&index)
    });
    assert!(
        !changed,
        "the bootloader wrote outside app flash and its attributes"
    );
});
