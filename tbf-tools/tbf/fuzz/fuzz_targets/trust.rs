//! Fuzz target `trust`: no bytes may panic the trust store's decoders
//! (what the kernel reads back from flash, what the loader service gets
//! from a host); what decodes re-encodes to the same bytes; a decoded
//! change applied to a decoded state never panics.
//!
//! Run: `cargo +nightly fuzz run trust` in `tbf-tools/tbf/fuzz`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tbf::trust::{SignedChange, TrustState};

fuzz_target!(|data: &[u8]| {
    let (first, second) = data.split_at(data.len() / 2);
    if let Ok(state) = TrustState::decode(data) {
        let mut encoded = vec![0u8; state.encoded_len()];
        let written = state.encode(&mut encoded).expect("a decoded state encodes");
        assert_eq!(
            TrustState::decode(&encoded[..written]),
            Ok(state),
            "a decoded state survives a round trip"
        );
    }
    if let Ok(change) = SignedChange::decode(data) {
        let _ = change.verify(&[0x42; 64]);
        let mut encoded = vec![0u8; change.change.encoded_len()];
        let written = change.change.encode(&mut encoded).expect("a decoded change encodes");
        assert_eq!(&encoded[..written], change.signed, "a change re-encodes to its signed bytes");
    }
    if let (Ok(mut state), Ok(change)) = (TrustState::decode(first), SignedChange::decode(second)) {
        let _ = state.apply(&change.change, b"qemu-rv32-virt");
    }
});
