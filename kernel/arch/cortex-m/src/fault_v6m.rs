//! Fault decoding on ARMv6-M (Cortex-M0/M0+): every fault is a HardFault
//! and there is no CFSR, HFSR, MMFAR or BFAR. What the kernel still has is
//! whether the hardware could stack the frame on the process's stack, the
//! stacked pc, and (when the process may execute there) the instruction at
//! that pc. [`cause`] turns that into the kernel's [`FaultCause`], as close
//! to ARMv7-M's decoding as the evidence allows, and [`data_address`]
//! recomputes the address a faulting load or store used from its encoding
//! and the process's registers (what MMFAR holds on ARMv7-M). Pure logic,
//! host-tested.

use kernel::platform::FaultCause;

use crate::fault::exception;

/// What the trap path read after an ARMv6-M HardFault from a process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The frame lay inside the process's RAM: stacking worked.
    pub frame_readable: bool,
    /// The first halfword at the stacked pc, if the process's MPU regions
    /// let it execute there (read only then: the kernel never reads an
    /// address the process could not).
    pub instruction: Option<u16>,
    /// The first address the faulting load or store accessed, if the
    /// instruction is one ([`data_address`]).
    pub address: Option<u32>,
}

/// The registers a Thumb-1 load or store can name, as the process had
/// them when it faulted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LowRegisters {
    /// r0-r7.
    pub general: [u32; 8],
    /// The process's stack pointer before the hardware stacked its frame.
    pub sp: u32,
    /// The address of the faulting instruction.
    pub pc: u32,
}

/// The first address the load or store `instruction` accesses with
/// `registers` (`None` if it is not one): base plus offset as the ARMv6-M
/// ARM defines each encoding; for LDM/STM/PUSH/POP, the lowest word.
pub fn data_address(instruction: u16, registers: &LowRegisters) -> Option<u32> {
    let field = |shift: u16, bits: u16| u32::from((instruction >> shift) & ((1 << bits) - 1));
    let register = |shift: u16| registers.general[field(shift, 3) as usize];
    let immediate5 = field(6, 5);
    let address = match instruction >> 11 {
        // LDR literal: the word-aligned pc of the next-but-one halfword.
        0b01001 => (registers.pc.wrapping_add(4) & !3).wrapping_add(field(0, 8) * 4),
        // Register offset: Rn + Rm.
        0b01010 | 0b01011 => register(3).wrapping_add(register(6)),
        // Word immediate (STR/LDR), then byte (STRB/LDRB).
        0b01100 | 0b01101 => register(3).wrapping_add(immediate5 * 4),
        0b01110 | 0b01111 => register(3).wrapping_add(immediate5),
        // Halfword immediate.
        0b10000 | 0b10001 => register(3).wrapping_add(immediate5 * 2),
        // SP-relative.
        0b10010 | 0b10011 => registers.sp.wrapping_add(field(0, 8) * 4),
        // STM/LDM: from Rn upwards.
        0b11000 | 0b11001 => register(8),
        // PUSH writes below sp (the list plus lr); POP reads from sp.
        0b10110 if instruction >> 9 == 0b1011010 => {
            let words = field(0, 8).count_ones() + field(8, 1);
            registers.sp.wrapping_sub(words * 4)
        }
        0b10111 if instruction >> 9 == 0b1011110 => registers.sp,
        _ => return None,
    };
    Some(address)
}

/// The fault's cause (its address, for a load or store, is [`data_address`]).
pub fn cause(evidence: Evidence) -> FaultCause {
    if !evidence.frame_readable {
        // The hardware pushes the frame below the process's sp: if that is
        // outside its RAM, the push itself faulted.
        return FaultCause::DataAccess;
    }
    let Some(instruction) = evidence.instruction else {
        // The pc points where the process may not execute: the fetch faulted.
        return FaultCause::InstructionAccess;
    };
    match instruction >> 8 {
        // BKPT with no debugger attached.
        0xbe => FaultCause::Breakpoint,
        // UDF, and the first half of any 32-bit encoding: ARMv6-M has only
        // BL, MSR, MRS and the barriers, none of which fault as executed
        // by an unprivileged process (so this is a Thumb-2 instruction).
        0xde | 0xe8..=0xff => FaultCause::IllegalInstruction,
        _ if is_load_or_store(instruction) => FaultCause::DataAccess,
        _ => FaultCause::Other(exception::HARD_FAULT),
    }
}

/// True for every Thumb-1 load and store (literal, register offset,
/// immediate offset, halfword, SP-relative, LDM/STM, PUSH/POP): on ARMv6-M
/// one faults if the MPU refuses it or it is unaligned.
fn is_load_or_store(instruction: u16) -> bool {
    match instruction >> 11 {
        // LDR literal.
        0b01001 => true,
        // Register offset (0101), word/byte immediate (011x), halfword
        // immediate (1000), SP-relative (1001), LDM/STM (1100).
        0b01010..=0b01011 | 0b01100..=0b01111 | 0b10000..=0b10011 | 0b11000..=0b11001 => true,
        // PUSH (1011 010x) and POP (1011 110x).
        0b10110 | 0b10111 => matches!(instruction >> 9, 0b1011010 | 0b1011110),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(instruction: u16) -> FaultCause {
        cause(Evidence {
            frame_readable: true,
            instruction: Some(instruction),
            address: None,
        })
    }

    #[test]
    fn each_kind_of_evidence_gives_its_cause() {
        assert_eq!(cause(Evidence::default()), FaultCause::DataAccess);
        let outside_flash = Evidence {
            frame_readable: true,
            instruction: None,
            address: None,
        };
        assert_eq!(cause(outside_flash), FaultCause::InstructionAccess);
        assert_eq!(with(0xbeab), FaultCause::Breakpoint, "bkpt 0xab");
        assert_eq!(with(0xde00), FaultCause::IllegalInstruction, "udf 0");
        assert_eq!(
            with(0xf3ef),
            FaultCause::IllegalInstruction,
            "a Thumb-2 encoding"
        );
        assert_eq!(with(0x4700), FaultCause::Other(3), "bx r0");
        assert_eq!(with(0x2000), FaultCause::Other(3), "movs r0, #0");
    }

    #[test]
    fn addresses_are_recomputed_from_the_encoding_and_registers() {
        let registers = LowRegisters {
            general: [0x8000_0000, 0x2000_0100, 8, 0, 0, 0, 0, 0x2000_0200],
            sp: 0x2000_0ff0,
            pc: 0x0004_0102,
        };
        for (instruction, expected) in [
            (0x6808, Some(0x2000_0100)), // ldr r0, [r1]
            (0x6048, Some(0x2000_0104)), // str r0, [r1, #4]
            (0x7048, Some(0x2000_0101)), // strb r0, [r1, #1]
            (0x8848, Some(0x2000_0102)), // ldrh r0, [r1, #2]
            (0x5888, Some(0x2000_0108)), // ldr r0, [r1, r2]
            (0x9001, Some(0x2000_0ff4)), // str r0, [sp, #4]
            (0x4801, Some(0x0004_0108)), // ldr r0, [pc, #4]: (0x40106 & !3) + 4
            (0xc803, Some(0x8000_0000)), // ldmia r0!, {r0, r1}
            (0xb503, Some(0x2000_0fe4)), // push {r0, r1, lr}
            (0xbc01, Some(0x2000_0ff0)), // pop {r0}
            (0x2000, None),              // movs r0, #0
        ] {
            assert_eq!(
                data_address(instruction, &registers),
                expected,
                "{instruction:#06x}"
            );
        }
    }

    #[test]
    fn every_thumb1_load_and_store_is_a_data_access() {
        for instruction in [
            0x6001, // str r1, [r0]
            0x6808, // ldr r0, [r1]
            0x5088, // str r0, [r1, r2]
            0x7001, // strb r1, [r0]
            0x8801, // ldrh r1, [r0]
            0x9000, // str r0, [sp]
            0x4801, // ldr r0, [pc, #4]
            0xc003, // stmia r0!, {r0, r1}
            0xb500, // push {lr}
            0xbd00, // pop {pc}
        ] {
            assert_eq!(
                with(instruction),
                FaultCause::DataAccess,
                "{instruction:#06x}"
            );
        }
        for not_memory in [0x4408 /* add r0, r1 */, 0xb082 /* sub sp, #8 */] {
            assert_eq!(with(not_memory), FaultCause::Other(3), "{not_memory:#06x}");
        }
    }
}
