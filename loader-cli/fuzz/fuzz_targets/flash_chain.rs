//! The app chain as the loader reads it from a device's flash (arbitrary
//! bytes from the app start on): walking it must end with the chain or an
//! error, never a panic, and every image it reports must lie in flash in
//! order, without overlaps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loader_cli::{read_chain, MemoryFlash};

const APP_START: u32 = 0x4_0000;

fuzz_target!(|data: &[u8]| {
    let mut flash = MemoryFlash::erased(APP_START, data.len().max(16));
    flash.bytes[..data.len()].copy_from_slice(data);
    let limit = u64::from(APP_START) + flash.bytes.len() as u64;
    let Ok(chain) = read_chain(&mut flash, APP_START, limit) else {
        return;
    };
    let mut next = u64::from(APP_START);
    for image in &chain.images {
        assert_eq!(
            u64::from(image.address),
            next,
            "images out of order or overlapping"
        );
        assert!(image.total_size > 0, "an empty image would loop for ever");
        assert!(
            image.end() <= limit,
            "an image reported past the end of flash"
        );
        next = image.end();
    }
    assert!(
        u64::from(chain.end) == next,
        "the chain's end is not after its last image"
    );
});
