//! The user/kernel boundary: trap entry and context switch.
//!
//! The kernel runs in machine mode with `mstatus.MIE = 0` for ever: it is
//! never interrupted, and `wfi` still wakes on any interrupt enabled in
//! `mie`. A process runs in user mode, where machine interrupts are always
//! taken, so a timer or device interrupt ends its turn.
//!
//! `mscratch` says who trapped: 0 while the kernel runs; while a process
//! runs it holds the kernel stack pointer, pointing at this frame (pushed
//! by [`switch_to_user`]):
//!
//! ```text
//!  kernel sp -> +0  *mut StoredState of the running process
//!               +4  scratch (the process's t0 during the save)
//!               +8  s0, +12 s1 (kernel; LLVM reserves them)
//!               +16 where the kernel resumes                (32 bytes)
//! ```
//!
//! Switching to a process pushes that frame, points `mscratch` at it,
//! loads all 31 registers and `mret`s. A trap from user mode swaps `sp`
//! with `mscratch`, stores all 31 registers and `mepc` into the
//! `StoredState`, zeroes `mscratch` and jumps to the resume address with
//! `mcause` in `a0`. Every other kernel register is declared clobbered to
//! the compiler, which keeps only what it needs. Nothing else is touched:
//! `mstatus.MPP` stays U across every trap and `mret`, so the fast path
//! needs no `mstatus` write. The kernel must not rely on `gp` or `tp`
//! (no `__global_pointer$` is defined), which a process may change.

use core::fmt;

use kernel::platform::{
    AccessibleMemory, BoundaryError, ContextSwitchReason, Fault, FaultCause, ProcessStart,
    RawSyscall, Region, ReturnRegisters, UpcallEntry, UserspaceBoundary,
};

use crate::cause::{Exception, FaultDescription, TrapCause};

/// Index of `xN` in [`StoredState::registers`] is `N - 1`.
const RA: usize = 0;
const SP: usize = 1;
const A0: usize = 9;
const A4: usize = 13;
/// `mcause` of an `ecall` from user mode.
const ECALL_FROM_USER: u32 = 8;

/// Register names, `x1..x31`, for printing.
const REGISTER_NAMES: [&str; 31] = [
    "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6",
    "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

/// A process's registers while it does not run. The assembly below
/// depends on this layout: `registers[i]` is `x(i+1)` at offset `4 * i`,
/// `pc` at offset 124.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoredState {
    /// `x1..x31`.
    pub registers: [u32; 31],
    /// Where the process resumes.
    pub pc: u32,
    /// `mcause` of the last fault (not written on syscalls or interrupts).
    pub fault_mcause: u32,
    /// `mtval` of the last fault.
    pub fault_mtval: u32,
}

/// The RISC-V machine/user boundary.
#[derive(Default)]
pub struct RiscvUserspaceBoundary;

impl RiscvUserspaceBoundary {
    /// The boundary (stateless: everything lives in each `StoredState`).
    pub const fn new() -> Self {
        RiscvUserspaceBoundary
    }
}

/// Decodes the trap that ended a process's turn. Pure logic: the
/// assembly hands over `mcause`, and `mtval` is read only for faults.
pub fn classify_trap(
    state: &mut StoredState,
    mcause: u32,
    read_mtval: impl FnOnce() -> u32,
) -> ContextSwitchReason {
    // The system call is the hot path: test for it before decoding.
    if mcause == ECALL_FROM_USER {
        // Resume after the 4-byte `ecall`.
        state.pc = state.pc.wrapping_add(4);
        let registers = &state.registers;
        return ContextSwitchReason::Syscall(RawSyscall {
            class: registers[A4],
            arguments: [
                registers[A0],
                registers[A0 + 1],
                registers[A0 + 2],
                registers[A0 + 3],
            ],
        });
    }
    let exception = match TrapCause::from_mcause(mcause) {
        TrapCause::Interrupt(_) => return ContextSwitchReason::Interrupted,
        TrapCause::Exception(exception) => exception,
    };
    let mtval = read_mtval();
    state.fault_mcause = mcause;
    state.fault_mtval = mtval;
    let cause = match exception {
        Exception::InstructionAccessFault => FaultCause::InstructionAccess,
        Exception::IllegalInstruction => FaultCause::IllegalInstruction,
        Exception::Breakpoint => FaultCause::Breakpoint,
        Exception::InstructionMisaligned
        | Exception::LoadMisaligned
        | Exception::StoreMisaligned => FaultCause::Misaligned,
        Exception::LoadAccessFault => FaultCause::LoadAccess,
        Exception::StoreAccessFault => FaultCause::StoreAccess,
        Exception::UserEnvironmentCall
        | Exception::MachineEnvironmentCall
        | Exception::PageFault(_)
        | Exception::Other(_) => FaultCause::Other(mcause),
    };
    ContextSwitchReason::Fault(Fault {
        cause,
        address: mtval as usize,
        pc: state.pc as usize,
    })
}

impl UserspaceBoundary for RiscvUserspaceBoundary {
    type StoredState = StoredState;

    fn initialize_process(
        &self,
        state: &mut StoredState,
        start: ProcessStart,
    ) -> Result<(), BoundaryError> {
        *state = StoredState::default();
        let to_u32 =
            |value: usize| u32::try_from(value).map_err(|_| BoundaryError::InvalidProcessState);
        state.pc = to_u32(start.init_function)?;
        state.registers[A0] = to_u32(start.app_start)?;
        state.registers[A0 + 1] = to_u32(start.ram.start)?;
        state.registers[A0 + 2] = to_u32(start.ram.size)?;
        state.registers[A0 + 3] = to_u32(start.initial_break)?;
        state.registers[SP] = to_u32(start.initial_break)?;
        Ok(())
    }

    fn clear_process_memory(&self, memory: Region) {
        // SAFETY: the kernel passes RAM it gave this process and no grant
        // holds, while the process does not run and none of it is shared
        // or allowed: no Rust reference points into it, and the kernel's
        // own memory lies outside it.
        unsafe { core::ptr::write_bytes(memory.start as *mut u8, 0, memory.size) }
    }

    fn set_syscall_return(
        &self,
        state: &mut StoredState,
        _memory: AccessibleMemory,
        registers: ReturnRegisters,
    ) -> Result<(), BoundaryError> {
        // Only the variant's registers: upstream libtock-rs keeps live
        // values in the others across the ecall. Element by element: a
        // slice copy of variable length becomes a `memcpy` call at
        // opt-level z (69 instructions more per syscall, measured).
        let [a0, a1, a2, a3] = registers.values;
        state.registers[A0] = a0;
        if registers.count > 1 {
            state.registers[A0 + 1] = a1;
        }
        if registers.count > 2 {
            state.registers[A0 + 2] = a2;
        }
        if registers.count > 3 {
            state.registers[A0 + 3] = a3;
        }
        Ok(())
    }

    fn set_upcall(
        &self,
        state: &mut StoredState,
        _memory: AccessibleMemory,
        upcall: UpcallEntry,
    ) -> Result<(), BoundaryError> {
        state.registers[A0..A0 + 4].copy_from_slice(&upcall.arguments);
        // The upcall returns to where the process would have continued.
        state.registers[RA] = state.pc;
        state.pc =
            u32::try_from(upcall.function).map_err(|_| BoundaryError::InvalidProcessState)?;
        Ok(())
    }

    unsafe fn switch_to_process(&self, state: &mut StoredState) -> ContextSwitchReason {
        #[cfg(target_arch = "riscv32")]
        {
            // SAFETY: the caller configured the PMP for this process and
            // initialised `state`; the assembly saves every kernel
            // callee-saved register and returns here on the next trap.
            let mcause = unsafe { switch_to_user(state) };
            classify_trap(state, mcause, crate::csr::read_mtval)
        }
        #[cfg(not(target_arch = "riscv32"))]
        {
            let _ = state;
            unreachable!("processes run only on riscv32")
        }
    }

    fn print_state(&self, state: &StoredState, writer: &mut dyn fmt::Write) -> fmt::Result {
        for (index, name) in REGISTER_NAMES.iter().enumerate() {
            let separator = if index % 4 == 3 { "\r\n" } else { "  " };
            write!(
                writer,
                "{:>3}: {:#010x}{}",
                name, state.registers[index], separator
            )?;
        }
        writeln!(writer, " pc: {:#010x}\r", state.pc)?;
        if state.fault_mcause != 0 {
            let fault = FaultDescription {
                mcause: state.fault_mcause,
                mtval: state.fault_mtval,
                pc: state.pc,
            };
            writeln!(writer, "last fault: {}\r", fault)?;
        }
        Ok(())
    }
}

/// Runs the process whose registers are in `state` until it traps;
/// returns `mcause`.
///
/// Inline assembly rather than a function, so that the compiler saves only
/// the kernel registers it needs across the switch (every allocatable
/// register is declared clobbered) instead of all twelve callee-saved ones.
/// `s0` and `s1` cannot be declared clobbered (LLVM reserves them), so the
/// frame keeps them:
///
/// ```text
///  kernel sp -> +0 state pointer  +4 scratch  +8 s0  +12 s1
///               +16 resume address (label 3 below)     (32 bytes)
/// ```
///
/// # Safety
/// `state` must be a process's initialised registers and the PMP
/// configured for that process.
#[cfg(target_arch = "riscv32")]
#[inline(always)]
unsafe fn switch_to_user(state: &mut StoredState) -> u32 {
    let mut value = state as *mut StoredState as u32;
    // SAFETY: the caller's contract; the trap entry returns to label 3
    // with the frame intact, and every register the process could change
    // is declared clobbered (gp and tp are not used by the kernel).
    unsafe {
        core::arch::asm!(
            "addi sp, sp, -32",
            "sw a0, 0(sp)",
            "sw s0, 8(sp)",
            "sw s1, 12(sp)",
            "la t0, 3f",
            "sw t0, 16(sp)",
            "csrw mscratch, sp",
            "lw t0, 124(a0)",
            "csrw mepc, t0",
            "lw x1, 0(a0)",
            "lw x2, 4(a0)",
            "lw x3, 8(a0)",
            "lw x4, 12(a0)",
            "lw x5, 16(a0)",
            "lw x6, 20(a0)",
            "lw x7, 24(a0)",
            "lw x8, 28(a0)",
            "lw x9, 32(a0)",
            "lw x11, 40(a0)",
            "lw x12, 44(a0)",
            "lw x13, 48(a0)",
            "lw x14, 52(a0)",
            "lw x15, 56(a0)",
            "lw x16, 60(a0)",
            "lw x17, 64(a0)",
            "lw x18, 68(a0)",
            "lw x19, 72(a0)",
            "lw x20, 76(a0)",
            "lw x21, 80(a0)",
            "lw x22, 84(a0)",
            "lw x23, 88(a0)",
            "lw x24, 92(a0)",
            "lw x25, 96(a0)",
            "lw x26, 100(a0)",
            "lw x27, 104(a0)",
            "lw x28, 108(a0)",
            "lw x29, 112(a0)",
            "lw x30, 116(a0)",
            "lw x31, 120(a0)",
            "lw x10, 36(a0)",
            "mret",
            "3:",
            "lw s0, 8(sp)",
            "lw s1, 12(sp)",
            "addi sp, sp, 32",
            inout("a0") value,
            out("s2") _, out("s3") _, out("s4") _, out("s5") _, out("s6") _,
            out("s7") _, out("s8") _, out("s9") _, out("s10") _, out("s11") _,
            clobber_abi("C"),
        );
    }
    value
}

#[cfg(target_arch = "riscv32")]
core::arch::global_asm!(
    r#"
    .section .text._arch_trap_entry, "ax"
    .globl _arch_trap_entry
    .align 2
_arch_trap_entry:
    csrrw sp, mscratch, sp
    beqz sp, 1f
    sw t0, 4(sp)
    lw t0, 0(sp)
    sw x1, 0(t0)
    sw x3, 8(t0)
    sw x4, 12(t0)
    sw x6, 20(t0)
    sw x7, 24(t0)
    sw x8, 28(t0)
    sw x9, 32(t0)
    sw x10, 36(t0)
    sw x11, 40(t0)
    sw x12, 44(t0)
    sw x13, 48(t0)
    sw x14, 52(t0)
    sw x15, 56(t0)
    sw x16, 60(t0)
    sw x17, 64(t0)
    sw x18, 68(t0)
    sw x19, 72(t0)
    sw x20, 76(t0)
    sw x21, 80(t0)
    sw x22, 84(t0)
    sw x23, 88(t0)
    sw x24, 92(t0)
    sw x25, 96(t0)
    sw x26, 100(t0)
    sw x27, 104(t0)
    sw x28, 108(t0)
    sw x29, 112(t0)
    sw x30, 116(t0)
    sw x31, 120(t0)
    lw t1, 4(sp)
    sw t1, 16(t0)
    csrr t1, mscratch
    sw t1, 4(t0)
    csrr t1, mepc
    sw t1, 124(t0)
    csrw mscratch, zero
    csrr a0, mcause
    lw t0, 16(sp)
    jr t0
1:
    csrrw sp, mscratch, sp
    csrr a0, mcause
    csrr a1, mepc
    csrr a2, mtval
    j _arch_kernel_trap
"#
);

/// A trap taken while the kernel itself ran: a kernel bug (the kernel
/// never enables interrupts for itself). Reports and panics.
#[cfg(target_arch = "riscv32")]
#[no_mangle]
extern "C" fn _arch_kernel_trap(mcause: u32, mepc: u32, mtval: u32) -> ! {
    panic!(
        "kernel trap: {}",
        FaultDescription {
            mcause,
            mtval,
            pc: mepc
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::platform::Region;

    #[test]
    fn ecall_becomes_a_syscall_resuming_after_it() {
        let mut state = StoredState {
            pc: 0x2004_0100,
            ..Default::default()
        };
        state.registers[A0..A0 + 5].copy_from_slice(&[1, 2, 3, 4, 2]);
        let reason = classify_trap(&mut state, 8, || panic!("mtval not needed"));
        assert_eq!(
            reason,
            ContextSwitchReason::Syscall(RawSyscall {
                class: 2,
                arguments: [1, 2, 3, 4]
            })
        );
        assert_eq!(state.pc, 0x2004_0104);
    }

    #[test]
    fn pmp_fault_reports_cause_address_and_pc() {
        let mut state = StoredState {
            pc: 0x2004_0200,
            ..Default::default()
        };
        let reason = classify_trap(&mut state, 5, || 0x8000_0000);
        assert_eq!(
            reason,
            ContextSwitchReason::Fault(Fault {
                cause: FaultCause::LoadAccess,
                address: 0x8000_0000,
                pc: 0x2004_0200
            })
        );
        assert_eq!(state.pc, 0x2004_0200, "a fault does not advance the pc");
        assert_eq!(
            classify_trap(&mut state, 0x8000_0007, || 0),
            ContextSwitchReason::Interrupted
        );
    }

    #[test]
    fn process_starts_with_upstream_entry_registers_and_upcalls_return_to_yield() {
        let boundary = RiscvUserspaceBoundary::new();
        let mut state = StoredState::default();
        let start = ProcessStart {
            init_function: 0x2004_0068,
            app_start: 0x2004_0060,
            ram: Region::new(0x8001_0000, 0x2000),
            initial_break: 0x8001_0000,
        };
        boundary.initialize_process(&mut state, start).unwrap();
        assert_eq!(state.pc, 0x2004_0068);
        assert_eq!(
            &state.registers[A0..A0 + 4],
            &[0x2004_0060, 0x8001_0000, 0x2000, 0x8001_0000]
        );
        let memory = AccessibleMemory {
            start: 0x8001_0000,
            app_break: 0x8001_0000,
        };
        state.pc = 0x2004_0400;
        let upcall = UpcallEntry {
            function: 0x2004_0500,
            arguments: [7, 8, 9, 10],
        };
        boundary.set_upcall(&mut state, memory, upcall).unwrap();
        assert_eq!(state.pc, 0x2004_0500);
        assert_eq!(state.registers[RA], 0x2004_0400);
        assert_eq!(&state.registers[A0..A0 + 4], &[7, 8, 9, 10]);
        let success = kernel::syscall::SyscallReturn::Success.encode();
        boundary
            .set_syscall_return(&mut state, memory, success)
            .unwrap();
        assert_eq!(
            &state.registers[A0..A0 + 4],
            &[128, 8, 9, 10],
            "a plain Success writes a0 alone; a1-a3 keep the process's values"
        );
    }
}
