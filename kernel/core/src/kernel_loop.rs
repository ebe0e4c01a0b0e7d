//! The main loop: service interrupts, then deferred calls, then let the
//! scheduler run a process, else sleep (`wfi`). This is where the
//! chip-independent kernel meets the chip: starting processes, delivering
//! upcalls, switching, and turning what came back into system calls,
//! faults or preemption.

#[cfg(feature = "app_management")]
use crate::app_management::AppManagement;
use crate::capability::MainLoopCapability;
use crate::deferred_call::DeferredCalls;
use crate::driver::SyscallDriverLookup;
use crate::kernel::{Kernel, ProcessContext};
use crate::platform::{
    AccessibleMemory, Chip, ContextSwitchReason, DebugWriter, Fault, MemoryProtection,
    ProcessStart, Region, SchedulerTimer, UpcallEntry, UserspaceBoundary,
};
use crate::process::State;
use crate::scheduler::{Scheduler, SchedulingDecision, StoppedReason};
use crate::syscall::{Syscall, SyscallReturn};
use crate::syscall_handler::{handle_syscall, SyscallOutcome};

/// The architecture state of every process for chip `C`.
pub type ChipProcessContext<C> =
    ProcessContext<<C as Chip>::UserspaceBoundary, <C as Chip>::MemoryProtection>;

/// What one turn of the loop did (for tests and benchmarks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopStep {
    /// Serviced device interrupts.
    ServicedInterrupts,
    /// Ran one deferred call.
    ServicedDeferredCall,
    /// Performed a runtime app operation (install, replace, remove); only
    /// with feature `app_management`.
    ManagedApps,
    /// Ran a process; why it stopped.
    RanProcess(usize, StoppedReason),
    /// Nothing to do: slept.
    Slept,
}

/// The kernel's main loop over one chip.
pub struct KernelLoop<'a, C: Chip> {
    kernel: &'static Kernel,
    chip: &'a C,
    contexts: &'a mut [ChipProcessContext<C>],
    drivers: &'a dyn SyscallDriverLookup,
    scheduler: &'a dyn Scheduler,
    deferred_calls: &'a DeferredCalls,
    #[cfg(feature = "app_management")]
    app_management: Option<&'a AppManagement>,
}

impl<'a, C: Chip> KernelLoop<'a, C> {
    /// The loop; `contexts` has one entry per process slot.
    pub fn new(
        kernel: &'static Kernel,
        chip: &'a C,
        contexts: &'a mut [ChipProcessContext<C>],
        drivers: &'a dyn SyscallDriverLookup,
        scheduler: &'a dyn Scheduler,
        deferred_calls: &'a DeferredCalls,
        _capability: &dyn MainLoopCapability,
    ) -> Self {
        assert!(
            contexts.len() >= kernel.processes().len(),
            "one ProcessContext per process slot"
        );
        // Shared buffers must start and end on the protection's granule,
        // so that the hardware maps exactly them.
        let granule = chip.memory_protection().granularity().max(1);
        kernel.shared_buffers().set_granule(granule);
        KernelLoop {
            kernel,
            chip,
            contexts,
            drivers,
            scheduler,
            deferred_calls,
            #[cfg(feature = "app_management")]
            app_management: None,
        }
    }

    /// Perform the runtime app operations `management` is asked for
    /// (feature `app_management`).
    #[cfg(feature = "app_management")]
    pub fn with_app_management(mut self, management: &'a AppManagement) -> Self {
        self.app_management = Some(management);
        self
    }

    /// Run forever.
    pub fn run(&mut self) -> ! {
        loop {
            self.step();
        }
    }

    /// One turn: interrupts first, then deferred calls, then a process,
    /// else sleep.
    pub fn step(&mut self) -> LoopStep {
        if self.chip.has_pending_interrupts() {
            self.chip.service_pending_interrupts();
            return LoopStep::ServicedInterrupts;
        }
        if self.deferred_calls.service_next() {
            return LoopStep::ServicedDeferredCall;
        }
        #[cfg(feature = "app_management")]
        if let Some(management) = self.app_management.filter(|m| m.has_request()) {
            let protection = self.chip.memory_protection();
            management.perform(self.kernel, protection, self.contexts);
            return LoopStep::ManagedApps;
        }
        match self.scheduler.next(self.kernel) {
            SchedulingDecision::RunProcess {
                index,
                timeslice_microseconds,
            } => {
                let reason = self.run_process(index, timeslice_microseconds);
                let remaining = timeslice_microseconds
                    .and(self.chip.scheduler_timer().remaining_microseconds());
                self.chip.scheduler_timer().reset();
                self.scheduler.result(reason, remaining);
                LoopStep::RanProcess(index, reason)
            }
            SchedulingDecision::TrySleep => {
                let deferred_calls = self.deferred_calls;
                let chip = self.chip;
                chip.atomic(|| {
                    if !chip.has_pending_interrupts() && !deferred_calls.has_pending() {
                        chip.sleep();
                    }
                });
                LoopStep::Slept
            }
        }
    }

    /// Run process `index` until it waits, its timeslice ends or the kernel
    /// has work; its memory protection stays programmed while it runs.
    fn run_process(&mut self, index: usize, timeslice_microseconds: Option<u32>) -> StoppedReason {
        let timer = self.chip.scheduler_timer();
        if let Some(microseconds) = timeslice_microseconds {
            timer.reset();
            timer.start(microseconds);
        }
        let reason = self.switch_until_stopped(index, timeslice_microseconds.is_some());
        self.chip.memory_protection().disable_user_regions();
        reason
    }

    /// The inner loop of [`Self::run_process`]. Between a system call and
    /// the next switch nothing needs checking but readiness and deferred
    /// calls: an interrupt that became pending meanwhile traps the process
    /// at once (`Interrupted`), and then expiry and interrupts are checked.
    fn switch_until_stopped(&mut self, index: usize, timed: bool) -> StoppedReason {
        let timer = self.chip.scheduler_timer();
        let process = &self.kernel.processes()[index];
        let mut after_interrupt = true;
        let mut configured = false;
        loop {
            // Expiry first: the timer's own interrupt must count as
            // preemption, not as other kernel work.
            if after_interrupt && timed && timer.remaining_microseconds().is_none() {
                let expirations = process.timeslice_expiration_count.get();
                process
                    .timeslice_expiration_count
                    .set(expirations.wrapping_add(1));
                return StoppedReason::TimesliceExpired;
            }
            // A process that yielded has given up the processor, even if
            // the interrupt that will wake it is already pending.
            if !process.is_ready() {
                return StoppedReason::Waiting;
            }
            if (after_interrupt && self.chip.has_pending_interrupts())
                || self.deferred_calls.has_pending()
            {
                return StoppedReason::KernelWork;
            }
            if !self.prepare(index) {
                return StoppedReason::Waiting;
            }
            if !configured {
                self.apply_shared_regions();
            }
            let context = &mut self.contexts[index];
            if !configured {
                self.chip
                    .memory_protection()
                    .configure_for_process(&context.protection);
                configured = true;
            }
            if timed {
                timer.arm();
            }
            // SAFETY: memory protection was configured for this process
            // (above, or before an earlier switch with no change since), and
            // `prepare` initialised its stored state.
            let reason = unsafe {
                self.chip
                    .userspace_boundary()
                    .switch_to_process(&mut context.stored_state)
            };
            timer.disarm();
            after_interrupt = false;
            match reason {
                ContextSwitchReason::Syscall(raw) => {
                    let syscall = Syscall::decode(raw);
                    // A memop may move the break: program the new regions.
                    configured &= !matches!(syscall, Syscall::Memop { .. });
                    if !self.complete_syscall(index, syscall) {
                        return StoppedReason::Waiting;
                    }
                    // The call may have ended a sharing with this process
                    // (a client it serves faulted through process info):
                    // its regions are rewritten before it runs again.
                    configured &= !self.kernel.shared_buffers().any_stale();
                }
                ContextSwitchReason::Fault(fault) => {
                    self.report_fault(index, fault);
                    self.kernel.handle_fault(index);
                    return StoppedReason::Waiting;
                }
                ContextSwitchReason::Interrupted => after_interrupt = true,
            }
        }
    }

    /// Rewrite the shared regions of every process whose sharing changed
    /// since they were last written ([`crate::sharing`]).
    #[inline(always)] // reason: on every context switch, measured
    fn apply_shared_regions(&mut self) {
        if self.kernel.shared_buffers().any_stale() {
            self.rewrite_shared_regions();
        }
    }

    /// [`Self::apply_shared_regions`] once something changed: every
    /// marked process at once, so nothing stays marked for a process that
    /// does not run soon (or ever again).
    #[cold]
    #[inline(never)] // reason: keeps the switch path short
    fn rewrite_shared_regions(&mut self) {
        let kernel = self.kernel;
        let shared_buffers = kernel.shared_buffers();
        // Resets revoke at once; this only guards the invariant.
        for (entry, shared) in shared_buffers.iter() {
            if kernel.process(shared.owner).is_none() || kernel.process(shared.peer).is_none() {
                shared_buffers.revoke_entry(entry);
            }
        }
        for index in 0..kernel.processes().len() {
            if shared_buffers.take_stale(index) {
                self.rewrite_shared_regions_of(index);
            }
        }
    }

    /// Write process `index`'s shared regions into its configuration. A
    /// region the hardware has no room for is dropped and reported: the
    /// process then faults if it touches that buffer, as under upstream's
    /// kernel when the MPU is full.
    fn rewrite_shared_regions_of(&mut self, index: usize) {
        let kernel = self.kernel;
        let shared_buffers = kernel.shared_buffers();
        let shared = shared_buffers.regions_of(index);
        let protection = self.chip.memory_protection();
        let config = &mut self.contexts[index].protection;
        let mut count = shared.regions().len();
        while protection
            .set_shared_regions(&shared.regions()[..count], config)
            .is_err()
        {
            let Some(last) = count.checked_sub(1) else {
                break;
            };
            count = last;
            if let Some(entry) = shared.entry(count) {
                shared_buffers.revoke_entry(entry);
            }
            kernel.print(format_args!(
                "[kernel] no memory protection region left to share a buffer with process {}\r\n",
                kernel.processes()[index].name()
            ));
        }
        // Dropping an entry above marked this process again.
        shared_buffers.take_stale(index);
    }

    /// Handle a syscall; false if the process must not continue.
    fn complete_syscall(&mut self, index: usize, syscall: Syscall) -> bool {
        let protection = self.chip.memory_protection();
        let context = &mut self.contexts[index];
        let outcome = handle_syscall(
            self.kernel,
            index,
            syscall,
            self.drivers,
            protection,
            &mut context.protection,
        );
        match outcome {
            SyscallOutcome::Return(value) => {
                let memory = accessible_memory(self.kernel, index);
                let boundary = self.chip.userspace_boundary();
                if boundary
                    .set_syscall_return(&mut context.stored_state, memory, value.encode())
                    .is_err()
                {
                    self.kernel.handle_fault(index);
                    return false;
                }
                true
            }
            SyscallOutcome::NoReturn => true,
            SyscallOutcome::Exited => false,
        }
    }

    /// Before a switch: start the process if it is new or restarted, and
    /// deliver the upcall a yielded process is ready for. False if it
    /// cannot run (no deliverable upcall, or its start failed).
    fn prepare(&mut self, index: usize) -> bool {
        let process = &self.kernel.processes()[index];
        if process.state() == State::Running && !process.needs_start.get() {
            return true;
        }
        if process.needs_start.get() {
            // The last incarnation's shared regions go before the new
            // break is laid out (they may hold hardware regions it needs).
            self.apply_shared_regions();
        }
        let boundary = self.chip.userspace_boundary();
        let context = &mut self.contexts[index];
        if process.needs_start.get() {
            let mut layout = process.layout();
            let minimum_break = layout.ram.start.saturating_add(
                <C::UserspaceBoundary as UserspaceBoundary>::INITIAL_ACCESSIBLE_BYTES,
            );
            if layout.app_break < minimum_break && minimum_break <= layout.kernel_break {
                layout.app_break = minimum_break;
                process.layout.set(layout);
            }
            boundary.clear_process_memory(Region {
                start: layout.ram.start,
                size: layout.kernel_break.saturating_sub(layout.ram.start),
            });
            let protection = self.chip.memory_protection();
            let start = ProcessStart {
                init_function: process.init_function.get(),
                app_start: layout
                    .flash
                    .start
                    .saturating_add(usize::from(process.app_start_offset.get())),
                ram: layout.ram,
                initial_break: layout.app_break,
            };
            let started = protection
                .update_app_break(
                    layout.ram,
                    layout.app_break,
                    layout.kernel_break,
                    &mut context.protection,
                )
                .is_ok()
                && boundary
                    .initialize_process(&mut context.stored_state, start)
                    .is_ok();
            process.needs_start.set(false);
            if !started {
                self.kernel.print(format_args!(
                    "[kernel] process {} could not be started\r\n",
                    process.name()
                ));
                self.kernel.handle_fault(index);
                return false;
            }
        }
        let memory = accessible_memory(self.kernel, index);
        match process.state() {
            State::Running => true,
            State::Yielded => {
                let Some((position, slot)) = process.first_deliverable_upcall() else {
                    return false;
                };
                let Some(upcall) = process.upcalls.remove(position) else {
                    return false;
                };
                let [first, second, third] = upcall.arguments;
                let entry = UpcallEntry {
                    function: slot.function,
                    arguments: [first, second, third, slot.appdata],
                };
                process.state.set(State::Running);
                if boundary
                    .set_upcall(&mut context.stored_state, memory, entry)
                    .is_err()
                {
                    self.kernel.handle_fault(index);
                    return false;
                }
                true
            }
            State::YieldedFor(id) => {
                let Some(position) = process
                    .upcalls
                    .position(|upcall| process.upcall_id(upcall) == Some(id))
                else {
                    return false;
                };
                let Some(upcall) = process.upcalls.remove(position) else {
                    return false;
                };
                let [first, second, third] = upcall.arguments;
                let value = SyscallReturn::YieldWaitFor(first, second, third).encode();
                process.state.set(State::Running);
                if boundary
                    .set_syscall_return(&mut context.stored_state, memory, value)
                    .is_err()
                {
                    self.kernel.handle_fault(index);
                    return false;
                }
                true
            }
            _ => false,
        }
    }

    fn report_fault(&self, index: usize, fault: Fault) {
        let process = &self.kernel.processes()[index];
        self.kernel.print(format_args!(
            "\r\n[kernel] process {} faulted: {} at address {:#010x}, pc {:#010x}",
            process.name(),
            fault.cause.description(),
            fault.address,
            fault.pc
        ));
        if let crate::platform::FaultCause::Other(raw) = fault.cause {
            self.kernel.print(format_args!(" (cause {})", raw));
        }
        self.kernel.print(format_args!("\r\n"));
        let mut writer = DebugWriter(self.kernel.output());
        let _ = self
            .chip
            .userspace_boundary()
            .print_state(&self.contexts[index].stored_state, &mut writer);
    }
}

#[inline(always)] // reason: on the null-syscall path, measured
fn accessible_memory(kernel: &Kernel, index: usize) -> AccessibleMemory {
    let layout = kernel.processes()[index].layout();
    AccessibleMemory {
        start: layout.ram.start,
        app_break: layout.app_break,
    }
}
