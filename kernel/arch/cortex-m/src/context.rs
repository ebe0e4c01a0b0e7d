//! The user/kernel boundary: SVC system calls and the context switch on
//! the process stack (PSP).
//!
//! The kernel runs in privileged thread mode on the main stack (MSP). To
//! run a process, [`switch_to_user`] pushes the kernel's callee-saved
//! registers, loads the process's r4-r11 and PSP and executes `svc 0xff`.
//! The SVC handler sees it came from the kernel, sets CONTROL.nPRIV and
//! returns into the process on PSP; the hardware pops the process's frame.
//! Any exception taken from the process (its `svc`, SysTick, a device
//! interrupt, a fault) ends in `_arch_return_to_kernel`, which clears
//! nPRIV, writes the exception number into the kernel's stacked r1 and
//! returns to thread mode on MSP, right after the kernel's `svc 0xff`:
//!
//! ```text
//!  process stack (PSP), pushed by hardware     kernel stack (MSP)
//!  psp+28  xPSR                                 frame of `svc 0xff`:
//!  psp+24  pc (after the svc)                   r0 = &StoredState
//!  psp+20  lr                                   r1 <- exception number
//!  psp+16  r12                                  ...
//!  psp+0   r0 r1 r2 r3 (arguments / returns)    r4-r11, lr of the kernel
//! ```
//!
//! The kernel keeps a copy of the frame in [`StoredState::frame`]: it is
//! read at each system call and written back before the next switch only
//! if the kernel changed it (a return value, an upcall, a start), after
//! checking that it lies inside the process's accessible memory.
//! Device interrupts are handled in kernel context. The kernel runs with
//! BASEPRI masking them (`support::KERNEL_BASEPRI`), so one that arrives
//! meanwhile stays pending and is taken the instant the process runs,
//! ending its turn; the generic handler masks the line in the NVIC and
//! leaves it pending for [`crate::nvic::next_pending`].

use core::fmt;

use kernel::platform::{
    AccessibleMemory, BoundaryError, ContextSwitchReason, Fault, ProcessStart, RawSyscall, Region,
    ReturnRegisters, UpcallEntry, UserspaceBoundary,
};

use crate::fault::{exception, FaultRegisters};

/// Bytes of the frame the hardware pushes (no FPU state: the FPU is off).
pub const FRAME_BYTES: usize = 32;
/// Frame word indices.
const R0: usize = 0;
const LR: usize = 5;
const PC: usize = 6;
const XPSR: usize = 7;
/// xPSR with only the Thumb bit set.
const XPSR_THUMB: u32 = 1 << 24;
/// xPSR bit 9 in a stacked frame: a padding word sits above the frame.
const XPSR_STACK_PADDING: u32 = 1 << 9;

/// A process's registers while it does not run. The assembly depends on
/// the first two fields: r4-r11 at offsets 0..32, PSP at 32.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoredState {
    /// r4..r11.
    pub callee_saved: [u32; 8],
    /// The process stack pointer: its exception frame is at `psp`.
    pub psp: u32,
    /// The kernel's copy of the frame: r0, r1, r2, r3, r12, lr, pc, xPSR.
    pub frame: [u32; 8],
    /// The copy was changed and must be written to `psp` before running.
    pub frame_dirty: bool,
    /// The process's accessible memory `[start, break)` as the kernel last
    /// said (at start and with every return value or upcall).
    pub accessible: AccessibleRange,
    /// The fault registers of the last fault (exception 0: none yet).
    pub fault: FaultRegisters,
}

/// `[start, end)` of the memory a process can reach.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessibleRange {
    /// First byte.
    pub start: usize,
    /// The app break.
    pub end: usize,
}

/// The Cortex-M thread/handler boundary.
#[derive(Default)]
pub struct CortexMUserspaceBoundary;

impl CortexMUserspaceBoundary {
    /// The boundary (stateless: everything lives in each `StoredState`).
    pub const fn new() -> Self {
        CortexMUserspaceBoundary
    }
}

/// True if a frame at `psp` lies inside `[start, app_break)`.
pub fn frame_fits(psp: u32, start: usize, app_break: usize) -> bool {
    let psp = psp as usize;
    psp.is_multiple_of(4)
        && psp >= start
        && psp
            .checked_add(FRAME_BYTES)
            .is_some_and(|end| end <= app_break)
}

fn to_u32(value: usize) -> Result<u32, BoundaryError> {
    u32::try_from(value).map_err(|_| BoundaryError::InvalidProcessState)
}

/// How the kernel reads process memory after a trap: a word at an
/// address (the frame) and the `svc` instruction before the stacked pc.
pub trait TrapMemory {
    /// Copies the eight frame words at `psp` into `frame`.
    fn read_frame(&self, psp: u32, frame: &mut [u32; 8]);
    /// The 16-bit instruction at `address` (in the process's flash).
    fn read_halfword(&self, address: u32) -> u16;
    /// The fault status registers (and clear them for the next fault).
    fn take_fault_registers(&self, exception: u32) -> FaultRegisters;
    /// The halfword at `address` if the process's MPU regions let it
    /// execute there, else `None` (ARMv6-M fault decoding reads it).
    fn read_executable_halfword(&self, address: u32) -> Option<u16>;
}

/// Decodes why the process stopped. Pure logic over [`TrapMemory`]:
/// a syscall reads the frame and the `svc` immediate (its class); a
/// fault reads the fault registers and, if the frame lies in
/// `accessible`, the faulting pc.
pub fn classify_trap(
    state: &mut StoredState,
    exception_number: u32,
    accessible: Option<(usize, usize)>,
    memory: &impl TrapMemory,
) -> ContextSwitchReason {
    match exception_number {
        exception::SVCALL => {
            memory.read_frame(state.psp, &mut state.frame);
            // `svc #imm8` is 0xDFxx; the stacked pc is the next instruction.
            let instruction = memory.read_halfword(state.frame[PC].wrapping_sub(2));
            ContextSwitchReason::Syscall(RawSyscall {
                class: u32::from(instruction & 0xff),
                arguments: [
                    state.frame[0],
                    state.frame[1],
                    state.frame[2],
                    state.frame[3],
                ],
            })
        }
        exception::HARD_FAULT
        | exception::MEM_MANAGE
        | exception::BUS_FAULT
        | exception::USAGE_FAULT => {
            let mut registers = memory.take_fault_registers(exception_number);
            let readable = accessible
                .is_some_and(|(start, app_break)| frame_fits(state.psp, start, app_break));
            if readable {
                memory.read_frame(state.psp, &mut state.frame);
                registers.pc = state.frame[PC];
            }
            #[cfg(any(armv6m, test))]
            if let Some(evidence) = registers.armv6m.as_mut() {
                evidence.frame_readable = readable;
                evidence.instruction = readable
                    .then(|| memory.read_executable_halfword(registers.pc))
                    .flatten();
                let low = low_registers(state);
                evidence.address = evidence
                    .instruction
                    .and_then(|instruction| crate::fault_v6m::data_address(instruction, &low));
            }
            state.fault = registers;
            let (cause, address) = registers.cause_and_address();
            ContextSwitchReason::Fault(Fault {
                cause,
                address: address as usize,
                pc: registers.pc as usize,
            })
        }
        _ => ContextSwitchReason::Interrupted,
    }
}

/// r0-r7, sp and pc as the process had them when the frame was stacked
/// (r0-r3 from the frame, r4-r7 as the switch saved them; sp above the
/// frame and its alignment padding).
#[cfg(any(armv6m, test))]
fn low_registers(state: &StoredState) -> crate::fault_v6m::LowRegisters {
    let [r0, r1, r2, r3, ..] = state.frame;
    let [r4, r5, r6, r7, ..] = state.callee_saved;
    let padding = if state.frame[XPSR] & XPSR_STACK_PADDING != 0 {
        4
    } else {
        0
    };
    crate::fault_v6m::LowRegisters {
        general: [r0, r1, r2, r3, r4, r5, r6, r7],
        sp: state.psp.wrapping_add(FRAME_BYTES as u32 + padding),
        pc: state.frame[PC],
    }
}

impl UserspaceBoundary for CortexMUserspaceBoundary {
    type StoredState = StoredState;

    const INITIAL_ACCESSIBLE_BYTES: usize = FRAME_BYTES;

    fn initialize_process(
        &self,
        state: &mut StoredState,
        start: ProcessStart,
    ) -> Result<(), BoundaryError> {
        *state = StoredState::default();
        let psp = start
            .initial_break
            .checked_sub(FRAME_BYTES)
            .ok_or(BoundaryError::OutsideProcessMemory)?;
        if !frame_fits(to_u32(psp)?, start.ram.start, start.initial_break) {
            return Err(BoundaryError::OutsideProcessMemory);
        }
        state.psp = to_u32(psp)?;
        state.frame = [
            to_u32(start.app_start)?,
            to_u32(start.ram.start)?,
            to_u32(start.ram.size)?,
            to_u32(start.initial_break)?,
            0,
            0,
            to_u32(start.init_function)? & !1,
            XPSR_THUMB,
        ];
        state.frame_dirty = true;
        state.accessible = AccessibleRange {
            start: start.ram.start,
            end: start.initial_break,
        };
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
        memory: AccessibleMemory,
        registers: ReturnRegisters,
    ) -> Result<(), BoundaryError> {
        if !frame_fits(state.psp, memory.start, memory.app_break) {
            return Err(BoundaryError::OutsideProcessMemory);
        }
        // Only the variant's registers: upstream libtock-rs keeps live
        // values in the others across the svc. Element by element: a slice
        // copy becomes a `memcpy` call at opt-level z, on the syscall path.
        let [r0, r1, r2, r3] = registers.values;
        state.frame[R0] = r0;
        if registers.count > 1 {
            state.frame[R0 + 1] = r1;
        }
        if registers.count > 2 {
            state.frame[R0 + 2] = r2;
        }
        if registers.count > 3 {
            state.frame[R0 + 3] = r3;
        }
        state.frame_dirty = true;
        state.accessible = AccessibleRange {
            start: memory.start,
            end: memory.app_break,
        };
        Ok(())
    }

    fn set_upcall(
        &self,
        state: &mut StoredState,
        memory: AccessibleMemory,
        upcall: UpcallEntry,
    ) -> Result<(), BoundaryError> {
        if !frame_fits(state.psp, memory.start, memory.app_break) {
            return Err(BoundaryError::OutsideProcessMemory);
        }
        state.frame[R0..R0 + 4].copy_from_slice(&upcall.arguments);
        // The upcall returns (`bx lr`, Thumb) to where the process would
        // have continued after its yield.
        state.frame[LR] = state.frame[PC] | 1;
        state.frame[PC] = to_u32(upcall.function)? & !1;
        // Keep bit 9: it records the word of padding the hardware put above
        // the frame to align it, which the return must pop again.
        state.frame[XPSR] = XPSR_THUMB | (state.frame[XPSR] & XPSR_STACK_PADDING);
        state.frame_dirty = true;
        state.accessible = AccessibleRange {
            start: memory.start,
            end: memory.app_break,
        };
        Ok(())
    }

    unsafe fn switch_to_process(&self, state: &mut StoredState) -> ContextSwitchReason {
        #[cfg(target_arch = "arm")]
        {
            if state.frame_dirty {
                let target = state.psp as *mut u32;
                let frame = &state.frame;
                // SAFETY: `frame_dirty` is only set after `frame_fits`
                // checked `[psp, psp + 32)` against the process's
                // accessible memory (its own RAM below the break), which
                // has not changed since: the kernel switches right after.
                // Unrolled word stores: a volatile array write or a loop
                // costs a `memcpy` call or an iterator at opt-level z.
                unsafe {
                    core::ptr::write_volatile(target, frame[0]);
                    core::ptr::write_volatile(target.add(1), frame[1]);
                    core::ptr::write_volatile(target.add(2), frame[2]);
                    core::ptr::write_volatile(target.add(3), frame[3]);
                    core::ptr::write_volatile(target.add(4), frame[4]);
                    core::ptr::write_volatile(target.add(5), frame[5]);
                    core::ptr::write_volatile(target.add(6), frame[6]);
                    core::ptr::write_volatile(target.add(7), frame[7]);
                }
                state.frame_dirty = false;
            }
            // SAFETY: the caller configured the MPU for this process; the
            // assembly saves every kernel callee-saved register and comes
            // back here on the next exception from the process.
            let exception_number = unsafe { switch_to_user(state) };
            // A fault's frame is read only if it lies in the memory the
            // process had: a failed stacking leaves `psp` anywhere.
            let accessible = Some((state.accessible.start, state.accessible.end));
            classify_trap(
                state,
                exception_number,
                accessible,
                &crate::support::HardwareTrapMemory,
            )
        }
        #[cfg(not(target_arch = "arm"))]
        {
            let _ = state;
            unreachable!("processes run only on Arm")
        }
    }

    fn print_state(&self, state: &StoredState, writer: &mut dyn fmt::Write) -> fmt::Result {
        let names = ["r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr"];
        for (index, name) in names.iter().enumerate() {
            let separator = if index % 4 == 3 { "\r\n" } else { "  " };
            write!(
                writer,
                "{:>4}: {:#010x}{}",
                name, state.frame[index], separator
            )?;
        }
        for (index, value) in state.callee_saved.iter().enumerate() {
            let separator = if index % 4 == 3 { "\r\n" } else { "  " };
            write!(
                writer,
                "{:>4}: {:#010x}{}",
                ["r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11"][index],
                value,
                separator
            )?;
        }
        writeln!(writer, "  sp: {:#010x}\r", state.psp)?;
        if state.fault.exception != 0 {
            writeln!(writer, "last fault: {}\r", state.fault)?;
        }
        Ok(())
    }
}

/// Runs the process whose registers are in `state` until an exception
/// is taken from it; returns the exception number.
///
/// # Safety
/// `state` must be a process's initialised registers, its frame written
/// at `state.psp`, and the MPU configured for that process.
#[cfg(target_arch = "arm")]
#[inline(always)]
unsafe fn switch_to_user(state: &mut StoredState) -> u32 {
    extern "C" {
        /// Takes the address of `StoredState`: the assembly touches only
        /// its first nine words (r4-r11, then psp; `#[repr(C)]`).
        fn _arch_switch_to_user(registers: *mut u32) -> u32;
    }
    // SAFETY: the caller's contract; the assembly follows the AAPCS and
    // stays inside `callee_saved` and `psp`, the struct's first 36 bytes.
    unsafe { _arch_switch_to_user((state as *mut StoredState).cast::<u32>()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::platform::{FaultCause, Region};

    struct FakeMemory {
        frame: [u32; 8],
        svc: u16,
        /// Behave like an ARMv6-M core (no fault status registers).
        armv6m: bool,
    }

    impl TrapMemory for FakeMemory {
        fn read_frame(&self, _psp: u32, frame: &mut [u32; 8]) {
            *frame = self.frame;
        }
        fn read_halfword(&self, address: u32) -> u16 {
            assert_eq!(address, 0x0004_0100, "the svc before the stacked pc");
            self.svc
        }
        fn take_fault_registers(&self, exception: u32) -> FaultRegisters {
            if self.armv6m {
                return FaultRegisters {
                    exception,
                    armv6m: Some(crate::fault_v6m::Evidence::default()),
                    ..Default::default()
                };
            }
            FaultRegisters {
                exception,
                cfsr: 0x82,
                mmfar: 0x2000_0000,
                ..Default::default()
            }
        }
        fn read_executable_halfword(&self, address: u32) -> Option<u16> {
            // The process's flash holds `str r1, [r0]` everywhere.
            (0x0004_0000..0x0005_0000)
                .contains(&address)
                .then_some(0x6001)
        }
    }

    fn start() -> ProcessStart {
        ProcessStart {
            init_function: 0x0004_0081,
            app_start: 0x0004_0080,
            ram: Region::new(0x2001_0000, 0x2000),
            initial_break: 0x2001_0020,
        }
    }

    #[test]
    fn start_frame_holds_upstream_entry_registers() {
        let boundary = CortexMUserspaceBoundary::new();
        let mut state = StoredState::default();
        boundary.initialize_process(&mut state, start()).unwrap();
        assert_eq!(state.psp, 0x2001_0000);
        assert!(state.frame_dirty);
        assert_eq!(
            state.frame,
            [
                0x0004_0080,
                0x2001_0000,
                0x2000,
                0x2001_0020,
                0,
                0,
                0x0004_0080,
                XPSR_THUMB
            ]
        );
        let no_room = ProcessStart {
            initial_break: 0x2001_0000,
            ..start()
        };
        assert_eq!(
            boundary.initialize_process(&mut state, no_room),
            Err(BoundaryError::OutsideProcessMemory)
        );
    }

    #[test]
    fn svc_becomes_a_syscall_and_returns_land_in_the_frame() {
        let boundary = CortexMUserspaceBoundary::new();
        let mut state = StoredState {
            psp: 0x2001_0f00,
            ..Default::default()
        };
        let memory = FakeMemory {
            frame: [1, 2, 3, 4, 0, 0, 0x0004_0102, XPSR_THUMB],
            svc: 0xdf02,
            armv6m: false,
        };
        let reason = classify_trap(&mut state, exception::SVCALL, None, &memory);
        assert_eq!(
            reason,
            ContextSwitchReason::Syscall(RawSyscall {
                class: 2,
                arguments: [1, 2, 3, 4]
            })
        );
        let inside = AccessibleMemory {
            start: 0x2001_0000,
            app_break: 0x2001_1000,
        };
        let success_u32 = kernel::syscall::SyscallReturn::SuccessU32(5).encode();
        boundary
            .set_syscall_return(&mut state, inside, success_u32)
            .unwrap();
        assert_eq!(
            &state.frame[..4],
            &[129, 5, 3, 4],
            "Success-u32 writes r0 and r1 alone; r2 and r3 keep the process's values"
        );
        let shrunk = AccessibleMemory {
            start: 0x2001_0000,
            app_break: 0x2001_0f10,
        };
        assert_eq!(
            boundary.set_syscall_return(
                &mut state,
                shrunk,
                kernel::syscall::SyscallReturn::Success.encode()
            ),
            Err(BoundaryError::OutsideProcessMemory),
            "a frame above the break is never written"
        );
        boundary
            .set_upcall(
                &mut state,
                inside,
                UpcallEntry {
                    function: 0x0004_0201,
                    arguments: [7, 8, 9, 10],
                },
            )
            .unwrap();
        assert_eq!(
            state.frame,
            [7, 8, 9, 10, 0, 0x0004_0103, 0x0004_0200, XPSR_THUMB]
        );
        // A frame the hardware padded keeps its padding bit, so the
        // process's stack pointer comes back exactly.
        state.frame[XPSR] = XPSR_THUMB | XPSR_STACK_PADDING | (1 << 29);
        let upcall = UpcallEntry {
            function: 0x0004_0201,
            arguments: [0; 4],
        };
        boundary.set_upcall(&mut state, inside, upcall).unwrap();
        assert_eq!(state.frame[XPSR], XPSR_THUMB | XPSR_STACK_PADDING);
    }

    #[test]
    fn faults_and_interrupts_are_told_apart() {
        let mut state = StoredState {
            psp: 0x2001_0f00,
            ..Default::default()
        };
        let memory = FakeMemory {
            frame: [0, 0, 0, 0, 0, 0, 0x0004_0300, XPSR_THUMB],
            svc: 0,
            armv6m: false,
        };
        let reason = classify_trap(
            &mut state,
            exception::MEM_MANAGE,
            Some((0x2001_0000, 0x2001_1000)),
            &memory,
        );
        assert_eq!(
            reason,
            ContextSwitchReason::Fault(Fault {
                cause: FaultCause::DataAccess,
                address: 0x2000_0000,
                pc: 0x0004_0300
            })
        );
        let unreadable = classify_trap(&mut state, exception::HARD_FAULT, None, &memory);
        assert!(matches!(
            unreadable,
            ContextSwitchReason::Fault(Fault { pc: 0, .. })
        ));
        assert_eq!(
            classify_trap(&mut state, exception::SYSTICK, None, &memory),
            ContextSwitchReason::Interrupted
        );
        assert_eq!(
            classify_trap(&mut state, 16 + 8, None, &memory),
            ContextSwitchReason::Interrupted
        );
        // ARMv6-M's SVC handler reports 0 when an interrupt taken in the
        // kernel stops the process before it runs.
        assert_eq!(
            classify_trap(&mut state, 0, None, &memory),
            ContextSwitchReason::Interrupted
        );
    }

    #[test]
    fn armv6m_hard_faults_are_decoded_from_the_stack_and_the_instruction() {
        let accessible = Some((0x2001_0000, 0x2001_1000));
        let mut memory = FakeMemory {
            frame: [0, 0, 0, 0, 0, 0, 0x0004_0300, XPSR_THUMB],
            svc: 0,
            armv6m: true,
        };
        let mut state = StoredState {
            psp: 0x2001_0f00,
            ..Default::default()
        };
        fn fault(
            state: &mut StoredState,
            memory: &FakeMemory,
            accessible: Option<(usize, usize)>,
        ) -> Fault {
            match classify_trap(state, exception::HARD_FAULT, accessible, memory) {
                ContextSwitchReason::Fault(fault) => fault,
                other => panic!("not a fault: {other:?}"),
            }
        }
        memory.frame[0] = 0x8000_0000;
        let store = fault(&mut state, &memory, accessible);
        assert_eq!(
            (store.cause, store.address, store.pc),
            (FaultCause::DataAccess, 0x8000_0000, 0x0004_0300),
            "str r1, [r0] with r0 = 0x8000_0000"
        );
        memory.frame[PC] = 0x0800_0000;
        let fetch = fault(&mut state, &memory, accessible);
        assert_eq!(fetch.cause, FaultCause::InstructionAccess);
        let mut text = String::new();
        CortexMUserspaceBoundary::new()
            .print_state(&state, &mut text)
            .unwrap();
        assert!(
            text.contains("instruction access fault (HardFault 3, ARMv6-M"),
            "{text}"
        );
        state.psp = 0x2000_0000;
        let stacking = fault(&mut state, &memory, accessible);
        assert_eq!((stacking.cause, stacking.pc), (FaultCause::DataAccess, 0));
    }
}
