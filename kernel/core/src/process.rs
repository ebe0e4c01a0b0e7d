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
//! Kernel RAM per process, measured on riscv32imac (checked at compile
//! time below): this control block is 272 bytes, of which the upcall queue
//! is 132 (8 entries of 16 bytes), the grant pointers 40 (20 two-byte
//! offsets) and the credential approval 4 (2 and padding: the app's
//! identity is re-derived from its header, see [`crate::identity`]); the
//! architecture's `ProcessContext` adds the saved registers and PMP
//! configuration (248 bytes on qemu-rv32-virt), 520 bytes in all before
//! any grant is entered. Grant memory itself comes from the
//! process's own RAM.
//!
//! Invariant: a process's grants are reachable only while its identifier
//! is the one a [`ProcessId`] carries; every restart or termination takes
//! a fresh identifier and drops the grant pointers, so stale ids and
//! grants become unreachable at once.

use core::cell::Cell;

use crate::grant;
use crate::identity::Approval;
use crate::memory::MemoryLayout;
use crate::platform::Region;
use crate::upcall::{QueuedUpcall, UpcallId, UpcallQueue};

/// How many grants (capsules with per-process state) a kernel may have.
/// qemu-rv32-virt with every default feature has 18.
pub const MAX_GRANTS: usize = 20;

// The per-process budget on 32-bit targets (see the module comment).
#[cfg(target_pointer_width = "32")]
const _: () = assert!(core::mem::size_of::<Process>() <= 272);

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
    /// Bytes from the flash start to the app start (the first byte after
    /// the TBF header and protected region), passed in the first entry
    /// register as upstream does. Two bytes: it fits the padding.
    pub(crate) app_start_offset: Cell<u16>,
    /// The end of the highest buffer ever allowed: the break never goes
    /// below it, so the grant region can never grow over an allowed buffer.
    pub(crate) allow_floor: Cell<usize>,
    /// log2 of the memory protection's granule, as of the last break: the
    /// hardware protects the break rounded up to it, so grants stay above
    /// that ([`MemoryLayout::enforced_break`]). One byte: it fits padding.
    pub(crate) break_granule_log2: Cell<u8>,
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
    pub(crate) upcalls: UpcallQueue,
    /// Where each grant's allocation is, as its distance below the end of
    /// the process's RAM (0: not allocated). Indexed by grant number; two
    /// bytes each, so a grant region is at most 64 KiB.
    pub(crate) grant_pointers: [Cell<u16>; MAX_GRANTS],
    /// Bit `n` set while grant `n` is entered (forbids re-entry, which
    /// would alias its `&mut`).
    pub(crate) entered_grants: Cell<u32>,
    /// What the credential checker decided ([`crate::credential`]); a
    /// process runs only once this is not `Unchecked`.
    pub(crate) approval: Cell<Approval>,
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
            app_start_offset: Cell::new(0),
            allow_floor: Cell::new(0),
            break_granule_log2: Cell::new(0),
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
            upcalls: UpcallQueue::new(),
            grant_pointers: [const { Cell::new(0) }; MAX_GRANTS],
            entered_grants: Cell::new(0),
            approval: Cell::new(Approval::Unchecked),
        }
    }

    /// The memory protection's granule as of the last break (1: exact).
    pub(crate) fn break_granule(&self) -> usize {
        1 << self.break_granule_log2.get()
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

    /// What the credential checker decided about it.
    pub fn approval(&self) -> Approval {
        self.approval.get()
    }

    /// Its whole TBF image in flash (empty for an empty slot).
    pub fn image(&self) -> &'static [u8] {
        let flash = self.layout.get().flash;
        if !self.loaded.get() || flash.size == 0 {
            return &[];
        }
        // SAFETY: loading set `layout.flash` from a `&'static [u8]` image
        // (the board's app flash, mapped for good); while the process is
        // loaded its image is not rewritten (replacing or removing an app
        // unloads the process first).
        unsafe { core::slice::from_raw_parts(flash.start as *const u8, flash.size) }
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

    /// Grant pointers currently allocated.
    pub fn allocated_grant_count(&self) -> usize {
        self.grant_pointers
            .iter()
            .filter(|pointer| pointer.get() != 0)
            .count()
    }

    /// The address of grant `index`'s allocation, if allocated.
    pub(crate) fn grant_base(&self, index: usize) -> Option<usize> {
        match self.grant_pointers.get(index)?.get() {
            0 => None,
            distance => Some(self.layout.get().ram.end() - distance as usize),
        }
    }

    /// Record grant `index`'s allocation at `base`; false if it lies more
    /// than 64 KiB below the end of RAM.
    pub(crate) fn set_grant_base(&self, index: usize, base: usize) -> bool {
        match u16::try_from(self.layout.get().ram.end() - base) {
            Ok(distance) if distance != 0 => {
                self.grant_pointers[index].set(distance);
                true
            }
            _ => false,
        }
    }

    /// The identity (driver, subscribe number) of a queued upcall.
    pub(crate) fn upcall_id(&self, upcall: &QueuedUpcall) -> Option<UpcallId> {
        let base = self.grant_base(upcall.grant as usize)?;
        Some(UpcallId {
            driver: grant::allocation_driver(base),
            subscribe: upcall.subscribe as u32,
        })
    }

    /// Would the scheduler find work here? Runnable, or waiting with the
    /// upcall it waits for already queued.
    pub fn is_ready(&self) -> bool {
        if !self.loaded.get() {
            return false;
        }
        match self.state.get() {
            State::Running => true,
            State::Yielded => self.first_deliverable_upcall().is_some(),
            State::YieldedFor(id) => self
                .upcalls
                .position(|upcall| self.upcall_id(upcall) == Some(id))
                .is_some(),
            _ => false,
        }
    }

    /// The first queued upcall a plain yield can run (one with a function
    /// subscribed), with its position and slot.
    #[inline(always)] // reason: the empty-queue check is on the yield path, measured
    pub(crate) fn first_deliverable_upcall(&self) -> Option<(usize, grant::UpcallSlot)> {
        if self.upcalls.is_empty() {
            return None;
        }
        self.scan_for_deliverable_upcall()
    }

    fn scan_for_deliverable_upcall(&self) -> Option<(usize, grant::UpcallSlot)> {
        (0..self.upcalls.len()).find_map(|position| {
            let upcall = self.upcalls.get(position)?;
            let slot = grant::queued_upcall_slot(self, &upcall)?;
            (slot.function != 0).then_some((position, slot))
        })
    }

    /// Queue an upcall for this process; dropped (and counted) if the
    /// queue is full. A null upcall (nothing subscribed) is queued too, for
    /// a later yield-wait-for to return (it may come after the event, e.g.
    /// when the process was preempted in between); plain yields skip it,
    /// and it is the first to go when the queue needs room.
    pub(crate) fn enqueue_upcall(&self, upcall: QueuedUpcall) -> bool {
        if !self.state.get().is_alive() {
            return false;
        }
        if self.upcalls.len() == crate::upcall::UPCALL_QUEUE_CAPACITY {
            let null = self.upcalls.position(|queued| {
                grant::queued_upcall_slot(self, queued).is_none_or(|slot| slot.function == 0)
            });
            if let Some(position) = null {
                self.upcalls.remove(position);
            }
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

    fn upcall(subscribe: u8) -> QueuedUpcall {
        QueuedUpcall {
            grant: 0,
            subscribe,
            arguments: [1, 2, 3],
        }
    }

    #[test]
    fn an_upcall_of_an_unallocated_grant_is_never_runnable() {
        let process = loaded();
        assert!(!process.is_ready());
        assert!(process.enqueue_upcall(upcall(0)));
        assert_eq!(process.pending_upcall_count(), 1);
        assert!(!process.is_ready(), "no function is subscribed for it");
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
        assert!(!process.enqueue_upcall(upcall(0)));
    }
}
