//! The fake kernel: drivers, shares, the upcall queue, memory and the log.
//!
//! One kernel per test thread, reachable through a thread-local so that the
//! static methods of [`crate::Syscalls`] find it. State sits in a `RefCell`
//! that is never borrowed across a call into a driver or an upcall, because
//! both call back into the kernel.

use crate::log::{ExitCall, InjectedFailure, SyscallLogEntry, SyscallMatch};
use libtock_platform::{CommandReturn, ErrorCode};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

/// How many allow and upcall slots a driver has (its grant's counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slots {
    /// Subscribe numbers `0..upcalls` exist.
    pub upcalls: u32,
    /// Read-only allow numbers `0..allow_ro` exist.
    pub allow_ro: u32,
    /// Read-write allow numbers `0..allow_rw` exist.
    pub allow_rw: u32,
    /// Userspace-readable allow numbers `0..allow_userspace_readable` exist.
    pub allow_userspace_readable: u32,
}

/// A fake driver: what a capsule is to the real kernel.
pub trait Driver {
    /// Its driver number.
    fn number(&self) -> u32;
    /// Its allow and upcall slots; others get NOSUPPORT.
    fn slots(&self) -> Slots;
    /// Runs a command. Upcalls go through [`crate::schedule_upcall`], buffers
    /// are read with [`crate::with_ro_buffer`] and [`crate::with_rw_buffer`].
    fn command(&self, command: u32, argument0: u32, argument1: u32) -> CommandReturn;
    /// Called when the app blocks with nothing pending: time passes. A
    /// driver with an operation in flight finishes it (schedules its upcall)
    /// and returns true. The default has nothing in flight.
    fn on_idle(&self) -> bool {
        false
    }
}

/// The fake process memory: addresses only, nothing behind them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryLayout {
    /// First byte of the TBF header.
    pub flash_start: usize,
    /// One past the last byte of the app's flash.
    pub flash_end: usize,
    /// First byte of the app's RAM.
    pub memory_start: usize,
    /// One past the app's RAM (where the grant region starts).
    pub memory_end: usize,
    /// The current break.
    pub app_break: usize,
}

impl Default for MemoryLayout {
    /// The first app slot of qemu-rv32-virt with 16 KiB of RAM.
    fn default() -> Self {
        MemoryLayout {
            flash_start: 0x2004_0000,
            flash_end: 0x2004_4000,
            memory_start: 0x8001_0000,
            memory_end: 0x8001_4000,
            app_break: 0x8001_0000,
        }
    }
}

/// A subscribed upcall: function address and application data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UpcallSlot {
    pub(crate) function: usize,
    pub(crate) data: usize,
}

/// A buffer lent by the app: address and length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BufferSlot {
    pub(crate) address: usize,
    pub(crate) length: usize,
}

/// An upcall a driver scheduled, not yet delivered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QueuedUpcall {
    pub(crate) driver: u32,
    pub(crate) subscribe: u32,
    pub(crate) arguments: (u32, u32, u32),
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) drivers: Vec<Rc<dyn Driver>>,
    pub(crate) upcalls: HashMap<(u32, u32), UpcallSlot>,
    pub(crate) allow_ro: HashMap<(u32, u32), BufferSlot>,
    pub(crate) allow_rw: HashMap<(u32, u32), BufferSlot>,
    pub(crate) allow_userspace_readable: HashMap<(u32, u32), BufferSlot>,
    pub(crate) queue: VecDeque<QueuedUpcall>,
    pub(crate) log: Vec<SyscallLogEntry>,
    pub(crate) injected: Vec<InjectedFailure>,
    pub(crate) memory: MemoryLayout,
    pub(crate) exited: Option<ExitCall>,
    pub(crate) idle_actions: VecDeque<Box<dyn FnOnce()>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<RefCell<State>>>> = const { RefCell::new(None) };
}

/// The current thread's kernel state. Panics (a test bug, not app input)
/// when no [`Kernel`] exists.
pub(crate) fn state() -> Rc<RefCell<State>> {
    CURRENT.with(|current| {
        current
            .borrow()
            .clone()
            .expect("no fake kernel: create a libtock_unittest::Kernel at the start of the test")
    })
}

/// The driver with `number`, if the test added one.
pub(crate) fn driver(number: u32) -> Option<Rc<dyn Driver>> {
    state()
        .borrow()
        .drivers
        .iter()
        .find(|driver| driver.number() == number)
        .cloned()
}

/// Lets time pass: asks each driver, in order, to finish one operation.
/// Returns false if none had anything in flight.
/// Then runs the oldest action a test queued with [`Kernel::when_idle`].
pub(crate) fn idle() -> bool {
    let drivers = state().borrow().drivers.clone();
    if drivers.iter().any(|driver| driver.on_idle()) {
        return true;
    }
    let action = state().borrow_mut().idle_actions.pop_front();
    match action {
        Some(action) => {
            action();
            true
        }
        None => false,
    }
}

/// Takes the first injected failure matching `call`, if any.
pub(crate) fn take_injected(call: SyscallMatch) -> Option<ErrorCode> {
    let state = state();
    let mut state = state.borrow_mut();
    let index = state
        .injected
        .iter()
        .position(|failure| failure.call == call)?;
    Some(state.injected.remove(index).error)
}

/// Appends to the syscall log.
pub(crate) fn log(entry: SyscallLogEntry) {
    state().borrow_mut().log.push(entry);
}

/// The fake kernel of one test. Dropping it removes it from the thread.
pub struct Kernel {
    state: Rc<RefCell<State>>,
}

impl Kernel {
    /// Creates the thread's kernel. Panics if the thread already has one
    /// (two kernels in one test is a bug in the test).
    pub fn new() -> Kernel {
        let state = Rc::new(RefCell::new(State::default()));
        CURRENT.with(|current| {
            let mut current = current.borrow_mut();
            assert!(
                current.is_none(),
                "a fake kernel already exists on this thread"
            );
            *current = Some(state.clone());
        });
        Kernel { state }
    }

    /// Adds a fake driver; later system calls to its number reach it.
    pub fn add_driver<D: Driver + 'static>(&self, driver: &Rc<D>) {
        let driver: Rc<dyn Driver> = driver.clone();
        self.state.borrow_mut().drivers.push(driver);
    }

    /// Queues `action` to run the next time the app blocks with nothing
    /// pending: the outside world acting while the app sleeps (a button
    /// press, input arriving). Actions run one per block, oldest first.
    pub fn when_idle(&self, action: impl FnOnce() + 'static) {
        self.state
            .borrow_mut()
            .idle_actions
            .push_back(Box::new(action));
    }

    /// Every system call since the last call of this method.
    pub fn take_syscall_log(&self) -> Vec<SyscallLogEntry> {
        std::mem::take(&mut self.state.borrow_mut().log)
    }

    /// Makes the next system call matching `call` fail with `error`.
    pub fn inject_failure(&self, call: SyscallMatch, error: ErrorCode) {
        self.state
            .borrow_mut()
            .injected
            .push(InjectedFailure { call, error });
    }

    /// The injected failures no call has hit yet.
    pub fn unused_injections(&self) -> Vec<InjectedFailure> {
        self.state.borrow().injected.clone()
    }

    /// Sets the fake process memory.
    pub fn set_memory_layout(&self, layout: MemoryLayout) {
        self.state.borrow_mut().memory = layout;
    }

    /// The fake process memory, with the current break.
    pub fn memory_layout(&self) -> MemoryLayout {
        self.state.borrow().memory
    }

    /// Upcalls scheduled and not yet delivered.
    pub fn pending_upcalls(&self) -> usize {
        self.state.borrow().queue.len()
    }

    /// True if (driver, subscribe) currently has a non-null upcall.
    pub fn is_subscribed(&self, driver: u32, subscribe: u32) -> bool {
        self.state
            .borrow()
            .upcalls
            .get(&(driver, subscribe))
            .is_some_and(|slot| slot.function != 0)
    }

    /// True if (driver, buffer) currently holds a non-empty read-only buffer.
    pub fn is_allowed_ro(&self, driver: u32, buffer: u32) -> bool {
        self.state
            .borrow()
            .allow_ro
            .get(&(driver, buffer))
            .is_some_and(|slot| slot.address != 0)
    }

    /// True if (driver, buffer) currently holds a non-empty read-write buffer.
    pub fn is_allowed_rw(&self, driver: u32, buffer: u32) -> bool {
        self.state
            .borrow()
            .allow_rw
            .get(&(driver, buffer))
            .is_some_and(|slot| slot.address != 0)
    }
}

impl Default for Kernel {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        CURRENT.with(|current| current.borrow_mut().take());
    }
}
