//! The traits the hardware layers implement: [`Chip`] (a microcontroller),
//! [`UserspaceBoundary`] (the architecture's trap entry and context switch),
//! [`MemoryProtection`] (PMP or MPU) and [`SchedulerTimer`] (timeslices).
//!
//! Nothing here is specific to one architecture: RISC-V (`kernel/arch/riscv`)
//! and Cortex-M implement the same traits. The core never touches a
//! register; it hands these traits plain numbers and typed requests.
//!
//! Changes (newest first; extend, never rename):
//! - 2026-12-06 (IPC sharing): `MemoryProtection::set_shared_regions`,
//!   extra read-write regions of buffers other processes shared with this
//!   one ([`crate::sharing`]); they survive `update_app_break`. The default
//!   refuses any region, so a protection unit that cannot map them exactly
//!   never maps more.
//! - 19:55 UTC (Cortex-M): `FaultCause::DataAccess`; the associated
//!   constant `UserspaceBoundary::INITIAL_ACCESSIBLE_BYTES` (the kernel
//!   starts a process with at least that much RAM below its break, where
//!   Cortex-M puts its first exception frame); `update_app_break` now
//!   receives the break rounded up to `MemoryProtection::granularity()`
//!   (the MPU enforces 32-byte multiples) while the process keeps its
//!   exact break, and grants are never placed below the rounded break.
//! - 17:45 UTC: `configure_for_process` is no longer called before every
//!   switch, only when the configuration may have changed; the kernel
//!   runs between syscalls of one process with its regions in place.
//! - 17:35 UTC: a process that yielded is descheduled even when the
//!   interrupt that wakes it is already pending (round robin interleaves).
//!   (Capsules: `UartMux` asserts on a duplicate attach: one static used
//!   for two VirtualUarts made every received byte arrive twice.)
//! - 16:56 UTC: `initialize_process`, `set_syscall_return` and `set_upcall`
//!   return `Result<(), BoundaryError>` instead of `Result<(), ()>`.

pub use crate::syscall::ReturnRegisters;
use core::fmt;

/// A half-open address range `[start, start + size)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub start: usize,
    /// Number of bytes.
    pub size: usize,
}

impl Region {
    /// A region from `start` spanning `size` bytes.
    pub const fn new(start: usize, size: usize) -> Self {
        Region { start, size }
    }

    /// One past the last byte (saturating: a region never wraps).
    pub const fn end(&self) -> usize {
        self.start.saturating_add(self.size)
    }
}

/// A microcontroller: its architecture boundary, memory protection,
/// scheduler timer and interrupt controller.
pub trait Chip {
    /// The architecture's user/kernel boundary.
    type UserspaceBoundary: UserspaceBoundary;
    /// The PMP or MPU.
    type MemoryProtection: MemoryProtection;
    /// The timer that ends a process's timeslice.
    type SchedulerTimer: SchedulerTimer;

    /// The user/kernel boundary.
    fn userspace_boundary(&self) -> &Self::UserspaceBoundary;
    /// The memory protection unit.
    fn memory_protection(&self) -> &Self::MemoryProtection;
    /// The scheduler timer.
    fn scheduler_timer(&self) -> &Self::SchedulerTimer;

    /// Run the bottom half of every pending device interrupt (the chip's
    /// drivers call their HIL clients from here, in kernel context).
    fn service_pending_interrupts(&self);
    /// True if a device interrupt is waiting to be serviced.
    fn has_pending_interrupts(&self) -> bool;
    /// Sleep until an interrupt arrives (`wfi`); returns after it.
    fn sleep(&self);
    /// Run `operation` with interrupts disabled.
    fn atomic<R, F: FnOnce() -> R>(&self, operation: F) -> R;
}

/// Where a process starts, as the kernel tells the architecture.
///
/// The process starts executing at `init_function`. On RISC-V its entry
/// registers are `a0 = app_start`, `a1 = ram.start`, `a2 = ram.size`,
/// `a3 = initial_break` (which equals `ram.start`: an app must `brk` before
/// it touches RAM), the same as upstream Tock, whose C and Rust runtimes
/// find their start-up header through `a0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessStart {
    /// Flash address where execution begins (`init_fn_offset` bytes after
    /// the TBF header).
    pub init_function: usize,
    /// Flash address of the app's first byte after the TBF header and its
    /// protected region.
    pub app_start: usize,
    /// The process's whole RAM region (app memory and grant region).
    pub ram: Region,
    /// The initial app break: the first address the process may not touch.
    pub initial_break: usize,
}

/// Memory the process can currently touch: `[start, app_break)`.
/// Architectures that push frames on the process stack (Cortex-M) must
/// stay inside it; RISC-V ignores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessibleMemory {
    /// Start of the process's RAM.
    pub start: usize,
    /// The app break.
    pub app_break: usize,
}

/// An upcall to run in the process: `function(arguments[0..4])`.
///
/// On RISC-V: `pc = function`, `a0..a3 = arguments`, `ra` = the
/// instruction after the yield that delivers it, `sp` unchanged.
/// (`arguments[3]` is the app data the process passed to subscribe.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpcallEntry {
    /// Address of the function in the process's flash.
    pub function: usize,
    /// The three capsule arguments and the app data.
    pub arguments: [u32; 4],
}

/// The raw system call a process made: its class register and four
/// argument registers, not yet validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawSyscall {
    /// `a4` on RISC-V, the `svc` immediate on Arm.
    pub class: u32,
    /// `a0..a3` / `r0..r3`.
    pub arguments: [u32; 4],
}

/// What kind of fault a process took, decoded from `mcause` / CFSR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultCause {
    /// The instruction fetch was not allowed (PMP/MPU).
    InstructionAccess,
    /// The instruction does not exist or is privileged.
    IllegalInstruction,
    /// A breakpoint instruction.
    Breakpoint,
    /// A misaligned load or store or jump.
    Misaligned,
    /// A load the memory protection refused.
    LoadAccess,
    /// A store the memory protection refused.
    StoreAccess,
    /// A load or store the memory protection refused, where the hardware
    /// does not say which (the ARMv7-M MPU's DACCVIOL and stacking errors).
    DataAccess,
    /// Anything else, with the architecture's raw cause number.
    Other(u32),
}

impl FaultCause {
    /// A short name for the console.
    pub const fn description(&self) -> &'static str {
        match self {
            FaultCause::InstructionAccess => "instruction access fault",
            FaultCause::IllegalInstruction => "illegal instruction",
            FaultCause::Breakpoint => "breakpoint",
            FaultCause::Misaligned => "misaligned access",
            FaultCause::LoadAccess => "load access fault",
            FaultCause::StoreAccess => "store access fault",
            FaultCause::DataAccess => "data access fault",
            FaultCause::Other(_) => "other exception",
        }
    }
}

/// A fault a process took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Why.
    pub cause: FaultCause,
    /// The faulting address (`mtval` / MMFAR), 0 if not known.
    pub address: usize,
    /// The program counter of the faulting instruction.
    pub pc: usize,
}

/// Why [`UserspaceBoundary::switch_to_process`] came back to the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextSwitchReason {
    /// The process made a system call. The stored state already resumes
    /// after the trap instruction (`ecall` / `svc`).
    Syscall(RawSyscall),
    /// The process faulted; the stored state holds its registers.
    Fault(Fault),
    /// A timer or device interrupt arrived while the process ran.
    Interrupted,
}

/// Why the architecture could not prepare a process's registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundaryError {
    /// A frame it must write (Cortex-M pushes one on the process stack)
    /// would fall outside the process's accessible memory.
    OutsideProcessMemory,
    /// The entry point or stack is not usable by this architecture.
    InvalidProcessState,
}

/// The architecture's side of the kernel/process boundary.
pub trait UserspaceBoundary {
    /// The registers saved for a process while it does not run.
    type StoredState: Default + Copy;

    /// Bytes of RAM a process must be able to reach when it starts (0 on
    /// RISC-V; 32 on Cortex-M, whose first exception return pops a frame
    /// from the process stack). The kernel raises the initial break to
    /// `ram.start + INITIAL_ACCESSIBLE_BYTES` if it is lower.
    const INITIAL_ACCESSIBLE_BYTES: usize = 0;

    /// Prepare `state` so the first switch starts the process at
    /// `start.init_function` with the entry registers of [`ProcessStart`].
    /// Fails if the architecture cannot start it there (the process is
    /// then faulted, never the kernel).
    fn initialize_process(
        &self,
        state: &mut Self::StoredState,
        start: ProcessStart,
    ) -> Result<(), BoundaryError>;

    /// Zero `memory`, the part of a process's RAM that no grant holds,
    /// before the process starts or restarts: a new incarnation reads
    /// nothing its predecessor (or an earlier app in the slot) left there,
    /// as upstream's `zero_memory_checker` expects. The kernel calls it
    /// only while the process is not running and no buffer of it is
    /// shared or allowed.
    fn clear_process_memory(&self, memory: Region);

    /// Write the return registers of the syscall the process made: the
    /// first `registers.count` of them and no others (see
    /// [`ReturnRegisters`]: the rest keep what the process had).
    fn set_syscall_return(
        &self,
        state: &mut Self::StoredState,
        memory: AccessibleMemory,
        registers: ReturnRegisters,
    ) -> Result<(), BoundaryError>;

    /// Make the process run `upcall` next; when it returns it continues
    /// where the process would have continued (after its yield).
    fn set_upcall(
        &self,
        state: &mut Self::StoredState,
        memory: AccessibleMemory,
        upcall: UpcallEntry,
    ) -> Result<(), BoundaryError>;

    /// Run the process until it makes a syscall, faults or is interrupted.
    ///
    /// # Safety
    /// The caller must have configured memory protection for this process
    /// ([`MemoryProtection::configure_for_process`]) and `state` must have
    /// been initialised by [`UserspaceBoundary::initialize_process`].
    unsafe fn switch_to_process(&self, state: &mut Self::StoredState) -> ContextSwitchReason;

    /// Print the saved registers (for fault reports and the process console).
    fn print_state(&self, state: &Self::StoredState, writer: &mut dyn fmt::Write) -> fmt::Result;
}

/// Access a process is given to a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permissions {
    /// Read and execute (its own flash).
    ReadExecute,
    /// Read and write (its RAM below the app break).
    ReadWrite,
    /// Read only.
    ReadOnly,
}

/// Why memory protection could not be configured as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryProtectionError {
    /// No free hardware region is left.
    OutOfRegions,
    /// The hardware cannot express the region (alignment, size).
    Unrepresentable,
    /// The requested RAM does not fit in the memory offered.
    DoesNotFit,
}

/// A PMP or MPU: restricts a process to its own flash (R-X) and its own
/// RAM below the app break (RW); nothing else, MMIO included.
pub trait MemoryProtection {
    /// The per-process configuration, kept in the process control block.
    type Config: Default + Copy;

    /// The smallest alignment and size granularity of a region in bytes
    /// (4 for PMP TOR; the MPU's minimum for Cortex-M).
    fn granularity(&self) -> usize;

    /// Choose where the process's RAM lives inside `available` so that it
    /// is at least `minimum_size` bytes and representable by the hardware
    /// as it grows. Returns the chosen region (the kernel places its grant
    /// region at the top of it). Does not program the hardware.
    fn allocate_ram(
        &self,
        available: Region,
        minimum_size: usize,
        config: &mut Self::Config,
    ) -> Result<Region, MemoryProtectionError>;

    /// Record the process's flash (its whole TBF image) as read-execute.
    fn set_flash(
        &self,
        flash: Region,
        config: &mut Self::Config,
    ) -> Result<(), MemoryProtectionError>;

    /// Record the accessible RAM as `[ram.start, app_break)`. The grant
    /// region above `kernel_break` must stay unreachable. Fails if the
    /// hardware cannot express the new break; the kernel then refuses the
    /// `brk`/`sbrk` with NOMEM.
    fn update_app_break(
        &self,
        ram: Region,
        app_break: usize,
        kernel_break: usize,
        config: &mut Self::Config,
    ) -> Result<(), MemoryProtectionError>;

    /// Give the process read-write (never execute) access to exactly
    /// `regions` besides its own memory: buffers other processes shared
    /// with it ([`crate::sharing`]). Replaces the shared regions set
    /// before; kept across [`Self::update_app_break`]. Fails, leaving
    /// `config` as it was, if the hardware cannot map every region exactly
    /// (never a byte more) or has no free region left.
    fn set_shared_regions(
        &self,
        regions: &[Region],
        _config: &mut Self::Config,
    ) -> Result<(), MemoryProtectionError> {
        if regions.is_empty() {
            Ok(())
        } else {
            Err(MemoryProtectionError::Unrepresentable)
        }
    }

    /// Program the hardware with `config` before switching to the process.
    /// The kernel may keep running with it in place between switches to
    /// the same process (M-mode ignores unlocked PMP entries; Cortex-M's
    /// privileged default map), so it is called again only when the
    /// configuration may have changed (after a memop) or another process
    /// runs.
    fn configure_for_process(&self, config: &Self::Config);

    /// Remove every user region (the kernel stops running that process).
    fn disable_user_regions(&self);
}

/// The timer that bounds how long a process runs before it is preempted
/// (on RISC-V the CLINT's machine timer).
pub trait SchedulerTimer {
    /// Start a timeslice of `microseconds`; it expires with an interrupt
    /// only while armed.
    fn start(&self, microseconds: u32);
    /// Stop the timeslice and clear any pending expiry.
    fn reset(&self);
    /// Allow the expiry interrupt (just before switching to a process).
    fn arm(&self);
    /// Suppress the expiry interrupt (back in the kernel).
    fn disarm(&self);
    /// Microseconds left, or `None` if the timeslice has expired.
    fn remaining_microseconds(&self) -> Option<u32>;
}

/// A synchronous text sink for kernel messages (skipped images, faults,
/// panics). The board implements it, typically by polling the UART.
pub trait DebugOutput {
    /// Write `text` completely before returning.
    fn write_text(&self, text: &str);
}

/// Adapts a [`DebugOutput`] to [`fmt::Write`].
pub struct DebugWriter<'a>(pub &'a dyn DebugOutput);

impl fmt::Write for DebugWriter<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.write_text(text);
        Ok(())
    }
}

/// A scheduler timer for boards without one (cooperative scheduling):
/// timeslices never expire.
#[derive(Default)]
pub struct NoSchedulerTimer;

impl SchedulerTimer for NoSchedulerTimer {
    fn start(&self, _microseconds: u32) {}
    fn reset(&self) {}
    fn arm(&self) {}
    fn disarm(&self) {}
    fn remaining_microseconds(&self) -> Option<u32> {
        Some(u32::MAX)
    }
}
