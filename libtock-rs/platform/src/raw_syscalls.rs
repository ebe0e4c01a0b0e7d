//! The five raw system-call shapes a runtime (or the fake kernel) provides.

use crate::Register;

/// Issues system calls as TRD104 lays out their registers. The runtime
/// implements this with one `ecall`/`svc` per method; `libtock-unittest`
/// implements it with a fake kernel. Everything else goes through the safe
/// [`crate::Syscalls`], which is implemented for every `RawSyscalls`.
///
/// # Safety
/// An implementation must pass the registers to the kernel unchanged, return
/// what the kernel returned, and tell the compiler that any upcall may run
/// during `yield1`, `yield2` and `yield3` (so every caller-saved register is
/// clobbered and memory may change). Upcalls never run during the other
/// methods.
pub unsafe trait RawSyscalls: Sized {
    /// A yield that returns nothing (yield-wait).
    ///
    /// # Safety
    /// `r0` must be a yield kind that returns no value and writes no memory.
    unsafe fn yield1(r0: [Register; 1]);

    /// A yield with one more argument (yield-no-wait and its report byte).
    ///
    /// # Safety
    /// If `r0` is yield-no-wait, `r1` must be null or point to a byte the
    /// kernel may write.
    unsafe fn yield2(r0_r1: [Register; 2]);

    /// Yield-wait-for: `[kind, driver, subscribe number]` in, the waited-for
    /// upcall's three arguments out (in `a0..a2`, as upstream's kernel
    /// returns them).
    ///
    /// # Safety
    /// `r0` must be yield-wait-for.
    unsafe fn yield3(registers: [Register; 3]) -> [Register; 3];

    /// A one-argument call of class `CLASS` (memops without an argument).
    ///
    /// # Safety
    /// The call must not break memory safety (e.g. no brk below live data).
    unsafe fn syscall1<const CLASS: usize>(registers: [Register; 1]) -> [Register; 2];

    /// A two-argument call of class `CLASS` (memop, exit).
    ///
    /// # Safety
    /// As [`RawSyscalls::syscall1`].
    unsafe fn syscall2<const CLASS: usize>(registers: [Register; 2]) -> [Register; 2];

    /// A four-argument call of class `CLASS` (subscribe, command, allows).
    ///
    /// # Safety
    /// A buffer or upcall handed to the kernel must stay valid until the
    /// kernel has been made to give it back.
    unsafe fn syscall4<const CLASS: usize>(registers: [Register; 4]) -> [Register; 4];
}
