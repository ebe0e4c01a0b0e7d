//! Deferred calls: how a capsule or driver calls its client back later,
//! from the main loop, instead of from inside the downcall that started the
//! operation (HILs are split-phase and never call back re-entrantly).

use core::cell::Cell;

/// How many deferred-call clients a kernel may have.
pub const MAX_DEFERRED_CALLS: usize = 32;

/// Something to call back from the main loop.
pub trait DeferredCallClient {
    /// The deferred call this client requested is due.
    fn handle_deferred_call(&self);
}

/// The registry: one bit per client, set when its call is due.
pub struct DeferredCalls {
    clients: [Cell<Option<&'static dyn DeferredCallClient>>; MAX_DEFERRED_CALLS],
    pending: Cell<u32>,
    allocated: Cell<usize>,
}

impl Default for DeferredCalls {
    fn default() -> Self {
        Self::new()
    }
}

impl DeferredCalls {
    /// An empty registry.
    pub const fn new() -> Self {
        DeferredCalls {
            clients: [const { Cell::new(None) }; MAX_DEFERRED_CALLS],
            pending: Cell::new(0),
            allocated: Cell::new(0),
        }
    }

    /// A new handle. Panics at boot if the board created more than
    /// [`MAX_DEFERRED_CALLS`] (a board configuration error).
    pub fn allocate(&'static self) -> DeferredCall {
        let index = self.allocated.get();
        assert!(
            index < MAX_DEFERRED_CALLS,
            "too many deferred calls: raise MAX_DEFERRED_CALLS"
        );
        self.allocated.set(index + 1);
        DeferredCall { calls: self, index }
    }

    /// True if a call is due.
    pub fn has_pending(&self) -> bool {
        self.pending.get() != 0
    }

    /// Run the lowest-numbered due call, if any. Returns whether one ran.
    pub fn service_next(&self) -> bool {
        let pending = self.pending.get();
        if pending == 0 {
            return false;
        }
        let index = pending.trailing_zeros() as usize;
        self.pending.set(pending & !(1 << index));
        if let Some(client) = self.clients[index].get() {
            client.handle_deferred_call();
        }
        true
    }
}

/// A capsule's handle: request one call of its client.
#[derive(Clone, Copy)]
pub struct DeferredCall {
    calls: &'static DeferredCalls,
    index: usize,
}

impl DeferredCall {
    /// Name the client to call.
    pub fn register(&self, client: &'static dyn DeferredCallClient) {
        self.calls.clients[self.index].set(Some(client));
    }

    /// Request a call (idempotent until it runs).
    pub fn set(&self) {
        self.calls
            .pending
            .set(self.calls.pending.get() | 1 << self.index);
    }

    /// True if a call is requested and has not run yet.
    pub fn is_pending(&self) -> bool {
        self.calls.pending.get() & (1 << self.index) != 0
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;

    struct Counter(Cell<u32>);
    impl DeferredCallClient for Counter {
        fn handle_deferred_call(&self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn a_set_call_runs_once_from_the_loop() {
        let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
        let counter: &'static Counter = Box::leak(Box::new(Counter(Cell::new(0))));
        let call = calls.allocate();
        call.register(counter);
        assert!(!calls.service_next());
        call.set();
        call.set();
        assert!(call.is_pending());
        assert!(calls.service_next());
        assert!(!calls.has_pending());
        assert_eq!(counter.0.get(), 1);
    }
}
