//! The main loop against the fake chip: starting processes, returning
//! values, delivering upcalls, preemption, faults, sleeping.

extern crate std;
use std::vec::Vec;

use super::fake::*;
use crate::deferred_call::DeferredCalls;
use crate::fault::FaultPolicy;
use crate::kernel_loop::{KernelLoop, LoopStep};
use crate::platform::{ContextSwitchReason, Fault, FaultCause, UpcallEntry};
use crate::process::State;
use crate::scheduler::{Cooperative, Priority, RoundRobin, Scheduler, StoppedReason};
use crate::upcall::UpcallId;

struct Rig {
    environment: Environment,
    chip: FakeChip,
    drivers: TestDrivers,
    deferred: &'static DeferredCalls,
}

impl Rig {
    fn new(count: usize) -> Self {
        let environment = Environment::new(count, 4096);
        let drivers = TestDrivers(TestDriver::new(environment.kernel));
        let deferred = std::boxed::Box::leak(std::boxed::Box::new(DeferredCalls::new()));
        Rig {
            environment,
            chip: FakeChip::new(),
            drivers,
            deferred,
        }
    }

    fn steps(&mut self, scheduler: &dyn Scheduler, count: usize) -> Vec<LoopStep> {
        let mut kernel_loop = KernelLoop::new(
            self.environment.kernel,
            &self.chip,
            &mut self.environment.contexts,
            &self.drivers,
            scheduler,
            self.deferred,
            &TestCapability,
        );
        (0..count).map(|_| kernel_loop.step()).collect()
    }

    fn init(&self, index: usize) -> usize {
        self.environment.process(index).init_function.get()
    }
}

fn returned(events: &[BoundaryEvent]) -> Vec<[u32; 4]> {
    events
        .iter()
        .filter_map(|event| {
            if let BoundaryEvent::Returned(_, values) = event {
                Some(*values)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn a_process_starts_and_gets_its_return_values() {
    let mut rig = Rig::new(1);
    rig.chip.script(&[
        syscall(2, [TEST_DRIVER, 0, 0, 0]),
        syscall(2, [0x4242, 0, 0, 0]),
        syscall(0, [1, 0, 0, 0]),
    ]);
    let steps = rig.steps(&RoundRobin::new(10_000), 2);
    assert_eq!(
        steps,
        [
            LoopStep::RanProcess(0, StoppedReason::Waiting),
            LoopStep::Slept
        ]
    );
    let events = rig.chip.events();
    let BoundaryEvent::Started(start) = events[0] else {
        panic!("{:?}", events)
    };
    assert_eq!(start.init_function, rig.init(0));
    assert_eq!(
        start.initial_break, start.ram.start,
        "apps must brk before touching RAM"
    );
    assert_eq!(returned(&events), [[128, 0, 0, 0], [0, 11, 0, 0]]);
    assert_eq!(rig.environment.process(0).state(), State::Yielded);
    assert_eq!(rig.chip.sleeps.get(), 1);
}

#[test]
fn yield_wait_delivers_the_upcall_with_its_app_data() {
    let mut rig = Rig::new(1);
    let code = rig.environment.code(0);
    rig.chip.script(&[
        syscall(1, [TEST_DRIVER, 0, code, 0xabcd]),
        syscall(2, [TEST_DRIVER, 1, 5, 6]),
        syscall(0, [1, 0, 0, 0]),
        syscall(0, [1, 0, 0, 0]),
    ]);
    rig.steps(&RoundRobin::new(10_000), 1);
    let upcalls: Vec<_> = rig
        .chip
        .events()
        .into_iter()
        .filter(|event| matches!(event, BoundaryEvent::Upcall(..)))
        .collect();
    let expected = UpcallEntry {
        function: code as usize,
        arguments: [5, 6, 7, 0xabcd],
    };
    assert_eq!(upcalls, [BoundaryEvent::Upcall(rig.init(0), expected)]);
    assert_eq!(rig.environment.process(0).state(), State::Yielded);
}

#[test]
fn resubscribing_cancels_pending_upcalls() {
    let mut rig = Rig::new(1);
    let code = rig.environment.code(0);
    rig.chip.script(&[
        syscall(1, [TEST_DRIVER, 0, code, 1]),
        syscall(2, [TEST_DRIVER, 1, 5, 6]),
        syscall(1, [TEST_DRIVER, 0, code + 4, 2]),
        syscall(0, [1, 0, 0, 0]),
    ]);
    rig.steps(&RoundRobin::new(10_000), 2);
    assert!(!rig
        .chip
        .events()
        .iter()
        .any(|event| matches!(event, BoundaryEvent::Upcall(..))));
    assert_eq!(rig.environment.process(0).state(), State::Yielded);
}

#[test]
fn yield_wait_for_returns_the_awaited_upcall_values_without_calling_it() {
    let mut rig = Rig::new(1);
    rig.chip.script(&[syscall(0, [2, TEST_DRIVER, 0, 0])]);
    rig.steps(&RoundRobin::new(10_000), 1);
    let id = UpcallId {
        driver: TEST_DRIVER,
        subscribe: 0,
    };
    assert_eq!(rig.environment.process(0).state(), State::YieldedFor(id));
    // The capsule finishes later (never from inside the command).
    rig.drivers
        .0
        .grant
        .enter(rig.environment.id(0), |_, data| {
            data.schedule_upcall(0, (11, 12, 13))
        })
        .unwrap()
        .unwrap();
    rig.chip.events();
    rig.chip.script(&[syscall(0, [1, 0, 0, 0])]);
    rig.steps(&RoundRobin::new(10_000), 1);
    assert_eq!(returned(&rig.chip.events()), [[11, 12, 13, 0]]);
}

#[test]
fn an_event_before_yield_wait_for_is_not_lost_and_plain_yield_skips_it() {
    let mut rig = Rig::new(1);
    // The command schedules upcall 0 (nothing subscribed) before the
    // process gets to yield-wait-for it.
    rig.chip.script(&[
        syscall(2, [TEST_DRIVER, 1, 21, 22]),
        syscall(0, [2, TEST_DRIVER, 0, 0]),
    ]);
    rig.steps(&RoundRobin::new(10_000), 1);
    assert_eq!(returned(&rig.chip.events()).last(), Some(&[21, 22, 7, 0]));
    // A null upcall never runs on a plain yield (and yield-no-wait reports
    // nothing to run), but a later yield-wait-for still gets it.
    let flag = rig.environment.process(0).layout().ram.start as u32;
    rig.environment.set_break(0, 64);
    rig.chip.script(&[
        syscall(2, [TEST_DRIVER, 1, 1, 2]),
        syscall(0, [0, flag, 0, 0]),
        syscall(0, [1, 0, 0, 0]),
    ]);
    rig.steps(&RoundRobin::new(10_000), 2);
    assert!(!rig
        .chip
        .events()
        .iter()
        .any(|event| matches!(event, BoundaryEvent::Upcall(..))));
    // SAFETY: the flag byte is in the fake process's low test memory.
    assert_eq!(unsafe { (flag as usize as *const u8).read() }, 0);
    assert_eq!(rig.environment.process(0).state(), State::Yielded);
    assert!(!rig.environment.process(0).is_ready());
    rig.environment.process(0).state.set(State::Running);
    rig.chip.script(&[syscall(0, [2, TEST_DRIVER, 0, 0])]);
    rig.steps(&RoundRobin::new(10_000), 1);
    assert_eq!(returned(&rig.chip.events()).last(), Some(&[1, 2, 7, 0]));
}

#[test]
fn a_busy_loop_is_preempted_and_cannot_starve_another_process() {
    let mut rig = Rig::new(2);
    rig.chip.timer.budget.set(3);
    // Process 0 never makes a syscall (the script is empty): it only ever
    // comes back because of interrupts.
    let steps = rig.steps(&RoundRobin::new(10_000), 4);
    assert_eq!(
        steps[0],
        LoopStep::RanProcess(0, StoppedReason::TimesliceExpired)
    );
    assert_eq!(
        steps[1],
        LoopStep::RanProcess(1, StoppedReason::TimesliceExpired)
    );
    assert_eq!(
        steps[2],
        LoopStep::RanProcess(0, StoppedReason::TimesliceExpired)
    );
    assert_eq!(rig.environment.process(0).timeslice_expiration_count(), 2);
}

#[test]
fn interrupts_are_serviced_before_processes_and_the_slice_resumes() {
    let mut rig = Rig::new(2);
    rig.chip.pending_interrupts.set(1);
    let steps = rig.steps(&RoundRobin::new(10_000), 1);
    assert_eq!(steps, [LoopStep::ServicedInterrupts]);
    rig.chip.timer.budget.set(100);
    rig.chip.script(&[ContextSwitchReason::Interrupted]);
    // Raise an interrupt as process 0 runs: the fake boundary cannot, so
    // check the scheduler's own decision instead.
    let scheduler = RoundRobin::new(10_000);
    scheduler.next(rig.environment.kernel);
    scheduler.result(StoppedReason::KernelWork, Some(4_000));
    assert_eq!(
        scheduler.next(rig.environment.kernel),
        crate::scheduler::SchedulingDecision::RunProcess {
            index: 0,
            timeslice_microseconds: Some(4_000)
        }
    );
}

#[test]
fn priority_runs_the_first_ready_process_and_cooperative_never_preempts() {
    let rig = Rig::new(3);
    let decision = Priority.next(rig.environment.kernel);
    assert_eq!(
        decision,
        crate::scheduler::SchedulingDecision::RunProcess {
            index: 0,
            timeslice_microseconds: None
        }
    );
    rig.environment.process(0).state.set(State::Yielded);
    let decision = Priority.next(rig.environment.kernel);
    assert_eq!(
        decision,
        crate::scheduler::SchedulingDecision::RunProcess {
            index: 1,
            timeslice_microseconds: None
        }
    );
    let cooperative = Cooperative::default();
    let first = cooperative.next(rig.environment.kernel);
    cooperative.result(StoppedReason::Waiting, None);
    let second = cooperative.next(rig.environment.kernel);
    assert_eq!(
        first,
        crate::scheduler::SchedulingDecision::RunProcess {
            index: 1,
            timeslice_microseconds: None
        }
    );
    assert_eq!(
        second,
        crate::scheduler::SchedulingDecision::RunProcess {
            index: 2,
            timeslice_microseconds: None
        }
    );
}

fn store_fault() -> ContextSwitchReason {
    ContextSwitchReason::Fault(Fault {
        cause: FaultCause::StoreAccess,
        address: 0x8000_0000,
        pc: 0x2004_0100,
    })
}

#[test]
fn a_faulting_process_is_restarted_up_to_the_threshold_then_stopped() {
    let mut rig = Rig::new(2);
    rig.environment
        .kernel
        .set_fault_policy(FaultPolicy::Restart { threshold: 2 }, &TestCapability);
    rig.environment.process(1).state.set(State::Yielded);
    rig.chip
        .script(&[store_fault(), store_fault(), store_fault()]);
    rig.steps(&Priority, 3);
    let process = rig.environment.process(0);
    assert_eq!(process.state(), State::Faulted);
    assert_eq!(process.restart_count(), 2);
    let starts = rig
        .chip
        .events()
        .iter()
        .filter(|event| matches!(event, BoundaryEvent::Started(_)))
        .count();
    assert_eq!(starts, 3);
    let output = rig.environment.output();
    assert!(
        output.contains(
            "process first faulted: store access fault at address 0x80000000, pc 0x20040100"
        ),
        "{}",
        output
    );
    assert!(
        output.contains("fake registers of"),
        "registers printed: {}",
        output
    );
    assert!(output.contains("stopped after fault"));
    assert_eq!(
        rig.environment.process(1).state(),
        State::Yielded,
        "the other process is untouched"
    );
}

#[test]
fn a_process_memory_is_cleared_before_each_start_and_restart() {
    let mut rig = Rig::new(1);
    rig.environment
        .kernel
        .set_fault_policy(FaultPolicy::Restart { threshold: 1 }, &TestCapability);
    rig.chip.script(&[store_fault(), store_fault()]);
    rig.steps(&Priority, 2);
    let ram = rig.environment.process(0).layout().ram;
    let cleared = rig.chip.boundary.cleared.borrow().clone();
    assert_eq!(cleared.len(), 2, "first start and one restart: {cleared:?}");
    for region in cleared {
        assert_eq!(region.start, ram.start);
        assert!(region.size > 0 && region.size <= ram.size, "{region:?}");
    }
}

#[test]
fn stop_policy_leaves_the_process_faulted() {
    let mut rig = Rig::new(1);
    rig.environment
        .kernel
        .set_fault_policy(FaultPolicy::Stop, &TestCapability);
    rig.chip.script(&[store_fault()]);
    rig.steps(&RoundRobin::new(10_000), 2);
    assert_eq!(rig.environment.process(0).state(), State::Faulted);
    assert_eq!(rig.environment.process(0).restart_count(), 0);
}

#[test]
fn deferred_calls_run_before_processes() {
    struct Client;
    impl crate::deferred_call::DeferredCallClient for Client {
        fn handle_deferred_call(&self) {}
    }
    let mut rig = Rig::new(1);
    let call = rig.deferred.allocate();
    call.register(&Client);
    call.set();
    let steps = rig.steps(&RoundRobin::new(10_000), 1);
    assert_eq!(steps, [LoopStep::ServicedDeferredCall]);
}

/// Client 0 shares 64 bytes of its RAM with service 2, as the IPC
/// capsule does through the grant API.
fn share_client_buffer_with_service(rig: &mut Rig) -> crate::platform::Region {
    // The loop tells the kernel the protection's granule.
    rig.steps(&RoundRobin::new(10_000), 0);
    let client = rig.environment.process(0);
    let start = client.layout().ram.start + 0x40;
    let region = crate::platform::Region::new(start, 64);
    let id = |index: usize| crate::process::ProcessId {
        index,
        identifier: rig.environment.process(index).identifier.get(),
    };
    rig.environment
        .kernel
        .shared_buffers()
        .share(crate::sharing::SharedBuffer {
            owner: id(0),
            grant: 0,
            buffer: 2,
            peer: id(2),
            region,
        })
        .unwrap();
    region
}

#[test]
fn a_shared_buffer_reaches_the_service_alone_and_leaves_it_when_the_client_ends() {
    let mut rig = Rig::new(3);
    let region = share_client_buffer_with_service(&mut rig);
    rig.chip.script(&[
        syscall(0, [1, 0, 0, 0]),
        syscall(0, [1, 0, 0, 0]),
        syscall(0, [1, 0, 0, 0]),
    ]);
    rig.steps(&RoundRobin::new(10_000), 3);
    let protection = |rig: &Rig, index: usize| rig.environment.contexts[index].protection;
    assert_eq!(protection(&rig, 2).shared_regions(), [region]);
    assert!(protection(&rig, 0).shared_regions().is_empty(), "owner");
    assert!(protection(&rig, 1).shared_regions().is_empty(), "third");
    rig.environment.kernel.terminate(0);
    rig.environment.process(2).state.set(State::Running);
    rig.chip.script(&[syscall(0, [1, 0, 0, 0])]);
    rig.steps(&RoundRobin::new(10_000), 1);
    assert!(
        protection(&rig, 2).shared_regions().is_empty(),
        "gone before the service ran again"
    );
}

#[test]
fn a_restarted_service_starts_without_the_buffer() {
    let mut rig = Rig::new(3);
    share_client_buffer_with_service(&mut rig);
    rig.chip.script(&[
        syscall(0, [1, 0, 0, 0]),
        syscall(0, [1, 0, 0, 0]),
        syscall(0, [1, 0, 0, 0]),
    ]);
    rig.steps(&RoundRobin::new(10_000), 3);
    assert_eq!(rig.environment.contexts[2].protection.shared_count, 1);
    rig.environment.kernel.restart(2);
    rig.chip.script(&[syscall(0, [1, 0, 0, 0])]);
    rig.steps(&RoundRobin::new(10_000), 1);
    assert_eq!(rig.environment.contexts[2].protection.shared_count, 0);
    assert_eq!(rig.environment.kernel.shared_buffers().iter().count(), 0);
}
