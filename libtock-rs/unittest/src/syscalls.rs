//! `RawSyscalls` for the fake kernel: decodes TRD104 registers and answers
//! as the real kernel does (upstream's behaviour where it differs from the
//! text; see FACTS.md).

use crate::kernel::{self, BufferSlot, QueuedUpcall, UpcallSlot};
use crate::log::{ExitCall, SyscallLogEntry, SyscallMatch};
use libtock_platform::{
    CommandReturn, ErrorCode, ExitKind, MemopOperation, RawSyscalls, Register, ReturnVariant,
    SyscallClass, YieldKind,
};

/// The system calls of apps under test: pass it as the `S: Syscalls` of an
/// API crate.
pub struct Syscalls;

fn failure_2(error: ErrorCode, r2: Register, r3: Register) -> [Register; 4] {
    [
        (ReturnVariant::FailureU32U32 as u32).into(),
        (error as u32).into(),
        r2,
        r3,
    ]
}

fn success_2(r1: usize, r2: usize) -> [Register; 4] {
    [
        (ReturnVariant::SuccessU32U32 as u32).into(),
        r1.into(),
        r2.into(),
        0u32.into(),
    ]
}

/// The registers after a command answered `result`: those its variant
/// writes, and what the app passed in the others (as the kernel leaves
/// them).
fn command_registers(result: CommandReturn, passed: [Register; 4]) -> [Register; 4] {
    let (r0, r1, r2, r3) = result.raw();
    let written = ReturnVariant::try_from(r0).map_or(4, |variant| variant.registers_written());
    let mut registers = passed;
    for (index, value) in [r0, r1, r2, r3].into_iter().enumerate().take(written) {
        registers[index] = value.into();
    }
    registers
}

/// Runs the first deliverable upcall (optionally only of `only`); returns
/// whether one ran. Queued upcalls whose slot is null are dropped, as the
/// real kernel never queues them.
fn deliver_one() -> bool {
    loop {
        let next = {
            let state = kernel::state();
            let mut state = state.borrow_mut();
            let Some(queued) = state.queue.pop_front() else {
                return false;
            };
            let slot = state
                .upcalls
                .get(&(queued.driver, queued.subscribe))
                .copied()
                .unwrap_or_default();
            (queued, slot)
        };
        let (queued, slot) = next;
        if slot.function == 0 {
            continue;
        }
        // SAFETY: only subscribe stores a non-null function, and the safe
        // path (`libtock_platform::Syscalls::subscribe`) stores its
        // `kernel_upcall::<U>` with a `&U` that stays valid until it is
        // unsubscribed; raw callers took on the same contract.
        let function: unsafe extern "C" fn(u32, u32, u32, Register) =
            unsafe { std::mem::transmute::<usize, _>(slot.function) };
        let (arg0, arg1, arg2) = queued.arguments;
        // SAFETY: as above; no kernel borrow is held across the call.
        unsafe { function(arg0, arg1, arg2, slot.data.into()) };
        return true;
    }
}

fn yield_wait_for(driver: u32, subscribe: u32) -> (u32, u32, u32) {
    loop {
        if let Some(arguments) = take_queued(driver, subscribe) {
            return arguments;
        }
        if !kernel::idle() {
            panic!(
                "yield-wait-for ({driver:#x}, {subscribe}) would block forever: no fake driver \
                 has that upcall pending or in flight"
            );
        }
    }
}

fn take_queued(driver: u32, subscribe: u32) -> Option<(u32, u32, u32)> {
    let state = kernel::state();
    let mut state = state.borrow_mut();
    let index = state
        .queue
        .iter()
        .position(|queued| queued.driver == driver && queued.subscribe == subscribe);
    index
        .and_then(|index| state.queue.remove(index))
        .map(|queued| queued.arguments)
}

fn subscribe(driver: u32, subscribe: u32, function: Register, data: Register) -> [Register; 4] {
    kernel::log(SyscallLogEntry::Subscribe {
        driver,
        subscribe,
        null: function.as_usize() == 0,
    });
    if let Some(error) = kernel::take_injected(SyscallMatch::Subscribe { driver, subscribe }) {
        return failure_2(error, function, data);
    }
    let Some(found) = kernel::driver(driver) else {
        return failure_2(ErrorCode::NoDevice, function, data);
    };
    if subscribe >= found.slots().upcalls {
        return failure_2(ErrorCode::NoSupport, function, data);
    }
    let state = kernel::state();
    let mut state = state.borrow_mut();
    let new = UpcallSlot {
        function: function.as_usize(),
        data: data.as_usize(),
    };
    let old = state
        .upcalls
        .insert((driver, subscribe), new)
        .unwrap_or_default();
    // The kernel drops what was pending for the old upcall.
    state
        .queue
        .retain(|queued| (queued.driver, queued.subscribe) != (driver, subscribe));
    success_2(old.function, old.data)
}

fn allow(class: SyscallClass, registers: [Register; 4]) -> [Register; 4] {
    let [driver, buffer, address, length] = registers;
    let (driver, buffer, bytes) = (driver.as_u32(), buffer.as_u32(), length.as_usize());
    let (entry, call) = match class {
        SyscallClass::ReadOnlyAllow => (
            SyscallLogEntry::AllowRo {
                driver,
                buffer,
                length: bytes,
            },
            SyscallMatch::AllowRo { driver, buffer },
        ),
        SyscallClass::ReadWriteAllow => (
            SyscallLogEntry::AllowRw {
                driver,
                buffer,
                length: bytes,
            },
            SyscallMatch::AllowRw { driver, buffer },
        ),
        _ => (
            SyscallLogEntry::AllowUserspaceReadable {
                driver,
                buffer,
                length: bytes,
            },
            SyscallMatch::AllowUserspaceReadable { driver, buffer },
        ),
    };
    kernel::log(entry);
    if let Some(error) = kernel::take_injected(call) {
        return failure_2(error, address, length);
    }
    let Some(found) = kernel::driver(driver) else {
        return failure_2(ErrorCode::NoDevice, address, length);
    };
    let slots = found.slots();
    let count = match class {
        SyscallClass::ReadOnlyAllow => slots.allow_ro,
        SyscallClass::ReadWriteAllow => slots.allow_rw,
        _ => slots.allow_userspace_readable,
    };
    if buffer >= count {
        return failure_2(ErrorCode::NoSupport, address, length);
    }
    let state = kernel::state();
    let mut state = state.borrow_mut();
    let table = match class {
        SyscallClass::ReadOnlyAllow => &mut state.allow_ro,
        SyscallClass::ReadWriteAllow => &mut state.allow_rw,
        _ => &mut state.allow_userspace_readable,
    };
    let new = BufferSlot {
        address: address.as_usize(),
        length: bytes,
    };
    let old = table.insert((driver, buffer), new).unwrap_or_default();
    success_2(old.address, old.length)
}

fn command(registers: [Register; 4]) -> [Register; 4] {
    let [driver, command, argument0, argument1] = registers.map(Register::as_u32);
    kernel::log(SyscallLogEntry::Command {
        driver,
        command,
        argument0,
        argument1,
    });
    if let Some(error) = kernel::take_injected(SyscallMatch::Command { driver, command }) {
        return command_registers(CommandReturn::failure(error), registers);
    }
    match kernel::driver(driver) {
        Some(found) => command_registers(found.command(command, argument0, argument1), registers),
        None => command_registers(CommandReturn::failure(ErrorCode::NoDevice), registers),
    }
}

fn memop(operation: u32, argument: Register) -> [Register; 2] {
    let failure = |error: ErrorCode| {
        [
            (ReturnVariant::Failure as u32).into(),
            (error as u32).into(),
        ]
    };
    let Some(operation) = MemopOperation::from_u32(operation) else {
        return failure(ErrorCode::NoSupport);
    };
    kernel::log(SyscallLogEntry::Memop {
        operation,
        argument: argument.as_usize(),
    });
    if let Some(error) = kernel::take_injected(SyscallMatch::Memop(operation)) {
        return failure(error);
    }
    let state = kernel::state();
    let mut state = state.borrow_mut();
    let memory = &mut state.memory;
    let value = |value: usize| [(ReturnVariant::SuccessU32 as u32).into(), value.into()];
    let success = [(ReturnVariant::Success as u32).into(), 0u32.into()];
    let in_ram = |address: usize| (memory.memory_start..=memory.memory_end).contains(&address);
    match operation {
        MemopOperation::Brk if in_ram(argument.as_usize()) => {
            memory.app_break = argument.as_usize();
            success
        }
        MemopOperation::Sbrk => {
            let old = memory.app_break;
            let new = (old as isize).wrapping_add(argument.as_usize() as i32 as isize) as usize;
            if !in_ram(new) {
                return failure(ErrorCode::NoMem);
            }
            memory.app_break = new;
            value(old)
        }
        MemopOperation::Brk => failure(ErrorCode::NoMem),
        MemopOperation::MemoryStart => value(memory.memory_start),
        MemopOperation::MemoryEnd | MemopOperation::GrantStart => value(memory.memory_end),
        MemopOperation::FlashStart => value(memory.flash_start),
        MemopOperation::FlashEnd => value(memory.flash_end),
        MemopOperation::WriteableFlashRegionCount => value(0),
        MemopOperation::WriteableFlashRegionStart | MemopOperation::WriteableFlashRegionEnd => {
            failure(ErrorCode::Fail)
        }
        MemopOperation::StackTopHint | MemopOperation::HeapStartHint => success,
    }
}

fn exit(kind: u32, status: u32) -> [Register; 2] {
    let Some(kind) = ExitKind::from_u32(kind) else {
        return [
            (ReturnVariant::Failure as u32).into(),
            (ErrorCode::NoSupport as u32).into(),
        ];
    };
    let call = match kind {
        ExitKind::Terminate => ExitCall::Terminate(status),
        ExitKind::Restart => ExitCall::Restart(status),
    };
    kernel::log(SyscallLogEntry::Exit { kind, status });
    kernel::state().borrow_mut().exited = Some(call);
    std::panic::panic_any(call)
}

// SAFETY: registers are decoded as TRD104 lays them out; upcalls run only
// inside the yields; buffers are only touched through `with_*_buffer`.
unsafe impl RawSyscalls for Syscalls {
    unsafe fn yield1([kind]: [Register; 1]) {
        if kind.as_u32() == YieldKind::Wait as u32 {
            kernel::log(SyscallLogEntry::Yield {
                kind: YieldKind::Wait,
                waited_for: None,
            });
            while !deliver_one() {
                assert!(
                    kernel::idle(),
                    "yield-wait would block forever: no upcall is pending or in flight"
                );
            }
        }
    }

    unsafe fn yield2([kind, flag]: [Register; 2]) {
        if kind.as_u32() != YieldKind::NoWait as u32 {
            return;
        }
        kernel::log(SyscallLogEntry::Yield {
            kind: YieldKind::NoWait,
            waited_for: None,
        });
        let ran = deliver_one();
        let flag: *mut u8 = flag.into();
        if !flag.is_null() {
            // SAFETY: yield2's contract: a non-null flag points to a byte we
            // may write.
            unsafe { flag.write(u8::from(ran)) };
        }
    }

    unsafe fn yield3([kind, driver, subscribe]: [Register; 3]) -> [Register; 3] {
        let (driver, subscribe) = (driver.as_u32(), subscribe.as_u32());
        if kind.as_u32() != YieldKind::WaitFor as u32 {
            return [kind, driver.into(), subscribe.into()];
        }
        let waited_for = Some((driver, subscribe));
        kernel::log(SyscallLogEntry::Yield {
            kind: YieldKind::WaitFor,
            waited_for,
        });
        let (arg0, arg1, arg2) = yield_wait_for(driver, subscribe);
        [arg0.into(), arg1.into(), arg2.into()]
    }

    unsafe fn syscall1<const CLASS: usize>([r0]: [Register; 1]) -> [Register; 2] {
        // SAFETY: a one-argument call is a two-argument call with 0.
        unsafe { Self::syscall2::<CLASS>([r0, 0u32.into()]) }
    }

    unsafe fn syscall2<const CLASS: usize>([r0, r1]: [Register; 2]) -> [Register; 2] {
        match SyscallClass::from_u32(CLASS as u32) {
            Some(SyscallClass::Memop) => memop(r0.as_u32(), r1),
            Some(SyscallClass::Exit) => exit(r0.as_u32(), r1.as_u32()),
            _ => [
                (ReturnVariant::Failure as u32).into(),
                (ErrorCode::NoSupport as u32).into(),
            ],
        }
    }

    unsafe fn syscall4<const CLASS: usize>(registers: [Register; 4]) -> [Register; 4] {
        match SyscallClass::from_u32(CLASS as u32) {
            Some(SyscallClass::Subscribe) => {
                let [driver, number, function, data] = registers;
                subscribe(driver.as_u32(), number.as_u32(), function, data)
            }
            Some(SyscallClass::Command) => command(registers),
            Some(
                class @ (SyscallClass::ReadOnlyAllow
                | SyscallClass::ReadWriteAllow
                | SyscallClass::UserspaceReadableAllow),
            ) => allow(class, registers),
            _ => command_registers(CommandReturn::failure(ErrorCode::NoSupport), registers),
        }
    }
}

/// Queues an upcall of (driver, subscribe) with its three arguments, as a
/// capsule's `schedule_upcall`. Delivered by the app's next yield.
pub fn schedule_upcall(driver: u32, subscribe: u32, arguments: (u32, u32, u32)) {
    let queued = QueuedUpcall {
        driver,
        subscribe,
        arguments,
    };
    kernel::state().borrow_mut().queue.push_back(queued);
}

/// Runs `access` on the read-only buffer in (driver, buffer); an empty
/// slice if none is allowed.
pub fn with_ro_buffer<R>(driver: u32, buffer: u32, access: impl FnOnce(&[u8]) -> R) -> R {
    let slot = kernel::state()
        .borrow()
        .allow_ro
        .get(&(driver, buffer))
        .copied()
        .unwrap_or_default();
    if slot.address == 0 || slot.length == 0 {
        return access(&[]);
    }
    // SAFETY: the app lent this buffer through allow-ro; the share keeps it
    // alive and unchanged until it is taken back, which replaces the slot.
    // The slice does not outlive `access`.
    let bytes = unsafe { std::slice::from_raw_parts(slot.address as *const u8, slot.length) };
    access(bytes)
}

/// Runs `access` on the read-write buffer in (driver, buffer); an empty
/// slice if none is allowed.
pub fn with_rw_buffer<R>(driver: u32, buffer: u32, access: impl FnOnce(&mut [u8]) -> R) -> R {
    let slot = kernel::state()
        .borrow()
        .allow_rw
        .get(&(driver, buffer))
        .copied()
        .unwrap_or_default();
    if slot.address == 0 || slot.length == 0 {
        return access(&mut []);
    }
    // SAFETY: the app lent this buffer exclusively (`&'share mut`) through
    // allow-rw until it is taken back; the fake kernel makes one slice at a
    // time and it does not outlive `access`.
    let bytes = unsafe { std::slice::from_raw_parts_mut(slot.address as *mut u8, slot.length) };
    access(bytes)
}

/// Runs `app` (which is expected to exit) and returns how it exited.
/// Panics if it returned without exiting or panicked for another reason.
pub fn exit_test<F: FnOnce() + std::panic::UnwindSafe>(app: F) -> ExitCall {
    match std::panic::catch_unwind(app) {
        Ok(()) => panic!("the app returned without calling exit"),
        Err(payload) => match payload.downcast::<ExitCall>() {
            Ok(call) => *call,
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}
