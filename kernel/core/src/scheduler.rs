//! Schedulers: which ready process runs next, and for how long. The board
//! picks one. Decisions are pure logic over [`Kernel`] state, tested on
//! the host.

use core::cell::Cell;

use crate::kernel::Kernel;

/// A scheduler's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulingDecision {
    /// Run the process in this slot, preempting it after the timeslice
    /// (`None`: until it yields).
    RunProcess {
        /// Slot index.
        index: usize,
        /// Timeslice in microseconds.
        timeslice_microseconds: Option<u32>,
    },
    /// Nothing is ready: sleep until an interrupt.
    TrySleep,
}

/// Why a process stopped running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoppedReason {
    /// It yielded, exited or faulted: it has nothing to do for now.
    Waiting,
    /// Its timeslice ran out (it is preempted).
    TimesliceExpired,
    /// The kernel has interrupts or deferred calls to service.
    KernelWork,
}

/// A scheduling policy.
pub trait Scheduler {
    /// Choose what runs next.
    fn next(&self, kernel: &Kernel) -> SchedulingDecision;
    /// Told after each run: why it stopped, and the microseconds left of
    /// its timeslice (if it had one and it did not expire).
    fn result(&self, reason: StoppedReason, remaining_microseconds: Option<u32>);
}

/// The first ready process at or after `start`, wrapping around.
fn next_ready(kernel: &Kernel, start: usize) -> Option<usize> {
    let processes = kernel.processes();
    let count = processes.len();
    (0..count)
        .map(|offset| (start + offset) % count)
        .find(|&index| processes[index].is_ready())
}

/// Round robin with timeslices (the default): every ready process runs in
/// turn for at most one timeslice; a process interrupted by kernel work
/// continues with what was left of its slice.
pub struct RoundRobin {
    timeslice_microseconds: u32,
    next: Cell<usize>,
    last: Cell<Option<usize>>,
    resume_with: Cell<Option<u32>>,
}

/// Upstream's round-robin timeslice.
pub const DEFAULT_TIMESLICE_MICROSECONDS: u32 = 10_000;

impl RoundRobin {
    /// A round robin with timeslices of `timeslice_microseconds`.
    pub const fn new(timeslice_microseconds: u32) -> Self {
        RoundRobin {
            timeslice_microseconds,
            next: Cell::new(0),
            last: Cell::new(None),
            resume_with: Cell::new(None),
        }
    }
}

impl Scheduler for RoundRobin {
    fn next(&self, kernel: &Kernel) -> SchedulingDecision {
        if let (Some(index), Some(remaining)) = (self.last.get(), self.resume_with.take()) {
            if kernel.processes()[index].is_ready() {
                return SchedulingDecision::RunProcess {
                    index,
                    timeslice_microseconds: Some(remaining),
                };
            }
        }
        match next_ready(kernel, self.next.get()) {
            Some(index) => {
                self.next.set(index + 1);
                self.last.set(Some(index));
                SchedulingDecision::RunProcess {
                    index,
                    timeslice_microseconds: Some(self.timeslice_microseconds),
                }
            }
            None => SchedulingDecision::TrySleep,
        }
    }

    fn result(&self, reason: StoppedReason, remaining_microseconds: Option<u32>) {
        let resume = match reason {
            StoppedReason::KernelWork => remaining_microseconds.filter(|&remaining| remaining > 0),
            _ => None,
        };
        self.resume_with.set(resume);
    }
}

/// Strict priority: the ready process in the lowest slot always runs, with
/// no timeslice (a busy high-priority process starves the others, by
/// design of this policy).
#[derive(Default)]
pub struct Priority;

impl Scheduler for Priority {
    fn next(&self, kernel: &Kernel) -> SchedulingDecision {
        match next_ready(kernel, 0) {
            Some(index) => SchedulingDecision::RunProcess {
                index,
                timeslice_microseconds: None,
            },
            None => SchedulingDecision::TrySleep,
        }
    }

    fn result(&self, _reason: StoppedReason, _remaining_microseconds: Option<u32>) {}
}

/// Cooperative: round robin without preemption; a process runs until it
/// yields.
#[derive(Default)]
pub struct Cooperative {
    next: Cell<usize>,
    last: Cell<Option<usize>>,
    interrupted: Cell<bool>,
}

impl Scheduler for Cooperative {
    fn next(&self, kernel: &Kernel) -> SchedulingDecision {
        if let (Some(index), true) = (self.last.get(), self.interrupted.take()) {
            if kernel.processes()[index].is_ready() {
                return SchedulingDecision::RunProcess {
                    index,
                    timeslice_microseconds: None,
                };
            }
        }
        match next_ready(kernel, self.next.get()) {
            Some(index) => {
                self.next.set(index + 1);
                self.last.set(Some(index));
                SchedulingDecision::RunProcess {
                    index,
                    timeslice_microseconds: None,
                }
            }
            None => SchedulingDecision::TrySleep,
        }
    }

    fn result(&self, reason: StoppedReason, _remaining_microseconds: Option<u32>) {
        self.interrupted.set(reason == StoppedReason::KernelWork);
    }
}
