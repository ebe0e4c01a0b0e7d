//! `mcause`/`mtval` decoding into readable descriptions (privileged spec
//! table 3.6). Pure logic, tested on the host.

use core::fmt;

const INTERRUPT_BIT: u32 = 1 << 31;

/// Why the hart entered machine mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapCause {
    /// An asynchronous interrupt.
    Interrupt(Interrupt),
    /// A synchronous exception caused by the instruction at `mepc`.
    Exception(Exception),
}

/// Machine-level interrupts the kernel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// Machine software interrupt (CLINT msip).
    MachineSoftware,
    /// Machine timer interrupt (CLINT mtimecmp).
    MachineTimer,
    /// Machine external interrupt (PLIC).
    MachineExternal,
    /// Any other interrupt number.
    Other(u32),
}

/// Synchronous exceptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exception {
    /// 0
    InstructionMisaligned,
    /// 1: PMP denied an instruction fetch.
    InstructionAccessFault,
    /// 2
    IllegalInstruction,
    /// 3
    Breakpoint,
    /// 4
    LoadMisaligned,
    /// 5: PMP denied a load.
    LoadAccessFault,
    /// 6
    StoreMisaligned,
    /// 7: PMP denied a store.
    StoreAccessFault,
    /// 8: a system call from a process.
    UserEnvironmentCall,
    /// 11
    MachineEnvironmentCall,
    /// 12, 13, 15
    PageFault(u32),
    /// Anything else.
    Other(u32),
}

impl TrapCause {
    /// Decodes a raw `mcause` value.
    pub const fn from_mcause(mcause: u32) -> Self {
        let code = mcause & !INTERRUPT_BIT;
        if mcause & INTERRUPT_BIT != 0 {
            TrapCause::Interrupt(match code {
                3 => Interrupt::MachineSoftware,
                7 => Interrupt::MachineTimer,
                11 => Interrupt::MachineExternal,
                other => Interrupt::Other(other),
            })
        } else {
            TrapCause::Exception(match code {
                0 => Exception::InstructionMisaligned,
                1 => Exception::InstructionAccessFault,
                2 => Exception::IllegalInstruction,
                3 => Exception::Breakpoint,
                4 => Exception::LoadMisaligned,
                5 => Exception::LoadAccessFault,
                6 => Exception::StoreMisaligned,
                7 => Exception::StoreAccessFault,
                8 => Exception::UserEnvironmentCall,
                11 => Exception::MachineEnvironmentCall,
                12 | 13 | 15 => Exception::PageFault(code),
                other => Exception::Other(other),
            })
        }
    }
}

impl Exception {
    /// A short human description.
    pub const fn description(self) -> &'static str {
        match self {
            Exception::InstructionMisaligned => "instruction address misaligned",
            Exception::InstructionAccessFault => "instruction access fault (fetch denied)",
            Exception::IllegalInstruction => "illegal instruction",
            Exception::Breakpoint => "breakpoint",
            Exception::LoadMisaligned => "load address misaligned",
            Exception::LoadAccessFault => "load access fault (read denied)",
            Exception::StoreMisaligned => "store address misaligned",
            Exception::StoreAccessFault => "store access fault (write denied)",
            Exception::UserEnvironmentCall => "ecall from user mode",
            Exception::MachineEnvironmentCall => "ecall from machine mode",
            Exception::PageFault(_) => "page fault",
            Exception::Other(_) => "unknown exception",
        }
    }

    /// What `mtval` holds for this exception, if anything meaningful.
    pub const fn mtval_meaning(self) -> Option<&'static str> {
        match self {
            Exception::InstructionMisaligned
            | Exception::InstructionAccessFault
            | Exception::LoadMisaligned
            | Exception::LoadAccessFault
            | Exception::StoreMisaligned
            | Exception::StoreAccessFault
            | Exception::PageFault(_) => Some("faulting address"),
            Exception::IllegalInstruction => Some("instruction bits"),
            _ => None,
        }
    }
}

/// A fault of a process, ready to print: cause, faulting pc and `mtval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultDescription {
    /// Raw `mcause`.
    pub mcause: u32,
    /// Raw `mtval`.
    pub mtval: u32,
    /// `mepc`: the instruction that faulted.
    pub pc: u32,
}

impl fmt::Display for FaultDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match TrapCause::from_mcause(self.mcause) {
            TrapCause::Exception(exception) => {
                write!(f, "{} (mcause {})", exception.description(), self.mcause)?;
                write!(f, " at pc {:#010x}", self.pc)?;
                if let Some(meaning) = exception.mtval_meaning() {
                    write!(f, ", {} {:#010x}", meaning, self.mtval)?;
                }
                Ok(())
            }
            TrapCause::Interrupt(interrupt) => {
                write!(f, "interrupt {:?} at pc {:#010x}", interrupt, self.pc)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn decodes_pmp_faults_and_interrupts() {
        assert_eq!(
            TrapCause::from_mcause(5),
            TrapCause::Exception(Exception::LoadAccessFault)
        );
        assert_eq!(
            TrapCause::from_mcause(0x8000_0007),
            TrapCause::Interrupt(Interrupt::MachineTimer)
        );
        assert_eq!(
            TrapCause::from_mcause(0x8000_000b),
            TrapCause::Interrupt(Interrupt::MachineExternal)
        );
        assert_eq!(
            TrapCause::from_mcause(8),
            TrapCause::Exception(Exception::UserEnvironmentCall)
        );
        assert_eq!(
            TrapCause::from_mcause(24),
            TrapCause::Exception(Exception::Other(24))
        );
    }

    #[test]
    fn describes_a_store_fault_with_its_address() {
        let text = format!(
            "{}",
            FaultDescription {
                mcause: 7,
                mtval: 0x8000_0000,
                pc: 0x2004_0080
            }
        );
        assert_eq!(
            text,
            "store access fault (write denied) (mcause 7) at pc 0x20040080, faulting address 0x80000000"
        );
        let illegal = format!(
            "{}",
            FaultDescription {
                mcause: 2,
                mtval: 0,
                pc: 4
            }
        );
        assert!(illegal.contains("illegal instruction"));
        assert!(illegal.contains("instruction bits"));
    }
}
