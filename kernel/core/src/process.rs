//! The process control block: everything the kernel keeps per process,
//! outside the process's own RAM. Architecture state (saved registers,
//! PMP/MPU configuration) lives beside it in [`crate::kernel::ProcessContext`],
//! so this type and everything built on it (grants, capsules) is
//! independent of the chip.
//!
//! State machine:
//!
//! ```text
//!            load                 yield / yield-wait-for
//!   (empty) ------> Running <------------------------------> Yielded / YieldedFor
//!                    |   ^   upcall delivered / awaited upcall arrives
//!        fault       |   |   restart (policy or exit-restart, or console "boot")
//!     +--------------+   +------------------------------+
//!     v                                                  |
//!   Faulted --(policy: restart below threshold)--------->+
//!   Terminated (exit-terminate, console "terminate") ----+ (console "boot")
//!   Stopped(previous) <-> previous      (console "stop" / "start")
//! ```
//!
//! Invariant: a process's grants are reachable only while its identifier
//! is the one a [`ProcessId`] carries; every restart or termination takes
//! a fresh identifier and drops the grant pointers, so stale ids and
//! grants become unreachable at once.

use core::cell::Cell;

use crate::memory::MemoryLayout;
use crate::platform::{Fault, Region};
use crate::upcall::{QueuedUpcall, UpcallId, UpcallQueue};

/// How many grants (capsules with per-process state) a kernel may have.
pub const MAX_GRANTS: usize = 16;

/// Names one incarnation of a process: its slot and a kernel-wide unique
/// identifier that changes whenever the process restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessId {
    /// Index of the process slot.
    pub index: usize,
    /// Unique identifier of this incarnation.
    pub identifier: u32,
}

/// What the process was doing before it was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoppedState {
    /// It was runnable.
    Running,
    /// It was waiting in yield.
    Yielded,
    /// It was waiting in yield-wait-for.
    YieldedFor(UpcallId),
}

/// The scheduling state of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Runnable: will run when scheduled.
    Running,
    /// In yield-wait: runs when an upcall is pending.
    Yielded,
    /// In yield-wait-for: runs when this upcall is scheduled.
    YieldedFor(UpcallId),
    /// Stopped by the process console; resumes into the previous state.
    Stopped(StoppedState),
    /// Faulted and not restarted.
    Faulted,
    /// Exited (or terminated by the console).
    Terminated,
}

impl State {
    /// Upstream's name for the state, as the process console prints it.
    pub const fn name(&self) -> &'static str {
        match self {
            State::Running => "Running",
            State::Yielded => "Yielded",
            State::YieldedFor(_) => "YieldedFor",
            State::Stopped(_) => "Stopped",
            State::Faulted => "Faulted",
            State::Terminated => "Terminated",
        }
    }

    /// True while the process is alive (its grants reachable).
    pub const fn is_alive(&self) -> bool {
        !matches!(self, State::Faulted | State::Terminated)
    }
}

/// One process slot. Interior mutability only: the kernel is
/// single-threaded and never holds a reference into a `Cell`.
pub struct Process {
    pub(crate) loaded: Cell<bool>,
    pub(crate) name: Cell<&'static str>,
    pub(crate) layout: Cell<MemoryLayout>,
    pub(crate) init_function: Cell<usize>,
    /// The end of the highest buffer ever allowed: the break never goes
    /// below it, so the grant region can never grow over an allowed buffer.
    pub(crate) allow_floor: Cell<usize>,
    pub(crate) writeable_flash: Cell<Region>,
    pub(crate) stack_top_hint: Cell<usize>,
    pub(crate) heap_start_hint: Cell<usize>,
    pub(crate) state: Cell<State>,
    pub(crate) identifier: Cell<u32>,
    pub(crate) restart_count: Cell<u32>,
    /// The architecture state must be (re)initialised before it runs.
    pub(crate) needs_start: Cell<bool>,
    pub(crate) syscall_count: Cell<u32>,
    pub(crate) dropped_upcall_count: Cell<u32>,
    pub(crate) timeslice_expiration_count: Cell<u32>,
    pub(crate) last_fault: Cell<Option<Fault>>,
    pub(crate) upcalls: UpcallQueue,
    /// Address of each grant's allocation in this process's grant
    /// region, 0 if not allocated. Indexed by grant number.
    pub(crate) grant_pointers: [Cell<usize>; MAX_GRANTS],
    /// Bit `n` set while grant `n` is entered (forbids re-entry, which
    /// would alias its `&mut`).
    pub(crate) entered_grants: Cell<u32>,
}

impl Default for Process {
    fn default() -> Self {
        Self::new()
    }
}

impl Process {
    /// An empty slot (for the board's static array).
    pub const fn new() -> Self {
        Process {
            loaded: Cell::new(false),
            name: Cell::new(""),
            layout: Cell::new(MemoryLayout::new(Region::new(0, 0), Region::new(0, 0))),
            init_function: Cell::new(0),
            allow_floor: Cell::new(0),
            writeable_flash: Cell::new(Region::new(0, 0)),
            stack_top_hint: Cell::new(0),
            heap_start_hint: Cell::new(0),
            state: Cell::new(State::Terminated),
            identifier: Cell::new(0),
            restart_count: Cell::new(0),
            needs_start: Cell::new(false),
            syscall_count: Cell::new(0),
            dropped_upcall_count: Cell::new(0),
            timeslice_expiration_count: Cell::new(0),
            last_fault: Cell::new(None),
            upcalls: UpcallQueue::new(),
            grant_pointers: [const { Cell::new(0) }; MAX_GRANTS],
            entered_grants: Cell::new(0),
        }
    }

    /// True if a process occupies this slot.
    pub fn is_loaded(&self) -> bool {
        self.loaded.get()
    }

    /// The package name from its TBF header.
    pub fn name(&self) -> &'static str {
        self.name.get()
    }

    /// Its state.
    pub fn state(&self) -> State {
        self.state.get()
    }

    /// Its memory layout.
    pub fn layout(&self) -> MemoryLayout {
        self.layout.get()
    }

    /// Restarts so far.
    pub fn restart_count(&self) -> u32 {
        self.restart_count.get()
    }

    /// System calls so far (this incarnation and earlier ones).
    pub fn syscall_count(&self) -> u32 {
        self.syscall_count.get()
    }

    /// Upcalls dropped because the queue was full.
    pub fn dropped_upcall_count(&self) -> u32 {
        self.dropped_upcall_count.get()
    }

    /// Times its timeslice ran out.
    pub fn timeslice_expiration_count(&self) -> u32 {
        self.timeslice_expiration_count.get()
    }

    /// Pending upcalls.
    pub fn pending_upcall_count(&self) -> usize {
        self.upcalls.len()
    }

    /// The last fault it took, if any.
    pub fn last_fault(&self) -> Option<Fault> {
        self.last_fault.get()
    }

    /// Grant pointers currently allocated.
    pub fn allocated_grant_count(&self) -> usize {
        self.grant_pointers
            .iter()
            .filter(|pointer| pointer.get() != 0)
            .count()
    }

    /// Would the scheduler find work here? Runnable, or waiting with the
    /// upcall it waits for already queued.
    pub fn is_ready(&self) -> bool {
        if !self.loaded.get() {
            return false;
        }
        match self.state.get() {
            State::Running => true,
            State::Yielded => !self.upcalls.is_empty(),
            State::YieldedFor(id) => self.upcalls.position(|upcall| upcall.id == id).is_some(),
            _ => false,
        }
    }

    /// Queue an upcall for this process. Dropped (counted) if the queue is
    /// full. A null upcall is queued only for a process waiting for it in
    /// yield-wait-for (which returns its arguments instead of calling it).
    pub(crate) fn enqueue_upcall(&self, upcall: QueuedUpcall, function_is_null: bool) -> bool {
        if !self.state.get().is_alive() {
            return false;
        }
        let awaited = matches!(self.state.get(), State::YieldedFor(id)
            | State::Stopped(StoppedState::YieldedFor(id)) if id == upcall.id);
        if function_is_null && !awaited {
            return true;
        }
        if self.upcalls.push(upcall).is_err() {
            self.dropped_upcall_count
                .set(self.dropped_upcall_count.get().wrapping_add(1));
            return false;
        }
        true
    }

    /// Forget everything of the current incarnation: upcalls, grants,
    /// memory above the initial break. Takes `identifier` as the new one.
    pub(crate) fn reset(&self, identifier: u32) {
        let layout = self.layout.get();
        self.layout.set(MemoryLayout::new(layout.flash, layout.ram));
        self.allow_floor.set(layout.ram.start);
        self.stack_top_hint.set(0);
        self.heap_start_hint.set(0);
        self.upcalls.clear();
        for pointer in &self.grant_pointers {
            pointer.set(0);
        }
        self.entered_grants.set(0);
        self.identifier.set(identifier);
    }

    /// Stop it (process console). Returns false if it is not alive.
    pub(crate) fn stop(&self) -> bool {
        let stopped = match self.state.get() {
            State::Running => StoppedState::Running,
            State::Yielded => StoppedState::Yielded,
            State::YieldedFor(id) => StoppedState::YieldedFor(id),
            _ => return false,
        };
        self.state.set(State::Stopped(stopped));
        true
    }

    /// Resume a stopped process. Returns false if it was not stopped.
    pub(crate) fn resume(&self) -> bool {
        let resumed = match self.state.get() {
            State::Stopped(StoppedState::Running) => State::Running,
            State::Stopped(StoppedState::Yielded) => State::Yielded,
            State::Stopped(StoppedState::YieldedFor(id)) => State::YieldedFor(id),
            _ => return false,
        };
        self.state.set(resumed);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded() -> Process {
        let process = Process::new();
        process.loaded.set(true);
        process.state.set(State::Yielded);
        process
    }

    fn upcall(subscribe: u32) -> QueuedUpcall {
        QueuedUpcall {
            id: UpcallId {
                driver: 1,
                subscribe,
            },
            arguments: [1, 2, 3],
        }
    }

    #[test]
    fn yielded_process_is_ready_only_with_an_upcall() {
        let process = loaded();
        assert!(!process.is_ready());
        assert!(process.enqueue_upcall(upcall(0), false));
        assert!(process.is_ready());
    }

    #[test]
    fn yielded_for_waits_for_its_own_upcall() {
        let process = loaded();
        let id = UpcallId {
            driver: 1,
            subscribe: 2,
        };
        process.state.set(State::YieldedFor(id));
        process.enqueue_upcall(upcall(0), false);
        assert!(!process.is_ready());
        assert!(process.enqueue_upcall(upcall(2), true));
        assert!(process.is_ready());
    }

    #[test]
    fn null_upcalls_are_not_queued_unless_awaited() {
        let process = loaded();
        process.enqueue_upcall(upcall(0), true);
        assert_eq!(process.pending_upcall_count(), 0);
    }

    #[test]
    fn stop_and_resume_keep_the_state() {
        let process = loaded();
        assert!(process.stop());
        assert_eq!(process.state(), State::Stopped(StoppedState::Yielded));
        assert!(!process.is_ready());
        assert!(process.resume());
        assert_eq!(process.state(), State::Yielded);
        process.state.set(State::Faulted);
        assert!(!process.stop());
        assert!(!process.enqueue_upcall(upcall(0), false));
    }
}
