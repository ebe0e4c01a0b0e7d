//! [`Syscalls`] for every [`RawSyscalls`]: register packing and checks.
//!
//! Each `unsafe` call below states why the raw call's contract holds.
//! Generic functions forward quickly to non-generic inner ones so that the
//! code is not repeated for every driver and slot number.

use crate::command_return::error_code_from_kernel;
use crate::share::Handle;
use crate::{
    AllowRo, AllowRw, AllowUserspaceReadable, CommandReturn, ErrorCode, ExitKind, MemopOperation,
    RawSyscalls, Register, ReturnVariant, Subscribe, SyscallClass, Syscalls, Upcall, YieldKind,
    YieldNoWaitReturn,
};

const SUBSCRIBE: usize = SyscallClass::Subscribe as usize;
const COMMAND: usize = SyscallClass::Command as usize;
const ALLOW_RW: usize = SyscallClass::ReadWriteAllow as usize;
const ALLOW_RO: usize = SyscallClass::ReadOnlyAllow as usize;
const ALLOW_USERSPACE_READABLE: usize = SyscallClass::UserspaceReadableAllow as usize;
const MEMOP: usize = SyscallClass::Memop as usize;
const EXIT: usize = SyscallClass::Exit as usize;

/// `Ok(r1)` for any success variant, else the error in `r1`. An undefined
/// variant counts as failure: its registers cannot be trusted.
fn to_result(r0: Register, r1: Register) -> Result<Register, ErrorCode> {
    // A range check rather than `ReturnVariant::from_u32`: the same answer
    // in a few instructions, on the path of every allow, subscribe and memop.
    let success = ReturnVariant::Success as u32..=ReturnVariant::SuccessU32U64 as u32;
    if success.contains(&r0.as_u32()) {
        Ok(r1)
    } else {
        Err(error_code_from_kernel(r1.as_u32()))
    }
}

/// The function the kernel calls for a subscribed `U`.
///
/// # Safety
/// `data` must point to a live `U` (subscribe guarantees it for the scope).
unsafe extern "C" fn kernel_upcall<U: Upcall>(arg0: u32, arg1: u32, arg2: u32, data: Register) {
    let upcall: *const U = data.into();
    // SAFETY: `subscribe` passed a `&'share U` as `data`, and the Subscribe
    // entry unsubscribes before `'share` ends, so the kernel only calls this
    // while the reference is valid.
    unsafe { &*upcall }.upcall(arg0, arg1, arg2);
}

fn subscribe_inner<S: RawSyscalls>(
    driver_num: u32,
    subscribe_num: u32,
    function: Register,
    data: Register,
) -> Result<(), ErrorCode> {
    // SAFETY: `function` is `kernel_upcall::<U>` and `data` a `&'share U`;
    // the caller holds a handle to the Subscribe entry, whose drop replaces
    // them with the null upcall before `'share` ends.
    let [r0, r1, _, _] = unsafe {
        S::syscall4::<SUBSCRIBE>([driver_num.into(), subscribe_num.into(), function, data])
    };
    to_result(r0, r1).map(|_| ())
}

fn allow_inner<S: RawSyscalls, const CLASS: usize>(
    driver_num: u32,
    buffer_num: u32,
    address: Register,
    length: usize,
) -> Result<(), ErrorCode> {
    // SAFETY: the buffer lives for `'share` and the caller holds a handle to
    // the allow entry, whose drop takes the buffer back before `'share` ends.
    let [r0, r1, _, _] = unsafe {
        S::syscall4::<CLASS>([driver_num.into(), buffer_num.into(), address, length.into()])
    };
    to_result(r0, r1).map(|_| ())
}

fn revoke<S: RawSyscalls, const CLASS: usize>(driver_num: u32, number: u32) {
    // SAFETY: the null buffer and the null upcall (address 0) give the kernel
    // nothing to access.
    unsafe {
        S::syscall4::<CLASS>([
            driver_num.into(),
            number.into(),
            0usize.into(),
            0usize.into(),
        ]);
    }
}

fn memop_read<S: RawSyscalls>(operation: MemopOperation) -> Result<usize, ErrorCode> {
    // SAFETY: this memop only reads a value; it changes no memory.
    let [r0, r1] = unsafe { S::syscall1::<MEMOP>([(operation as u32).into()]) };
    to_result(r0, r1).map(Register::as_usize)
}

fn memop_with<S: RawSyscalls>(
    operation: MemopOperation,
    argument: Register,
) -> Result<Register, ErrorCode> {
    // SAFETY: callers only pass operations that are safe with `argument`
    // (reads, hints) or are themselves `unsafe` with that contract (brk).
    let [r0, r1] = unsafe { S::syscall2::<MEMOP>([(operation as u32).into(), argument]) };
    to_result(r0, r1)
}

fn exit<S: Syscalls>(kind: ExitKind, status: u32) -> ! {
    // SAFETY: exit ends the process; it touches no memory of ours.
    unsafe {
        S::syscall2::<EXIT>([(kind as u32).into(), status.into()]);
    }
    // A kernel that returned from exit is broken; wait rather than run on.
    loop {
        S::yield_wait();
    }
}

impl<S: RawSyscalls> Syscalls for S {
    fn yield_no_wait() -> YieldNoWaitReturn {
        let mut flag: u8 = 0;
        // SAFETY: `flag` is a live byte the kernel may write.
        unsafe {
            S::yield2([
                (YieldKind::NoWait as u32).into(),
                (&mut flag as *mut u8).into(),
            ])
        };
        if flag == 0 {
            YieldNoWaitReturn::NoUpcall
        } else {
            YieldNoWaitReturn::Upcall
        }
    }

    fn yield_wait() {
        // SAFETY: yield-wait returns nothing and writes no memory.
        unsafe { S::yield1([(YieldKind::Wait as u32).into()]) };
    }

    fn yield_wait_for(driver_num: u32, subscribe_num: u32) -> (u32, u32, u32) {
        // SAFETY: yield-wait-for writes no memory; it returns registers.
        let [r0, r1, r2] = unsafe {
            S::yield3([
                (YieldKind::WaitFor as u32).into(),
                driver_num.into(),
                subscribe_num.into(),
            ])
        };
        (r0.as_u32(), r1.as_u32(), r2.as_u32())
    }

    fn subscribe<'share, U: Upcall, const DRIVER_NUM: u32, const SUBSCRIBE_NUM: u32>(
        _subscribe: Handle<Subscribe<'share, Self, DRIVER_NUM, SUBSCRIBE_NUM>>,
        upcall: &'share U,
    ) -> Result<(), ErrorCode> {
        let function = kernel_upcall::<U> as unsafe extern "C" fn(u32, u32, u32, Register);
        subscribe_inner::<S>(
            DRIVER_NUM,
            SUBSCRIBE_NUM,
            (function as *const ()).into(),
            (upcall as *const U).into(),
        )
    }

    fn unsubscribe(driver_num: u32, subscribe_num: u32) {
        revoke::<S, SUBSCRIBE>(driver_num, subscribe_num);
    }

    fn command(driver_num: u32, command_num: u32, argument0: u32, argument1: u32) -> CommandReturn {
        // SAFETY: a command passes only numbers; it cannot break memory safety.
        let [r0, r1, r2, r3] = unsafe {
            S::syscall4::<COMMAND>([
                driver_num.into(),
                command_num.into(),
                argument0.into(),
                argument1.into(),
            ])
        };
        CommandReturn::new(r0.as_u32(), r1.as_u32(), r2.as_u32(), r3.as_u32())
    }

    fn allow_rw<'share, const DRIVER_NUM: u32, const BUFFER_NUM: u32>(
        _allow_rw: Handle<AllowRw<'share, Self, DRIVER_NUM, BUFFER_NUM>>,
        buffer: &'share mut [u8],
    ) -> Result<(), ErrorCode> {
        let length = buffer.len();
        allow_inner::<S, ALLOW_RW>(DRIVER_NUM, BUFFER_NUM, buffer.as_mut_ptr().into(), length)
    }

    fn unallow_rw(driver_num: u32, buffer_num: u32) {
        revoke::<S, ALLOW_RW>(driver_num, buffer_num);
    }

    fn allow_ro<'share, const DRIVER_NUM: u32, const BUFFER_NUM: u32>(
        _allow_ro: Handle<AllowRo<'share, Self, DRIVER_NUM, BUFFER_NUM>>,
        buffer: &'share [u8],
    ) -> Result<(), ErrorCode> {
        allow_inner::<S, ALLOW_RO>(DRIVER_NUM, BUFFER_NUM, buffer.as_ptr().into(), buffer.len())
    }

    fn unallow_ro(driver_num: u32, buffer_num: u32) {
        revoke::<S, ALLOW_RO>(driver_num, buffer_num);
    }

    fn allow_userspace_readable<'share, const DRIVER_NUM: u32, const BUFFER_NUM: u32>(
        _allow: Handle<AllowUserspaceReadable<'share, Self, DRIVER_NUM, BUFFER_NUM>>,
        buffer: &'share [core::cell::Cell<u8>],
    ) -> Result<(), ErrorCode> {
        // Cells: the app keeps shared access while the kernel writes.
        let address = buffer.as_ptr() as *const u8;
        allow_inner::<S, ALLOW_USERSPACE_READABLE>(
            DRIVER_NUM,
            BUFFER_NUM,
            address.into(),
            buffer.len(),
        )
    }

    fn unallow_userspace_readable(driver_num: u32, buffer_num: u32) {
        revoke::<S, ALLOW_USERSPACE_READABLE>(driver_num, buffer_num);
    }

    unsafe fn memop_brk(address: *const u8) -> Result<(), ErrorCode> {
        memop_with::<S>(MemopOperation::Brk, address.into()).map(|_| ())
    }

    unsafe fn memop_sbrk(increment: i32) -> Result<*const u8, ErrorCode> {
        memop_with::<S>(MemopOperation::Sbrk, increment.into()).map(Into::into)
    }

    fn memop_current_break() -> Result<usize, ErrorCode> {
        memop_with::<S>(MemopOperation::Sbrk, 0u32.into()).map(Register::as_usize)
    }

    fn memop_memory_start() -> Result<usize, ErrorCode> {
        memop_read::<S>(MemopOperation::MemoryStart)
    }

    fn memop_memory_end() -> Result<usize, ErrorCode> {
        memop_read::<S>(MemopOperation::MemoryEnd)
    }

    fn memop_flash_start() -> Result<usize, ErrorCode> {
        memop_read::<S>(MemopOperation::FlashStart)
    }

    fn memop_flash_end() -> Result<usize, ErrorCode> {
        memop_read::<S>(MemopOperation::FlashEnd)
    }

    fn memop_grant_start() -> Result<usize, ErrorCode> {
        memop_read::<S>(MemopOperation::GrantStart)
    }

    fn memop_writeable_flash_region_count() -> Result<usize, ErrorCode> {
        memop_read::<S>(MemopOperation::WriteableFlashRegionCount)
    }

    fn memop_writeable_flash_region_start(region: u32) -> Result<usize, ErrorCode> {
        memop_with::<S>(MemopOperation::WriteableFlashRegionStart, region.into())
            .map(Register::as_usize)
    }

    fn memop_writeable_flash_region_end(region: u32) -> Result<usize, ErrorCode> {
        memop_with::<S>(MemopOperation::WriteableFlashRegionEnd, region.into())
            .map(Register::as_usize)
    }

    fn memop_stack_top_hint(address: *const u8) -> Result<(), ErrorCode> {
        memop_with::<S>(MemopOperation::StackTopHint, address.into()).map(|_| ())
    }

    fn memop_heap_start_hint(address: *const u8) -> Result<(), ErrorCode> {
        memop_with::<S>(MemopOperation::HeapStartHint, address.into()).map(|_| ())
    }

    fn exit_terminate(status: u32) -> ! {
        exit::<S>(ExitKind::Terminate, status)
    }

    fn exit_restart(status: u32) -> ! {
        exit::<S>(ExitKind::Restart, status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_success_range_is_exactly_the_success_variants() {
        for raw in 0..=300u32 {
            let defined = ReturnVariant::from_u32(raw).is_some_and(ReturnVariant::is_success);
            let result = to_result(raw.into(), 6u32.into());
            assert_eq!(result.is_ok(), defined, "variant {raw}");
            let command = CommandReturn::new(raw, 6, 0, 0);
            assert_eq!(command.is_success_any(), defined, "variant {raw}");
            if !defined {
                assert_eq!(result, Err(ErrorCode::Inval));
            }
        }
    }
}
