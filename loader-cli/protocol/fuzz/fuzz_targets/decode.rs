//! Feeds arbitrary bytes to both decoders in both link modes and parses
//! every frame: none of it may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loader_protocol::{
    CommandDecoder, CommandEvent, LinkMode, Request, ResponseDecoder, MAX_COMMAND_PAYLOAD,
};

fuzz_target!(|data: &[u8]| {
    for mode in [LinkMode::Bootloader, LinkMode::Shared] {
        let mut decoder = CommandDecoder::<MAX_COMMAND_PAYLOAD>::new(mode);
        for byte in data {
            if let CommandEvent::Command(frame) = decoder.push(*byte) {
                let _ = Request::parse(&frame);
            }
        }
    }
    let read_length = data.first().map_or(0, |byte| usize::from(*byte) * 17);
    let mut responses = ResponseDecoder::<4096>::new();
    responses.expect_read_length(read_length);
    for byte in data {
        let _ = responses.push(*byte);
    }
});
