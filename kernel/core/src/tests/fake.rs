//! A fake chip for host tests: the boundary plays a script of context
//! switch reasons and records what the kernel wrote into the registers.

extern crate std;

use core::cell::{Cell, RefCell};
use core::fmt;
use std::boxed::Box;
use std::collections::VecDeque;
use std::string::String;
use std::vec::Vec;

use crate::capability::{
    MainLoopCapability, MemoryAllocationCapability, ProcessManagementCapability,
};
use crate::driver::{SyscallDriver, SyscallDriverLookup};
use crate::grant::Grant;
use crate::kernel::{Kernel, ProcessContext};
use crate::memory::MemoryLayout;
use crate::platform::{
    AccessibleMemory, BoundaryError, Chip, ContextSwitchReason, DebugOutput, MemoryProtection,
    MemoryProtectionError, ProcessStart, RawSyscall, Region, ReturnRegisters, SchedulerTimer,
    UpcallEntry, UserspaceBoundary,
};
use crate::process::{Process, ProcessId};
use crate::syscall::CommandReturn;
use kernel_abi::ErrorCode;

pub struct TestCapability;
// SAFETY: test code is trusted.
unsafe impl ProcessManagementCapability for TestCapability {}
// SAFETY: test code is trusted.
unsafe impl MainLoopCapability for TestCapability {}
// SAFETY: test code is trusted.
unsafe impl MemoryAllocationCapability for TestCapability {}

/// Collects kernel messages.
#[derive(Default)]
pub struct RecordingOutput(pub RefCell<String>);

impl DebugOutput for RecordingOutput {
    fn write_text(&self, text: &str) {
        self.0.borrow_mut().push_str(text);
    }
}

/// What the fake boundary saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundaryEvent {
    Started(ProcessStart),
    Returned(usize, [u32; 4]),
    Upcall(usize, UpcallEntry),
    Switched(usize),
}

/// Saved "registers": which process (its init function) this is.
#[derive(Clone, Copy, Default, Debug)]
pub struct FakeState {
    pub init_function: usize,
}

#[derive(Default)]
pub struct FakeBoundary {
    pub script: RefCell<VecDeque<ContextSwitchReason>>,
    pub events: RefCell<Vec<BoundaryEvent>>,
    /// Every region the kernel asked to zero, in order.
    pub cleared: RefCell<Vec<Region>>,
}

impl UserspaceBoundary for FakeBoundary {
    type StoredState = FakeState;

    fn initialize_process(
        &self,
        state: &mut FakeState,
        start: ProcessStart,
    ) -> Result<(), BoundaryError> {
        state.init_function = start.init_function;
        self.events.borrow_mut().push(BoundaryEvent::Started(start));
        Ok(())
    }

    fn clear_process_memory(&self, memory: Region) {
        self.cleared.borrow_mut().push(memory);
    }

    fn set_syscall_return(
        &self,
        state: &mut FakeState,
        _memory: AccessibleMemory,
        registers: ReturnRegisters,
    ) -> Result<(), BoundaryError> {
        self.events.borrow_mut().push(BoundaryEvent::Returned(
            state.init_function,
            registers.values,
        ));
        Ok(())
    }

    fn set_upcall(
        &self,
        state: &mut FakeState,
        _memory: AccessibleMemory,
        upcall: UpcallEntry,
    ) -> Result<(), BoundaryError> {
        self.events
            .borrow_mut()
            .push(BoundaryEvent::Upcall(state.init_function, upcall));
        Ok(())
    }

    unsafe fn switch_to_process(&self, state: &mut FakeState) -> ContextSwitchReason {
        self.events
            .borrow_mut()
            .push(BoundaryEvent::Switched(state.init_function));
        // An exhausted script means the process spins until preempted.
        self.script
            .borrow_mut()
            .pop_front()
            .unwrap_or(ContextSwitchReason::Interrupted)
    }

    fn print_state(&self, state: &FakeState, writer: &mut dyn fmt::Write) -> fmt::Result {
        write!(writer, "  fake registers of {:#x}\r\n", state.init_function)
    }
}

/// Places RAM at `granularity`-aligned addresses and records the break.
pub struct FakeProtection {
    pub granularity: usize,
    pub configured: Cell<usize>,
}

#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct FakeConfig {
    pub flash: Region,
    pub ram_start: usize,
    pub app_break: usize,
    pub shared: [Region; crate::sharing::MAX_SHARED_PER_PROCESS],
    pub shared_count: usize,
}

impl FakeConfig {
    /// The buffers of other processes this process may reach.
    pub fn shared_regions(&self) -> &[Region] {
        &self.shared[..self.shared_count]
    }
}

impl MemoryProtection for FakeProtection {
    type Config = FakeConfig;

    fn granularity(&self) -> usize {
        self.granularity
    }

    fn allocate_ram(
        &self,
        available: Region,
        minimum_size: usize,
        config: &mut FakeConfig,
    ) -> Result<Region, MemoryProtectionError> {
        let start = (available.start + self.granularity - 1) & !(self.granularity - 1);
        let size = (minimum_size + self.granularity - 1) & !(self.granularity - 1);
        if start + size > available.end() {
            return Err(MemoryProtectionError::DoesNotFit);
        }
        config.ram_start = start;
        Ok(Region::new(start, size))
    }

    fn set_flash(
        &self,
        flash: Region,
        config: &mut FakeConfig,
    ) -> Result<(), MemoryProtectionError> {
        config.flash = flash;
        Ok(())
    }

    fn update_app_break(
        &self,
        _ram: Region,
        app_break: usize,
        _kernel_break: usize,
        config: &mut FakeConfig,
    ) -> Result<(), MemoryProtectionError> {
        config.app_break = app_break;
        Ok(())
    }

    fn set_shared_regions(
        &self,
        regions: &[Region],
        config: &mut FakeConfig,
    ) -> Result<(), MemoryProtectionError> {
        if regions.len() > config.shared.len() {
            return Err(MemoryProtectionError::OutOfRegions);
        }
        config.shared[..regions.len()].copy_from_slice(regions);
        config.shared_count = regions.len();
        Ok(())
    }

    fn configure_for_process(&self, _config: &FakeConfig) {
        self.configured.set(self.configured.get() + 1);
    }

    fn disable_user_regions(&self) {}
}

/// A timeslice that lasts a fixed number of `remaining` queries.
#[derive(Default)]
pub struct FakeTimer {
    pub queries_left: Cell<Option<u32>>,
    pub budget: Cell<u32>,
}

impl SchedulerTimer for FakeTimer {
    fn start(&self, _microseconds: u32) {
        self.queries_left.set(Some(self.budget.get()));
    }
    fn reset(&self) {
        self.queries_left.set(None);
    }
    fn arm(&self) {}
    fn disarm(&self) {}
    fn remaining_microseconds(&self) -> Option<u32> {
        match self.queries_left.get() {
            Some(0) => None,
            Some(left) => {
                self.queries_left.set(Some(left - 1));
                Some(left * 100)
            }
            None => Some(0),
        }
    }
}

pub struct FakeChip {
    pub boundary: FakeBoundary,
    pub protection: FakeProtection,
    pub timer: FakeTimer,
    pub pending_interrupts: Cell<u32>,
    pub sleeps: Cell<u32>,
}

impl FakeChip {
    pub fn new() -> Self {
        FakeChip {
            boundary: FakeBoundary::default(),
            protection: FakeProtection {
                granularity: 8,
                configured: Cell::new(0),
            },
            timer: FakeTimer {
                queries_left: Cell::new(None),
                budget: Cell::new(1000),
            },
            pending_interrupts: Cell::new(0),
            sleeps: Cell::new(0),
        }
    }

    pub fn script(&self, reasons: &[ContextSwitchReason]) {
        self.boundary
            .script
            .borrow_mut()
            .extend(reasons.iter().copied());
    }

    pub fn events(&self) -> Vec<BoundaryEvent> {
        core::mem::take(&mut *self.boundary.events.borrow_mut())
    }
}

impl Chip for FakeChip {
    type UserspaceBoundary = FakeBoundary;
    type MemoryProtection = FakeProtection;
    type SchedulerTimer = FakeTimer;

    fn userspace_boundary(&self) -> &FakeBoundary {
        &self.boundary
    }
    fn memory_protection(&self) -> &FakeProtection {
        &self.protection
    }
    fn scheduler_timer(&self) -> &FakeTimer {
        &self.timer
    }
    fn service_pending_interrupts(&self) {
        self.pending_interrupts.set(0);
    }
    fn has_pending_interrupts(&self) -> bool {
        self.pending_interrupts.get() != 0
    }
    fn sleep(&self) {
        self.sleeps.set(self.sleeps.get() + 1);
    }
    fn atomic<R, F: FnOnce() -> R>(&self, operation: F) -> R {
        operation()
    }
}

pub fn syscall(class: u32, arguments: [u32; 4]) -> ContextSwitchReason {
    ContextSwitchReason::Syscall(RawSyscall { class, arguments })
}

pub type FakeContext = ProcessContext<FakeBoundary, FakeProtection>;

/// A test kernel with `count` processes, each with `ram_size` bytes of
/// real (leaked) RAM and 4 KiB of fake flash, loaded by hand.
pub struct Environment {
    pub kernel: &'static Kernel,
    pub output: &'static RecordingOutput,
    pub contexts: Vec<FakeContext>,
}

pub const FLASH_SIZE: usize = 0x1000;

/// Memory below 4 GiB, so its addresses fit the 32-bit syscall registers
/// as on the device. Leaked: tests hold `'static` references into it.
pub fn low_memory(bytes: usize) -> &'static mut [u8] {
    use core::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0x4000_0000);
    let size = (bytes + 0xfff) & !0xfff;
    loop {
        let hint = NEXT.fetch_add(size + 0x1000, Ordering::Relaxed);
        assert!(hint + size < 0xf000_0000, "out of low test memory");
        // SAFETY: an anonymous private mapping at a fixed address that must
        // not replace anything (FIXED_NOREPLACE); on success we own it.
        let address = unsafe {
            libc::mmap(
                hint as *mut libc::c_void,
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        if address as usize == hint {
            // SAFETY: the mapping is `size` readable, writeable, zeroed bytes
            // owned by nobody else, never unmapped.
            return unsafe { core::slice::from_raw_parts_mut(address as *mut u8, bytes) };
        }
    }
}

impl Environment {
    pub fn new(count: usize, ram_size: usize) -> Self {
        let output: &'static RecordingOutput = Box::leak(Box::default());
        let processes: &'static [Process] = Box::leak(
            (0..count)
                .map(|_| Process::new())
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let kernel: &'static Kernel = Box::leak(Box::new(Kernel::new(processes, output)));
        let flash_base = low_memory(count * FLASH_SIZE).as_ptr() as usize;
        for (index, process) in processes.iter().enumerate() {
            let ram = low_memory(ram_size);
            let flash = Region::new(flash_base + index * FLASH_SIZE, FLASH_SIZE);
            process.loaded.set(true);
            process
                .name
                .set(["first", "second", "third", "fourth"][index % 4]);
            process.layout.set(MemoryLayout::new(
                flash,
                Region::new(ram.as_ptr() as usize, ram_size),
            ));
            process.init_function.set(flash.start + 0x40);
            kernel.start_fresh(index);
        }
        let contexts = (0..count).map(|_| FakeContext::default()).collect();
        Environment {
            kernel,
            output,
            contexts,
        }
    }

    /// An address inside the code of process `index`.
    pub fn code(&self, index: usize) -> u32 {
        (self.process(index).layout().flash.start + 0x80) as u32
    }

    pub fn id(&self, index: usize) -> ProcessId {
        ProcessId {
            index,
            identifier: self.kernel.processes()[index].identifier.get(),
        }
    }

    pub fn process(&self, index: usize) -> &'static Process {
        &self.kernel.processes()[index]
    }

    /// Move the break of process `index` to `offset` bytes into its RAM.
    pub fn set_break(&self, index: usize, offset: usize) {
        let process = self.process(index);
        let mut layout = process.layout();
        layout.app_break = layout.ram.start + offset;
        process.layout.set(layout);
    }

    pub fn output(&self) -> String {
        self.output.0.borrow().clone()
    }
}

/// A test capsule: driver 0x99 with a grant of 2 upcalls, 1 read-only and
/// 1 read-write buffer. Command 1 schedules upcall 0 with (arg0, arg1, 7);
/// command 2 returns the lengths of the allowed buffers; command 3 copies
/// the read-only buffer into the read-write one.
pub struct TestDriver {
    pub grant: Grant<u32, 2, 1, 1>,
}

pub const TEST_DRIVER: u32 = 0x99;

impl TestDriver {
    pub fn new(kernel: &'static Kernel) -> &'static TestDriver {
        Box::leak(Box::new(TestDriver {
            grant: kernel.create_grant(TEST_DRIVER, &TestCapability),
        }))
    }
}

impl SyscallDriver for TestDriver {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        argument1: u32,
        process: ProcessId,
    ) -> CommandReturn {
        let entered = self.grant.enter(process, |count, kernel_data| {
            *count += 1;
            match command {
                0 => CommandReturn::success(),
                1 => match kernel_data.schedule_upcall(0, (argument0, argument1, 7)) {
                    Ok(()) => CommandReturn::success(),
                    Err(_) => CommandReturn::failure(ErrorCode::Busy),
                },
                2 => {
                    let read_only = kernel_data
                        .read_only_buffer(0)
                        .map_or(0, |buffer| buffer.len());
                    let read_write = kernel_data
                        .read_write_buffer(0)
                        .map_or(0, |buffer| buffer.len());
                    CommandReturn::success_u32_u32(read_only as u32, read_write as u32)
                }
                3 => {
                    let mut bytes = [0u8; 64];
                    let read = kernel_data
                        .read_only_buffer(0)
                        .map_or(0, |buffer| buffer.copy_to(0, &mut bytes));
                    let written = kernel_data
                        .read_write_buffer(0)
                        .map_or(0, |buffer| buffer.copy_from(0, &bytes[..read]));
                    CommandReturn::success_u32(written as u32)
                }
                _ => CommandReturn::failure(ErrorCode::NoSupport),
            }
        });
        entered.unwrap_or_else(|error| CommandReturn::failure(error.into()))
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }

    fn allows_userspace_readable(&self, number: u32) -> bool {
        number == 0
    }
}

/// Drivers for tests: the test driver only.
pub struct TestDrivers(pub &'static TestDriver);

impl SyscallDriverLookup for TestDrivers {
    fn driver(&self, driver: u32) -> Option<&dyn SyscallDriver> {
        (driver == TEST_DRIVER).then_some(self.0 as &dyn SyscallDriver)
    }
}
