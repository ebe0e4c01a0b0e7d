//! System calls on Cortex-M: `svc` with the class as its immediate.

use crate::TockSyscalls;
use core::arch::asm;
use libtock_platform::{RawSyscalls, Register};

// SAFETY: as on RISC-V: registers pass unchanged, yields clobber every
// caller-saved register (upcalls run inside them), other classes do not.
unsafe impl RawSyscalls for TockSyscalls {
    unsafe fn yield1([Register(r0)]: [Register; 1]) {
        // SAFETY: RawSyscalls::yield1's contract is the caller's.
        unsafe {
            asm!("svc 0", inlateout("r0") r0 => _, clobber_abi("C"));
        }
    }

    unsafe fn yield2([Register(r0), Register(r1)]: [Register; 2]) {
        // SAFETY: RawSyscalls::yield2's contract is the caller's.
        unsafe {
            asm!("svc 0", inlateout("r0") r0 => _, inlateout("r1") r1 => _, clobber_abi("C"));
        }
    }

    unsafe fn yield3([Register(r0), Register(r1), Register(r2)]: [Register; 3]) -> [Register; 3] {
        let (out0, out1, out2): (*mut (), *mut (), *mut ());
        // SAFETY: RawSyscalls::yield3's contract is the caller's.
        unsafe {
            asm!(
                "svc 0",
                inlateout("r0") r0 => out0,
                inlateout("r1") r1 => out1,
                inlateout("r2") r2 => out2,
                clobber_abi("C"),
            );
        }
        [Register(out0), Register(out1), Register(out2)]
    }

    unsafe fn syscall1<const CLASS: usize>([Register(mut r0)]: [Register; 1]) -> [Register; 2] {
        let r1: *mut ();
        // SAFETY: RawSyscalls::syscall1's contract is the caller's.
        unsafe {
            asm!("svc {class}", class = const CLASS, inlateout("r0") r0, lateout("r1") r1,
                 options(nostack, preserves_flags));
        }
        [Register(r0), Register(r1)]
    }

    unsafe fn syscall2<const CLASS: usize>(
        [Register(mut r0), Register(mut r1)]: [Register; 2],
    ) -> [Register; 2] {
        // SAFETY: RawSyscalls::syscall2's contract is the caller's.
        unsafe {
            asm!("svc {class}", class = const CLASS, inlateout("r0") r0, inlateout("r1") r1,
                 options(nostack, preserves_flags));
        }
        [Register(r0), Register(r1)]
    }

    unsafe fn syscall4<const CLASS: usize>(
        [Register(mut r0), Register(mut r1), Register(mut r2), Register(mut r3)]: [Register; 4],
    ) -> [Register; 4] {
        // SAFETY: RawSyscalls::syscall4's contract is the caller's.
        unsafe {
            asm!("svc {class}", class = const CLASS, inlateout("r0") r0, inlateout("r1") r1,
                 inlateout("r2") r2, inlateout("r3") r3, options(nostack, preserves_flags));
        }
        [Register(r0), Register(r1), Register(r2), Register(r3)]
    }
}
