//! Raw system calls: `ecall` with the class in `a4` and arguments in
//! `a0..a3` (RISC-V), or `svc CLASS` with arguments in `r0..r3` (Arm);
//! the kernel returns in `a0..a3`/`r0..r3` and preserves every other
//! register. Yields may run upcalls (ordinary function calls in this
//! process), so they clobber every caller-saved register.

use kernel_abi::{DriverNumber, ExitKind, MemopOperation, ReturnVariant, SyscallClass, YieldKind};

/// The four return registers.
pub type Registers = [u32; 4];

/// A raw syscall that does not run upcalls.
#[inline(always)]
pub fn raw(class: SyscallClass, arguments: Registers) -> Registers {
    raw_class(class as u32, arguments)
}

/// A raw syscall with any class number (for bad-class tests).
#[inline(always)]
pub fn raw_class(class: u32, arguments: Registers) -> Registers {
    let [mut a0, mut a1, mut a2, mut a3] = arguments;
    #[cfg(target_arch = "riscv32")]
    // SAFETY: the kernel changes only a0..a3 on a non-yield syscall.
    unsafe {
        core::arch::asm!(
            "ecall",
            inlateout("a0") a0, inlateout("a1") a1, inlateout("a2") a2, inlateout("a3") a3,
            in("a4") class,
            options(nostack),
        );
    }
    #[cfg(target_arch = "arm")]
    {
        // The class is the `svc` immediate: one instruction per class.
        macro_rules! svc {
            ($class:literal) => {
                // SAFETY: the kernel changes only r0..r3 on a non-yield
                // syscall.
                unsafe {
                    core::arch::asm!(
                        concat!("svc ", $class),
                        inlateout("r0") a0, inlateout("r1") a1,
                        inlateout("r2") a2, inlateout("r3") a3,
                        options(nostack),
                    )
                }
            };
        }
        match class {
            0 => svc!(0),
            1 => svc!(1),
            2 => svc!(2),
            3 => svc!(3),
            4 => svc!(4),
            5 => svc!(5),
            6 => svc!(6),
            7 => svc!(7),
            8 => svc!(8),
            9 => svc!(9),
            _ => svc!(255),
        }
    }
    #[cfg(not(any(target_arch = "riscv32", target_arch = "arm")))]
    let _ = (class, &mut a0, &mut a1, &mut a2, &mut a3);
    [a0, a1, a2, a3]
}

/// A yield: may run upcalls before it returns.
#[inline(always)]
pub fn raw_yield(kind: u32, arguments: [u32; 3]) -> Registers {
    let [mut a1, mut a2, mut a3] = arguments;
    let mut a0 = kind;
    #[cfg(target_arch = "riscv32")]
    // SAFETY: upcalls follow the C ABI, so every caller-saved register
    // (ra included) is declared clobbered.
    unsafe {
        core::arch::asm!(
            "ecall",
            inlateout("a0") a0, inlateout("a1") a1, inlateout("a2") a2, inlateout("a3") a3,
            in("a4") SyscallClass::Yield as u32,
            clobber_abi("C"),
        );
    }
    #[cfg(target_arch = "arm")]
    // SAFETY: upcalls follow the C ABI, so every caller-saved register
    // (lr included) is declared clobbered.
    unsafe {
        core::arch::asm!(
            "svc 0",
            inlateout("r0") a0, inlateout("r1") a1, inlateout("r2") a2, inlateout("r3") a3,
            clobber_abi("C"),
        );
    }
    #[cfg(not(any(target_arch = "riscv32", target_arch = "arm")))]
    let _ = (&mut a0, &mut a1, &mut a2, &mut a3);
    [a0, a1, a2, a3]
}

/// Yield-wait: sleep until an upcall has run.
pub fn yield_wait() {
    raw_yield(YieldKind::Wait as u32, [0; 3]);
}

/// Yield-no-wait: run one pending upcall if any; true if one ran.
pub fn yield_no_wait() -> bool {
    let mut ran: u8 = 0;
    raw_yield(YieldKind::NoWait as u32, [&mut ran as *mut u8 as u32, 0, 0]);
    ran == 1
}

/// Yield-wait-for: block until the upcall (driver, subscribe) is due and
/// return its three arguments instead of calling it.
pub fn yield_wait_for(driver: DriverNumber, subscribe: u32) -> Registers {
    raw_yield(YieldKind::WaitFor as u32, [driver.0, subscribe, 0])
}

/// Command.
pub fn command(driver: DriverNumber, command: u32, argument0: u32, argument1: u32) -> Registers {
    raw(
        SyscallClass::Command,
        [driver.0, command, argument0, argument1],
    )
}

/// Subscribe `function` (0 for none) as upcall `number` of `driver`.
pub fn subscribe(driver: DriverNumber, number: u32, function: usize, data: usize) -> Registers {
    raw(
        SyscallClass::Subscribe,
        [driver.0, number, function as u32, data as u32],
    )
}

/// Read-only allow of `length` bytes at `address`.
pub fn allow_read_only(
    driver: DriverNumber,
    number: u32,
    address: usize,
    length: usize,
) -> Registers {
    raw(
        SyscallClass::ReadOnlyAllow,
        [driver.0, number, address as u32, length as u32],
    )
}

/// Read-write allow of `length` bytes at `address`.
pub fn allow_read_write(
    driver: DriverNumber,
    number: u32,
    address: usize,
    length: usize,
) -> Registers {
    raw(
        SyscallClass::ReadWriteAllow,
        [driver.0, number, address as u32, length as u32],
    )
}

/// Memop.
pub fn memop(operation: MemopOperation, argument: u32) -> Registers {
    raw(SyscallClass::Memop, [operation as u32, argument, 0, 0])
}

/// Exit-terminate with `status`.
pub fn exit_terminate(status: u32) -> ! {
    raw(
        SyscallClass::Exit,
        [ExitKind::Terminate as u32, status, 0, 0],
    );
    // The kernel never returns from exit; if it did, wait for ever.
    loop {
        yield_wait();
    }
}

/// Exit-restart.
pub fn exit_restart(status: u32) -> ! {
    raw(SyscallClass::Exit, [ExitKind::Restart as u32, status, 0, 0]);
    loop {
        yield_wait();
    }
}

/// True if the first return register says success.
pub fn is_success(registers: Registers) -> bool {
    ReturnVariant::from_u32(registers[0]).is_some_and(ReturnVariant::is_success)
}
