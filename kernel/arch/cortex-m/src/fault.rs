//! Fault decoding: the exception number and the fault status registers
//! (CFSR, HFSR, MMFAR, BFAR) as the kernel reports them, in the same shape
//! as RISC-V's `mcause`/`mtval` report. Pure logic, tested on the host.

use core::fmt;

use kernel::platform::FaultCause;

/// Exception numbers (IPSR) the kernel distinguishes.
pub mod exception {
    /// HardFault (also every escalated fault).
    pub const HARD_FAULT: u32 = 3;
    /// MemManage: the MPU refused an access.
    pub const MEM_MANAGE: u32 = 4;
    /// BusFault.
    pub const BUS_FAULT: u32 = 5;
    /// UsageFault: undefined instruction, invalid state, unaligned, ...
    pub const USAGE_FAULT: u32 = 6;
    /// SVCall: a system call.
    pub const SVCALL: u32 = 11;
    /// SysTick: the timeslice ended.
    pub const SYSTICK: u32 = 15;
    /// First device interrupt (IRQ 0).
    pub const FIRST_INTERRUPT: u32 = 16;
}

/// CFSR bits (MMFSR in 7:0, BFSR in 15:8, UFSR in 31:16).
pub mod cfsr {
    /// MemManage: instruction fetch from a region that forbids it.
    pub const IACCVIOL: u32 = 1 << 0;
    /// MemManage: data access the MPU refused.
    pub const DACCVIOL: u32 = 1 << 1;
    /// MemManage: the frame could not be popped on exception return.
    pub const MUNSTKERR: u32 = 1 << 3;
    /// MemManage: the frame could not be pushed on exception entry.
    pub const MSTKERR: u32 = 1 << 4;
    /// MMFAR holds the faulting address.
    pub const MMARVALID: u32 = 1 << 7;
    /// BusFault on an instruction fetch.
    pub const IBUSERR: u32 = 1 << 8;
    /// Precise BusFault on a data access.
    pub const PRECISERR: u32 = 1 << 9;
    /// Imprecise BusFault on a data access.
    pub const IMPRECISERR: u32 = 1 << 10;
    /// BusFault popping the frame.
    pub const UNSTKERR: u32 = 1 << 11;
    /// BusFault pushing the frame.
    pub const STKERR: u32 = 1 << 12;
    /// BFAR holds the faulting address.
    pub const BFARVALID: u32 = 1 << 15;
    /// Undefined instruction.
    pub const UNDEFINSTR: u32 = 1 << 16;
    /// Invalid state (e.g. a branch to an address without the Thumb bit).
    pub const INVSTATE: u32 = 1 << 17;
    /// Invalid EXC_RETURN.
    pub const INVPC: u32 = 1 << 18;
    /// Coprocessor (FPU) instruction with the coprocessor off.
    pub const NOCP: u32 = 1 << 19;
    /// Unaligned access with CCR.UNALIGN_TRP.
    pub const UNALIGNED: u32 = 1 << 24;
    /// Division by zero with CCR.DIV_0_TRP.
    pub const DIVBYZERO: u32 = 1 << 25;
}

/// HFSR: a fault escalated to HardFault.
pub const HFSR_FORCED: u32 = 1 << 30;
/// HFSR: a debug event (a `bkpt` with no debugger attached).
pub const HFSR_DEBUGEVT: u32 = 1 << 31;

/// The fault registers read after a process faulted.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultRegisters {
    /// The exception taken (IPSR).
    pub exception: u32,
    /// Configurable Fault Status Register.
    pub cfsr: u32,
    /// HardFault Status Register.
    pub hfsr: u32,
    /// MemManage Fault Address Register (valid with MMARVALID).
    pub mmfar: u32,
    /// BusFault Address Register (valid with BFARVALID).
    pub bfar: u32,
    /// The stacked pc (0 if the frame could not be read).
    pub pc: u32,
    /// On ARMv6-M, which has none of the status registers above (all
    /// zero): what the trap path saw instead (see `fault_v6m`). Only in
    /// ARMv6-M builds and the host tests of both paths, so an ARMv7-M
    /// process's kernel state does not grow by it.
    #[cfg(any(armv6m, test))]
    pub armv6m: Option<crate::fault_v6m::Evidence>,
}

impl FaultRegisters {
    /// The kernel's cause, and the faulting address if the hardware knew it.
    pub fn cause_and_address(&self) -> (FaultCause, u32) {
        #[cfg(any(armv6m, test))]
        if let Some(evidence) = self.armv6m {
            return (
                crate::fault_v6m::cause(evidence),
                evidence.address.unwrap_or(0),
            );
        }
        let status = self.cfsr;
        let address = if status & cfsr::MMARVALID != 0 {
            self.mmfar
        } else if status & cfsr::BFARVALID != 0 {
            self.bfar
        } else {
            0
        };
        let cause = if status & (cfsr::IACCVIOL | cfsr::IBUSERR) != 0 {
            FaultCause::InstructionAccess
        } else if status
            & (cfsr::DACCVIOL
                | cfsr::MUNSTKERR
                | cfsr::MSTKERR
                | cfsr::PRECISERR
                | cfsr::IMPRECISERR
                | cfsr::UNSTKERR
                | cfsr::STKERR)
            != 0
        {
            FaultCause::DataAccess
        } else if status & (cfsr::UNDEFINSTR | cfsr::INVSTATE | cfsr::NOCP) != 0 {
            FaultCause::IllegalInstruction
        } else if status & cfsr::UNALIGNED != 0 {
            FaultCause::Misaligned
        } else if self.hfsr & HFSR_DEBUGEVT != 0 {
            FaultCause::Breakpoint
        } else {
            FaultCause::Other(self.exception)
        };
        (cause, address)
    }

    /// The name of the first CFSR bit set, as the ARM manual spells it.
    pub fn status_name(&self) -> &'static str {
        const NAMES: [(u32, &str); 17] = [
            (
                cfsr::IACCVIOL,
                "IACCVIOL: instruction fetch the MPU refused",
            ),
            (cfsr::DACCVIOL, "DACCVIOL: data access the MPU refused"),
            (
                cfsr::MUNSTKERR,
                "MUNSTKERR: exception return could not pop the frame",
            ),
            (
                cfsr::MSTKERR,
                "MSTKERR: exception entry could not push the frame",
            ),
            (cfsr::IBUSERR, "IBUSERR: instruction fetch bus error"),
            (cfsr::PRECISERR, "PRECISERR: data bus error"),
            (cfsr::IMPRECISERR, "IMPRECISERR: imprecise data bus error"),
            (cfsr::UNSTKERR, "UNSTKERR: bus error popping the frame"),
            (cfsr::STKERR, "STKERR: bus error pushing the frame"),
            (cfsr::UNDEFINSTR, "UNDEFINSTR: undefined instruction"),
            (cfsr::INVSTATE, "INVSTATE: invalid state (Thumb bit clear?)"),
            (cfsr::INVPC, "INVPC: invalid exception return"),
            (cfsr::NOCP, "NOCP: coprocessor disabled"),
            (cfsr::UNALIGNED, "UNALIGNED: unaligned access"),
            (cfsr::DIVBYZERO, "DIVBYZERO: division by zero"),
            (cfsr::MMARVALID, "address only"),
            (cfsr::BFARVALID, "address only"),
        ];
        NAMES
            .iter()
            .find(|(bit, _)| self.cfsr & bit != 0)
            .map_or("no CFSR bit set", |(_, name)| name)
    }
}

fn exception_name(number: u32) -> &'static str {
    match number {
        exception::HARD_FAULT => "HardFault",
        exception::MEM_MANAGE => "MemManage",
        exception::BUS_FAULT => "BusFault",
        exception::USAGE_FAULT => "UsageFault",
        _ => "exception",
    }
}

impl fmt::Display for FaultRegisters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (cause, address) = self.cause_and_address();
        #[cfg(any(armv6m, test))]
        if let Some(evidence) = self.armv6m {
            write!(
                f,
                "{} (HardFault {}, ARMv6-M: decoded from the instruction at pc) at pc {:#010x}",
                cause.description(),
                self.exception,
                self.pc
            )?;
            if evidence.address.is_some() {
                write!(f, ", faulting address {address:#010x}")?;
            }
            return Ok(());
        }
        write!(
            f,
            "{} ({} {}, {}) at pc {:#010x}",
            cause.description(),
            exception_name(self.exception),
            self.exception,
            self.status_name(),
            self.pc
        )?;
        if self.cfsr & (cfsr::MMARVALID | cfsr::BFARVALID) != 0 {
            write!(f, ", faulting address {:#010x}", address)?;
        }
        write!(f, "; CFSR {:#010x} HFSR {:#010x}", self.cfsr, self.hfsr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpu_data_violation_reports_mmfar() {
        // What QEMU's MPU reports for a store outside the process: CFSR 0x82.
        let registers = FaultRegisters {
            exception: exception::MEM_MANAGE,
            cfsr: cfsr::DACCVIOL | cfsr::MMARVALID,
            mmfar: 0x2000_0000,
            pc: 0x0004_0100,
            ..Default::default()
        };
        assert_eq!(
            registers.cause_and_address(),
            (FaultCause::DataAccess, 0x2000_0000)
        );
        let text = format!("{registers}");
        assert!(text.starts_with("data access fault (MemManage 4, DACCVIOL"));
        assert!(text.contains("at pc 0x00040100, faulting address 0x20000000"));
        assert!(text.ends_with("CFSR 0x00000082 HFSR 0x00000000"));
    }

    #[test]
    fn other_faults_map_to_kernel_causes() {
        let with = |cfsr, hfsr| FaultRegisters {
            exception: exception::HARD_FAULT,
            cfsr,
            hfsr,
            ..Default::default()
        };
        assert_eq!(
            with(cfsr::IACCVIOL, 0).cause_and_address().0,
            FaultCause::InstructionAccess
        );
        assert_eq!(
            with(cfsr::UNDEFINSTR, HFSR_FORCED).cause_and_address().0,
            FaultCause::IllegalInstruction
        );
        assert_eq!(
            with(cfsr::UNALIGNED, 0).cause_and_address().0,
            FaultCause::Misaligned
        );
        assert_eq!(
            with(0, HFSR_DEBUGEVT).cause_and_address().0,
            FaultCause::Breakpoint
        );
        assert_eq!(with(0, 0).cause_and_address(), (FaultCause::Other(3), 0));
        assert_eq!(
            with(cfsr::PRECISERR | cfsr::BFARVALID, 0)
                .cause_and_address()
                .0,
            FaultCause::DataAccess
        );
    }
}
