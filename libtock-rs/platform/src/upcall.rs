//! What a subscribed upcall does when the kernel calls it.

use core::cell::Cell;

/// Code the kernel runs (during a yield) with the upcall's three arguments.
/// Implemented for the cells apps use most: a `Cell<bool>` that records
/// "it happened", and `Cell<Option<..>>` that keep the arguments.
pub trait Upcall {
    /// Handles one upcall.
    fn upcall(&self, arg0: u32, arg1: u32, arg2: u32);
}

impl Upcall for () {
    fn upcall(&self, _: u32, _: u32, _: u32) {}
}

impl Upcall for Cell<bool> {
    fn upcall(&self, _: u32, _: u32, _: u32) {
        self.set(true);
    }
}

impl Upcall for Cell<Option<()>> {
    fn upcall(&self, _: u32, _: u32, _: u32) {
        self.set(Some(()));
    }
}

impl Upcall for Cell<Option<(u32,)>> {
    fn upcall(&self, arg0: u32, _: u32, _: u32) {
        self.set(Some((arg0,)));
    }
}

impl Upcall for Cell<Option<(u32, u32)>> {
    fn upcall(&self, arg0: u32, arg1: u32, _: u32) {
        self.set(Some((arg0, arg1)));
    }
}

impl Upcall for Cell<Option<(u32, u32, u32)>> {
    fn upcall(&self, arg0: u32, arg1: u32, arg2: u32) {
        self.set(Some((arg0, arg1, arg2)));
    }
}

impl<F: Fn(u32, u32, u32)> Upcall for F {
    fn upcall(&self, arg0: u32, arg1: u32, arg2: u32) {
        self(arg0, arg1, arg2)
    }
}
