//! The kernel object: the process table, grant numbering, the fault policy,
//! and the chip-independent process state transitions (fault, restart,
//! terminate). The main loop that drives a chip is in [`crate::kernel_loop`].

use core::cell::Cell;
use core::fmt::Write;

use crate::capability::{MemoryAllocationCapability, ProcessManagementCapability};
#[cfg(feature = "credentials")]
use crate::credential::CredentialChecker;
use crate::fault::{FaultAction, FaultPolicy};
use crate::grant::Grant;
use crate::identity::ShortIdPolicy;
use crate::platform::{DebugOutput, DebugWriter, MemoryProtection, UserspaceBoundary};
use crate::process::{Process, ProcessId, State, MAX_GRANTS};
use crate::sharing::SharedBuffers;

/// The architecture state of one process: saved registers and its memory
/// protection configuration. Kept apart from [`Process`] so that grants
/// and capsules do not depend on the chip.
pub struct ProcessContext<U: UserspaceBoundary, M: MemoryProtection> {
    /// Saved registers.
    pub stored_state: U::StoredState,
    /// PMP/MPU configuration.
    pub protection: M::Config,
}

impl<U: UserspaceBoundary, M: MemoryProtection> Default for ProcessContext<U, M> {
    fn default() -> Self {
        ProcessContext {
            stored_state: Default::default(),
            protection: Default::default(),
        }
    }
}

/// The kernel: processes and the policies that govern them.
pub struct Kernel {
    processes: &'static [Process],
    next_identifier: Cell<u32>,
    grant_count: Cell<usize>,
    fault_policy: Cell<FaultPolicy>,
    short_id_policy: Cell<ShortIdPolicy>,
    /// Checks new processes before they start (see [`crate::credential`]);
    /// `None`: the board checks no credentials. Feature `credentials`.
    #[cfg(feature = "credentials")]
    pub(crate) credential_checker: Cell<Option<&'static CredentialChecker>>,
    /// Buffers processes share with each other (upstream IPC semantics).
    shared_buffers: SharedBuffers,
    output: &'static dyn DebugOutput,
}

impl Kernel {
    /// A kernel over the board's process slots, printing to `output`.
    pub const fn new(processes: &'static [Process], output: &'static dyn DebugOutput) -> Self {
        Kernel {
            processes,
            next_identifier: Cell::new(0),
            grant_count: Cell::new(0),
            fault_policy: Cell::new(FaultPolicy::Restart {
                threshold: crate::fault::DEFAULT_RESTART_THRESHOLD,
            }),
            short_id_policy: Cell::new(ShortIdPolicy::HashOfAppId),
            #[cfg(feature = "credentials")]
            credential_checker: Cell::new(None),
            shared_buffers: SharedBuffers::new(),
            output,
        }
    }

    /// Choose the fault policy (the board's decision).
    pub fn set_fault_policy(
        &self,
        policy: FaultPolicy,
        _capability: &dyn ProcessManagementCapability,
    ) {
        self.fault_policy.set(policy);
    }

    /// The fault policy in force.
    pub fn fault_policy(&self) -> FaultPolicy {
        self.fault_policy.get()
    }

    /// Choose how apps get short ids (the board's decision, before loading).
    pub fn set_short_id_policy(
        &self,
        policy: ShortIdPolicy,
        _capability: &dyn ProcessManagementCapability,
    ) {
        self.short_id_policy.set(policy);
    }

    /// The short-id policy in force.
    pub fn short_id_policy(&self) -> ShortIdPolicy {
        self.short_id_policy.get()
    }

    /// Create the grant of the capsule serving `driver`. Panics at boot if
    /// the board creates more than [`MAX_GRANTS`] (a configuration error).
    pub fn create_grant<
        T: Default,
        const UPCALLS: usize,
        const READ_ONLY: usize,
        const READ_WRITE: usize,
    >(
        &'static self,
        driver: u32,
        _capability: &dyn MemoryAllocationCapability,
    ) -> Grant<T, UPCALLS, READ_ONLY, READ_WRITE> {
        let index = self.grant_count.get();
        assert!(
            index < MAX_GRANTS,
            "too many grants: raise process::MAX_GRANTS"
        );
        self.grant_count.set(index + 1);
        Grant::new(self, driver, index)
    }

    /// Grants created so far.
    pub fn grant_count(&self) -> usize {
        self.grant_count.get()
    }

    /// The buffers processes share with each other ([`crate::sharing`]).
    pub fn shared_buffers(&self) -> &SharedBuffers {
        &self.shared_buffers
    }

    /// Forget the current incarnation of slot `index` and take a fresh
    /// identifier; every buffer it shared or was shared leaves the other
    /// process's regions with it.
    fn reset_process(&self, index: usize) {
        self.processes[index].reset(self.new_identifier());
        self.shared_buffers.revoke_process(index);
    }

    /// Where kernel messages go.
    pub fn output(&self) -> &'static dyn DebugOutput {
        self.output
    }

    /// Write a formatted kernel message.
    pub fn print(&self, arguments: core::fmt::Arguments<'_>) {
        let _ = DebugWriter(self.output).write_fmt(arguments);
    }

    /// The live process `id` names, if its incarnation still exists.
    pub fn process(&self, id: ProcessId) -> Option<&Process> {
        let process = self.processes.get(id.index)?;
        (process.is_loaded()
            && process.identifier.get() == id.identifier
            && process.state().is_alive())
        .then_some(process)
    }

    /// Ids of every loaded process, alive or not.
    pub fn process_ids(&self) -> impl Iterator<Item = ProcessId> + '_ {
        self.processes
            .iter()
            .enumerate()
            .filter(|(_, process)| process.is_loaded())
            .map(|(index, process)| ProcessId {
                index,
                identifier: process.identifier.get(),
            })
    }

    /// Every slot, for reading (state, counters, names).
    pub fn processes(&self) -> &'static [Process] {
        self.processes
    }

    /// A fresh identifier for a new incarnation.
    pub(crate) fn new_identifier(&self) -> u32 {
        let identifier = self.next_identifier.get();
        self.next_identifier.set(identifier.wrapping_add(1));
        identifier
    }

    /// Start the process in slot `index` from its entry point: a new
    /// incarnation with empty grants, its break at the RAM start.
    pub(crate) fn start_fresh(&self, index: usize) {
        let process = &self.processes[index];
        self.reset_process(index);
        process.needs_start.set(true);
        process.state.set(State::Running);
    }

    /// Restart (counted against the fault policy).
    pub(crate) fn restart(&self, index: usize) {
        let process = &self.processes[index];
        process
            .restart_count
            .set(process.restart_count.get().wrapping_add(1));
        self.start_fresh(index);
    }

    /// End the process: its grants and upcalls are gone at once.
    pub(crate) fn terminate(&self, index: usize) {
        let process = &self.processes[index];
        self.reset_process(index);
        process.state.set(State::Terminated);
    }

    /// End the process and free its slot: the slot and its RAM may be
    /// given to a new process (runtime app management).
    pub(crate) fn unload(&self, index: usize) {
        self.terminate(index);
        let process = &self.processes[index];
        process.loaded.set(false);
        process.name.set("");
        process.restart_count.set(0);
    }

    /// Apply the fault policy to the process in slot `index`.
    pub(crate) fn handle_fault(&self, index: usize) {
        let process = &self.processes[index];
        match self.fault_policy.get().action(process.restart_count()) {
            FaultAction::Restart => {
                self.print(format_args!(
                    "[kernel] restarting process {}\r\n",
                    process.name()
                ));
                self.restart(index);
            }
            FaultAction::Stop => {
                self.print(format_args!(
                    "[kernel] process {} stopped after fault\r\n",
                    process.name()
                ));
                self.reset_process(index);
                process.state.set(State::Faulted);
            }
            FaultAction::Panic => panic!(
                "process {} faulted and the board's policy is to panic",
                process.name()
            ),
        }
    }
}

/// Process management for trusted callers (the process console, process
/// loading): every operation needs a [`ProcessManagementCapability`].
#[derive(Clone, Copy)]
pub struct ProcessManagement<'a> {
    kernel: &'a Kernel,
}

impl<'a> ProcessManagement<'a> {
    /// Management of `kernel`, for the holder of the capability.
    pub fn new(kernel: &'a Kernel, _capability: &dyn ProcessManagementCapability) -> Self {
        ProcessManagement { kernel }
    }

    /// The kernel managed.
    pub fn kernel(&self) -> &'a Kernel {
        self.kernel
    }

    /// The slot of the loaded process whose current identifier is
    /// `identifier` (what upstream calls its process id).
    pub fn find_by_identifier(&self, identifier: u32) -> Option<usize> {
        self.kernel
            .processes
            .iter()
            .position(|process| process.is_loaded() && process.identifier.get() == identifier)
    }

    /// The current identifier of the process in slot `index`.
    pub fn identifier(&self, index: usize) -> Option<u32> {
        self.kernel
            .processes
            .get(index)
            .filter(|p| p.is_loaded())
            .map(|p| p.identifier.get())
    }

    /// The slot index of the loaded process named `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.kernel
            .processes
            .iter()
            .position(|process| process.is_loaded() && process.name() == name)
    }

    /// Stop a running or yielded process. False if it cannot be stopped.
    pub fn stop(&self, index: usize) -> bool {
        self.kernel.processes.get(index).is_some_and(Process::stop)
    }

    /// Resume a stopped process. False if it was not stopped.
    pub fn resume(&self, index: usize) -> bool {
        self.kernel
            .processes
            .get(index)
            .is_some_and(Process::resume)
    }

    /// Fault the process as if it had faulted (fault policy applies).
    pub fn fault(&self, index: usize) -> bool {
        let alive = self
            .kernel
            .processes
            .get(index)
            .is_some_and(|p| p.is_loaded() && p.state().is_alive());
        if alive {
            self.kernel.handle_fault(index);
        }
        alive
    }

    /// Terminate the process.
    pub fn terminate(&self, index: usize) -> bool {
        let alive = self
            .kernel
            .processes
            .get(index)
            .is_some_and(|p| p.is_loaded() && p.state().is_alive());
        if alive {
            self.kernel.terminate(index);
        }
        alive
    }

    /// Start a terminated or faulted process again from its entry; never
    /// one whose credentials are not approved yet.
    pub fn boot(&self, index: usize) -> bool {
        let dead = self
            .kernel
            .processes
            .get(index)
            .is_some_and(|p| p.is_loaded() && !p.state().is_alive())
            && crate::credential::may_start(self.kernel, index);
        if dead {
            self.kernel.start_fresh(index);
        }
        dead
    }
}
