//! Fuzz target `tab`: no input may panic TAB reading, and any TAB that
//! reads must re-write and read back to the same contents.
//!
//! Run: `cargo +nightly fuzz run tab` in `tbf-tools/tbf/fuzz`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tab) = tbf::tab::read_tab(data) {
        let _ = tab.metadata.supported_boards();
        for member in &tab.members {
            let _ = member.parsed_name();
        }
        let written = tab
            .write(Vec::new())
            .expect("writing to memory cannot fail");
        let again = tbf::tab::read_tab(written.as_slice()).expect("a written TAB reads back");
        assert_eq!(again.members, tab.members);
        assert_eq!(again.metadata_text, tab.metadata_text);
    }
});
