//! What each system call does, given the decoded [`Syscall`]. Everything
//! here is chip-independent except the memory protection update on
//! `brk`/`sbrk`, taken as a generic parameter. Every pointer a process
//! passes is range-checked before it is stored; none is dereferenced here
//! except the yield-no-wait flag byte, after its check.

use kernel_abi::{ErrorCode, ExitKind, MemopOperation};

use crate::driver::SyscallDriverLookup;
use crate::grant::{self, AllowSlot, AllowTable, UpcallSlot};
use crate::kernel::Kernel;
use crate::platform::MemoryProtection;
use crate::process::{Process, ProcessId, State};
use crate::syscall::{AllowKind, Syscall, SyscallReturn, YieldCall};
use crate::upcall::UpcallId;

/// What the loop does after a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallOutcome {
    /// Write these return registers; the process goes on.
    Return(SyscallReturn),
    /// Write nothing (yield); the process's state says what happens next.
    NoReturn,
    /// The process exited (terminated or restarted): do not resume it.
    Exited,
}

/// Handle `syscall` made by the process in slot `index`.
pub fn handle_syscall<M: MemoryProtection>(
    kernel: &Kernel,
    index: usize,
    syscall: Syscall,
    drivers: &dyn SyscallDriverLookup,
    protection: &M,
    config: &mut M::Config,
) -> SyscallOutcome {
    let process = &kernel.processes()[index];
    process
        .syscall_count
        .set(process.syscall_count.get().wrapping_add(1));
    let process_id = ProcessId {
        index,
        identifier: process.identifier.get(),
    };
    match syscall {
        Syscall::Yield(call) => handle_yield(process, call),
        Syscall::Subscribe {
            driver,
            subscribe,
            function,
            appdata,
        } => SyscallOutcome::Return(subscribe_upcall(
            process, process_id, drivers, driver, subscribe, function, appdata,
        )),
        Syscall::Command {
            driver,
            command,
            argument0,
            argument1,
        } => SyscallOutcome::Return(match drivers.driver(driver) {
            Some(capsule) => capsule
                .command(command, argument0, argument1, process_id)
                .into_syscall_return(),
            None => SyscallReturn::Failure(ErrorCode::NoDevice),
        }),
        Syscall::Allow {
            kind,
            driver,
            buffer,
            address,
            length,
        } => SyscallOutcome::Return(allow_buffer(
            kernel, process_id, drivers, kind, driver, buffer, address, length,
        )),
        Syscall::Memop {
            operation,
            argument,
        } => SyscallOutcome::Return(memop(process, operation, argument, protection, config)),
        Syscall::Exit { kind, status } => match ExitKind::from_u32(kind) {
            Some(ExitKind::Terminate) => {
                kernel.print(format_args!(
                    "[kernel] process {} exited with status {}\r\n",
                    process.name(),
                    status
                ));
                kernel.terminate(index);
                SyscallOutcome::Exited
            }
            Some(ExitKind::Restart) => {
                kernel.restart(index);
                SyscallOutcome::Exited
            }
            None => SyscallOutcome::Return(SyscallReturn::Failure(ErrorCode::NoSupport)),
        },
        Syscall::Unknown(_) => SyscallOutcome::Return(SyscallReturn::Failure(ErrorCode::NoSupport)),
    }
}

fn handle_yield(process: &Process, call: YieldCall) -> SyscallOutcome {
    match call {
        YieldCall::NoWait { flag_address } => {
            let pending = process.first_deliverable_upcall().is_some();
            if flag_address != 0 && process.layout().is_writeable_range(flag_address, 1) {
                // SAFETY: the byte lies inside the process's writeable RAM
                // (checked just above); the process is not running and the
                // kernel holds no reference into that memory.
                unsafe { (flag_address as *mut u8).write_volatile(pending as u8) };
            }
            if pending {
                process.state.set(State::Yielded);
            }
        }
        YieldCall::Wait => process.state.set(State::Yielded),
        YieldCall::WaitFor { driver, subscribe } => process
            .state
            .set(State::YieldedFor(UpcallId { driver, subscribe })),
        YieldCall::Invalid(_) => {}
    }
    SyscallOutcome::NoReturn
}

pub(crate) fn subscribe_upcall(
    process: &Process,
    process_id: ProcessId,
    drivers: &dyn SyscallDriverLookup,
    driver: u32,
    subscribe: u32,
    function: usize,
    appdata: u32,
) -> SyscallReturn {
    let failure = |error| SyscallReturn::FailureU32U32(error, function as u32, appdata);
    let Some(capsule) = drivers.driver(driver) else {
        return failure(ErrorCode::NoDevice);
    };
    if function != 0 && !process.layout().is_code_address(function) {
        return failure(ErrorCode::Inval);
    }
    if let Err(error) = capsule.allocate_grant(process_id) {
        return failure(error);
    }
    let Some((index, base, header)) = grant::find_allocation(process, driver) else {
        return failure(ErrorCode::NoSupport);
    };
    match grant::swap_upcall(
        base,
        &header,
        subscribe as usize,
        UpcallSlot { function, appdata },
    ) {
        Some(previous) => {
            process.upcalls.remove_all(|upcall| {
                upcall.grant as usize == index && upcall.subscribe as u32 == subscribe
            });
            SyscallReturn::SuccessU32U32(previous.function as u32, previous.appdata)
        }
        None => failure(ErrorCode::NoSupport),
    }
}

/// Store an allowed buffer. Replacing a read-write buffer ends any sharing
/// of the old one with another process ([`crate::sharing`]).
#[allow(clippy::too_many_arguments)] // reason: the allow registers, decoded, plus context
pub(crate) fn allow_buffer(
    kernel: &Kernel,
    process_id: ProcessId,
    drivers: &dyn SyscallDriverLookup,
    kind: AllowKind,
    driver: u32,
    buffer: u32,
    address: usize,
    length: usize,
) -> SyscallReturn {
    let failure = |error| SyscallReturn::FailureU32U32(error, address as u32, length as u32);
    let Some(capsule) = drivers.driver(driver) else {
        return failure(ErrorCode::NoDevice);
    };
    let process = &kernel.processes()[process_id.index];
    let layout = process.layout();
    let (valid, table) = match kind {
        AllowKind::ReadOnly => (
            layout.is_readable_range(address, length),
            AllowTable::ReadOnly,
        ),
        AllowKind::ReadWrite | AllowKind::UserspaceReadable => (
            layout.is_writeable_range(address, length),
            AllowTable::ReadWrite,
        ),
    };
    if !valid {
        return failure(ErrorCode::Inval);
    }
    if kind == AllowKind::UserspaceReadable && !capsule.allows_userspace_readable(buffer) {
        return failure(ErrorCode::NoSupport);
    }
    if let Err(error) = capsule.allocate_grant(process_id) {
        return failure(error);
    }
    let Some((grant_index, base, header)) = grant::find_allocation(process, driver) else {
        return failure(ErrorCode::NoSupport);
    };
    if table == AllowTable::ReadWrite {
        kernel
            .shared_buffers()
            .revoke_buffer(process_id.index, grant_index, buffer as usize);
    }
    match grant::swap_allow(
        base,
        &header,
        table,
        buffer as usize,
        AllowSlot { address, length },
    ) {
        Some(previous) => {
            if length > 0 && layout.is_writeable_range(address, length) {
                process
                    .allow_floor
                    .set(process.allow_floor.get().max(address + length));
            }
            SyscallReturn::SuccessU32U32(previous.address as u32, previous.length as u32)
        }
        None => failure(ErrorCode::NoSupport),
    }
}

fn memop<M: MemoryProtection>(
    process: &Process,
    operation: u32,
    argument: u32,
    protection: &M,
    config: &mut M::Config,
) -> SyscallReturn {
    let layout = process.layout();
    let writeable_flash = process.writeable_flash.get();
    match MemopOperation::from_u32(operation) {
        Some(MemopOperation::Brk) => {
            match set_break(process, argument as usize, protection, config) {
                Ok(()) => SyscallReturn::Success,
                Err(error) => SyscallReturn::Failure(error),
            }
        }
        Some(MemopOperation::Sbrk) => {
            let old_break = layout.app_break;
            let new_break = (old_break as i64).wrapping_add(argument as i32 as i64);
            let Ok(new_break) = usize::try_from(new_break) else {
                return SyscallReturn::Failure(ErrorCode::NoMem);
            };
            match set_break(process, new_break, protection, config) {
                Ok(()) => SyscallReturn::SuccessU32(old_break as u32),
                Err(error) => SyscallReturn::Failure(error),
            }
        }
        Some(MemopOperation::MemoryStart) => SyscallReturn::SuccessU32(layout.ram.start as u32),
        Some(MemopOperation::MemoryEnd) => SyscallReturn::SuccessU32(layout.ram.end() as u32),
        Some(MemopOperation::FlashStart) => SyscallReturn::SuccessU32(layout.flash.start as u32),
        Some(MemopOperation::FlashEnd) => SyscallReturn::SuccessU32(layout.flash.end() as u32),
        Some(MemopOperation::GrantStart) => SyscallReturn::SuccessU32(layout.kernel_break as u32),
        Some(MemopOperation::WriteableFlashRegionCount) => {
            SyscallReturn::SuccessU32((writeable_flash.size != 0) as u32)
        }
        Some(MemopOperation::WriteableFlashRegionStart)
            if argument == 0 && writeable_flash.size != 0 =>
        {
            SyscallReturn::SuccessU32(writeable_flash.start as u32)
        }
        Some(MemopOperation::WriteableFlashRegionEnd)
            if argument == 0 && writeable_flash.size != 0 =>
        {
            SyscallReturn::SuccessU32(writeable_flash.end() as u32)
        }
        Some(
            MemopOperation::WriteableFlashRegionStart | MemopOperation::WriteableFlashRegionEnd,
        ) => SyscallReturn::Failure(ErrorCode::Fail),
        Some(MemopOperation::StackTopHint) => {
            process.stack_top_hint.set(argument as usize);
            SyscallReturn::Success
        }
        Some(MemopOperation::HeapStartHint) => {
            process.heap_start_hint.set(argument as usize);
            SyscallReturn::Success
        }
        None => SyscallReturn::Failure(ErrorCode::NoSupport),
    }
}

fn set_break<M: MemoryProtection>(
    process: &Process,
    new_break: usize,
    protection: &M,
    config: &mut M::Config,
) -> Result<(), ErrorCode> {
    let mut layout = process.layout();
    if !layout.is_valid_break(new_break, process.allow_floor.get()) {
        return Err(ErrorCode::NoMem);
    }
    // The hardware may only express breaks on its granule: it protects up
    // to the break rounded up, which must stay below the grant region. The
    // process sees its exact break (sbrk stays contiguous).
    let granule = protection.granularity().max(1).next_power_of_two();
    let enforced = new_break
        .checked_next_multiple_of(granule)
        .filter(|enforced| *enforced <= layout.kernel_break)
        .ok_or(ErrorCode::NoMem)?;
    protection
        .update_app_break(layout.ram, enforced, layout.kernel_break, config)
        .map_err(|_| ErrorCode::NoMem)?;
    process
        .break_granule_log2
        .set(granule.trailing_zeros() as u8);
    layout.app_break = new_break;
    process.layout.set(layout);
    Ok(())
}
