//! Scope behaviour that needs no kernel: every entry is dropped when the
//! scope ends, not before.

use super::{scope, Handle, List};
use core::sync::atomic::{AtomicU32, Ordering};

static DROPS: AtomicU32 = AtomicU32::new(0);

/// A list entry that counts its drops.
#[derive(Default)]
struct Recorder;

impl Drop for Recorder {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

impl List for Recorder {}

#[test]
fn every_entry_is_dropped_when_the_scope_ends() {
    let seen_inside = scope::<(Recorder, Recorder, Recorder), _, _>(|handle| {
        let (_first, _second, _third): (Handle<Recorder>, Handle<Recorder>, Handle<Recorder>) =
            handle.split();
        DROPS.load(Ordering::SeqCst)
    });
    assert_eq!(seen_inside, 0);
    assert_eq!(DROPS.load(Ordering::SeqCst), 3);
}
