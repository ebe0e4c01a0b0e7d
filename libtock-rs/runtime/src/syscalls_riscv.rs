//! System calls on RISC-V: `ecall` with the class in a4 (TRD104 §4).

use crate::TockSyscalls;
use core::arch::asm;
use libtock_platform::{RawSyscalls, Register, SyscallClass};

const YIELD: u32 = SyscallClass::Yield as u32;

// SAFETY: each method passes its registers to the kernel unchanged and
// returns what the kernel returned. Yields declare every caller-saved
// register clobbered (`clobber_abi("C")`) and may touch memory, because
// upcalls run inside them; the other classes never run upcalls.
unsafe impl RawSyscalls for TockSyscalls {
    unsafe fn yield1([Register(r0)]: [Register; 1]) {
        // SAFETY: RawSyscalls::yield1's contract is the caller's.
        unsafe {
            asm!("ecall", inlateout("a0") r0 => _, in("a4") YIELD, clobber_abi("C"));
        }
    }

    unsafe fn yield2([Register(r0), Register(r1)]: [Register; 2]) {
        // SAFETY: RawSyscalls::yield2's contract is the caller's.
        unsafe {
            asm!(
                "ecall",
                inlateout("a0") r0 => _,
                inlateout("a1") r1 => _,
                in("a4") YIELD,
                clobber_abi("C"),
            );
        }
    }

    unsafe fn yield3([Register(r0), Register(r1), Register(r2)]: [Register; 3]) -> [Register; 3] {
        let (out0, out1, out2): (*mut (), *mut (), *mut ());
        // SAFETY: RawSyscalls::yield3's contract is the caller's.
        unsafe {
            asm!(
                "ecall",
                inlateout("a0") r0 => out0,
                inlateout("a1") r1 => out1,
                inlateout("a2") r2 => out2,
                in("a4") YIELD,
                clobber_abi("C"),
            );
        }
        [Register(out0), Register(out1), Register(out2)]
    }

    unsafe fn syscall1<const CLASS: usize>([Register(mut r0)]: [Register; 1]) -> [Register; 2] {
        let r1: *mut ();
        // SAFETY: RawSyscalls::syscall1's contract is the caller's.
        unsafe {
            asm!("ecall", inlateout("a0") r0, lateout("a1") r1, in("a4") CLASS,
                 options(nostack, preserves_flags));
        }
        [Register(r0), Register(r1)]
    }

    unsafe fn syscall2<const CLASS: usize>(
        [Register(mut r0), Register(mut r1)]: [Register; 2],
    ) -> [Register; 2] {
        // SAFETY: RawSyscalls::syscall2's contract is the caller's.
        unsafe {
            asm!("ecall", inlateout("a0") r0, inlateout("a1") r1, in("a4") CLASS,
                 options(nostack, preserves_flags));
        }
        [Register(r0), Register(r1)]
    }

    unsafe fn syscall4<const CLASS: usize>(
        [Register(mut r0), Register(mut r1), Register(mut r2), Register(mut r3)]: [Register; 4],
    ) -> [Register; 4] {
        // SAFETY: RawSyscalls::syscall4's contract is the caller's.
        unsafe {
            asm!("ecall", inlateout("a0") r0, inlateout("a1") r1, inlateout("a2") r2,
                 inlateout("a3") r3, in("a4") CLASS, options(nostack, preserves_flags));
        }
        [Register(r0), Register(r1), Register(r2), Register(r3)]
    }
}
