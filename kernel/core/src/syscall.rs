//! System calls as types: [`Syscall`] decoded from the raw registers, and
//! [`SyscallReturn`] encoded back into them (TRD104 §3-4, with upstream's
//! behaviour where FACTS.md says apps depend on it).
//!
//! Decoding never fails: an unknown class becomes [`Syscall::Unknown`]
//! (answered with Failure NOSUPPORT), an unknown yield kind
//! [`YieldCall::Invalid`] (returns at once), an unknown memop or exit kind
//! stays a raw number for the handler to refuse.

use kernel_abi::{ErrorCode, ReturnVariant, SyscallClass, YieldKind};

use crate::platform::RawSyscall;

/// The kinds of yield.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YieldCall {
    /// Run one pending upcall if any; report through the byte at
    /// `flag_address` (0: no report).
    NoWait {
        /// Address of the byte set to 1 if an upcall ran, 0 if not.
        flag_address: usize,
    },
    /// Block until an upcall runs.
    Wait,
    /// Block until the upcall `(driver, subscribe)` is scheduled; its
    /// arguments come back in `a0..a2` instead of running it.
    WaitFor {
        /// Driver number.
        driver: u32,
        /// Subscribe number.
        subscribe: u32,
    },
    /// An unknown yield number: returns at once (TRD104).
    Invalid(u32),
}

/// A decoded system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syscall {
    /// Class 0.
    Yield(YieldCall),
    /// Class 1.
    Subscribe {
        /// Driver number.
        driver: u32,
        /// Subscribe number.
        subscribe: u32,
        /// Upcall function (0 is the null upcall).
        function: usize,
        /// Passed back unmodified in every upcall.
        appdata: u32,
    },
    /// Class 2.
    Command {
        /// Driver number.
        driver: u32,
        /// Command number.
        command: u32,
        /// First argument.
        argument0: u32,
        /// Second argument.
        argument1: u32,
    },
    /// Classes 3, 4 and 7.
    Allow {
        /// Which of the three allow classes.
        kind: AllowKind,
        /// Driver number.
        driver: u32,
        /// Buffer number.
        buffer: u32,
        /// Buffer address.
        address: usize,
        /// Buffer length.
        length: usize,
    },
    /// Class 5: the operation number (validated by the handler) and its
    /// argument.
    Memop {
        /// [`kernel_abi::MemopOperation`] as a raw number.
        operation: u32,
        /// Its argument.
        argument: u32,
    },
    /// Class 6: [`kernel_abi::ExitKind`] as a raw number, and the status.
    Exit {
        /// 0 terminate, 1 restart.
        kind: u32,
        /// Completion code.
        status: u32,
    },
    /// Any other class number.
    Unknown(u32),
}

/// The three allow classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllowKind {
    /// Class 3: the kernel reads and writes; the process waits.
    ReadWrite,
    /// Class 4: the kernel only reads (RAM or the process's flash).
    ReadOnly,
    /// Class 7: read-write, and the process may keep reading it.
    UserspaceReadable,
}

impl Syscall {
    /// Decode the registers of a system call.
    #[inline(always)] // reason: on the null-syscall path, measured
    pub fn decode(raw: RawSyscall) -> Syscall {
        let [a0, a1, a2, a3] = raw.arguments;
        let allow = |kind| Syscall::Allow {
            kind,
            driver: a0,
            buffer: a1,
            address: a2 as usize,
            length: a3 as usize,
        };
        match SyscallClass::from_u32(raw.class) {
            Some(SyscallClass::Yield) => Syscall::Yield(match YieldKind::from_u32(a0) {
                Some(YieldKind::NoWait) => YieldCall::NoWait {
                    flag_address: a1 as usize,
                },
                Some(YieldKind::Wait) => YieldCall::Wait,
                Some(YieldKind::WaitFor) => YieldCall::WaitFor {
                    driver: a1,
                    subscribe: a2,
                },
                None => YieldCall::Invalid(a0),
            }),
            Some(SyscallClass::Subscribe) => Syscall::Subscribe {
                driver: a0,
                subscribe: a1,
                function: a2 as usize,
                appdata: a3,
            },
            Some(SyscallClass::Command) => Syscall::Command {
                driver: a0,
                command: a1,
                argument0: a2,
                argument1: a3,
            },
            Some(SyscallClass::ReadWriteAllow) => allow(AllowKind::ReadWrite),
            Some(SyscallClass::ReadOnlyAllow) => allow(AllowKind::ReadOnly),
            Some(SyscallClass::UserspaceReadableAllow) => allow(AllowKind::UserspaceReadable),
            Some(SyscallClass::Memop) => Syscall::Memop {
                operation: a0,
                argument: a1,
            },
            Some(SyscallClass::Exit) => Syscall::Exit {
                kind: a0,
                status: a1,
            },
            None => Syscall::Unknown(raw.class),
        }
    }
}

/// What a system call returns (TRD104 §3.1), before encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallReturn {
    /// Variant 0.
    Failure(ErrorCode),
    /// Variant 1.
    FailureU32(ErrorCode, u32),
    /// Variant 2 (also allow and subscribe failures: the passed values).
    FailureU32U32(ErrorCode, u32, u32),
    /// Variant 3.
    FailureU64(ErrorCode, u64),
    /// Variant 128.
    Success,
    /// Variant 129.
    SuccessU32(u32),
    /// Variant 130 (also allow and subscribe successes: the previous values).
    SuccessU32U32(u32, u32),
    /// Variant 131.
    SuccessU64(u64),
    /// Variant 132.
    SuccessU32U32U32(u32, u32, u32),
    /// Variant 133.
    SuccessU32U64(u32, u64),
    /// Yield-wait-for: the three upcall arguments in `a0..a2`, no variant.
    YieldWaitFor(u32, u32, u32),
}

fn low(value: u64) -> u32 {
    value as u32
}

fn high(value: u64) -> u32 {
    (value >> 32) as u32
}

/// The registers a system call's return writes: `values[..count]`, in
/// `a0..a3` (`r0..r3`). The process keeps what it had in the others.
///
/// ```text
///   Success           a0=128   a1 a2 a3 untouched
///   SuccessU32(v)     a0=129   a1=v     a2 a3 untouched
///   Failure(e)        a0=0     a1=e     a2 a3 untouched
///   YieldWaitFor      a0 a1 a2 = upcall arguments, a3 untouched
/// ```
///
/// TRD104 leaves the unused registers unspecified; upstream's kernel
/// preserves them and upstream libtock-rs relies on it, so this is part of
/// the ABI (`ReturnVariant::registers_written` in kernel-abi).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReturnRegisters {
    /// The values, in register order; those at `count` and beyond are
    /// not written (and are 0 here).
    pub values: [u32; 4],
    /// How many registers, from `a0`, the return writes (1 to 4).
    pub count: usize,
}

impl ReturnRegisters {
    /// The registers of `variant` with `values` after it in `a1..`.
    #[inline(always)] // reason: on the null-syscall path, measured
    const fn of(variant: ReturnVariant, rest: [u32; 3]) -> Self {
        let [a1, a2, a3] = rest;
        ReturnRegisters {
            values: [variant as u32, a1, a2, a3],
            count: variant.registers_written(),
        }
    }
}

impl SyscallReturn {
    /// The return registers this value writes; see [`ReturnRegisters`].
    #[inline(always)] // reason: on the null-syscall path, measured
    pub fn encode(self) -> ReturnRegisters {
        use ReturnVariant as V;
        let of = ReturnRegisters::of;
        match self {
            SyscallReturn::Failure(error) => of(V::Failure, [error as u32, 0, 0]),
            SyscallReturn::FailureU32(error, value) => of(V::FailureU32, [error as u32, value, 0]),
            SyscallReturn::FailureU32U32(error, first, second) => {
                of(V::FailureU32U32, [error as u32, first, second])
            }
            SyscallReturn::FailureU64(error, value) => {
                of(V::FailureU64, [error as u32, low(value), high(value)])
            }
            SyscallReturn::Success => of(V::Success, [0, 0, 0]),
            SyscallReturn::SuccessU32(value) => of(V::SuccessU32, [value, 0, 0]),
            SyscallReturn::SuccessU32U32(first, second) => of(V::SuccessU32U32, [first, second, 0]),
            SyscallReturn::SuccessU64(value) => of(V::SuccessU64, [low(value), high(value), 0]),
            SyscallReturn::SuccessU32U32U32(first, second, third) => {
                of(V::SuccessU32U32U32, [first, second, third])
            }
            SyscallReturn::SuccessU32U64(first, value) => {
                of(V::SuccessU32U64, [first, low(value), high(value)])
            }
            SyscallReturn::YieldWaitFor(first, second, third) => ReturnRegisters {
                values: [first, second, third, 0],
                count: 3,
            },
        }
    }
}

/// What a driver's command returns: any [`SyscallReturn`] except the
/// yield-only one. Capsules build it with the constructors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandReturn(SyscallReturn);

impl CommandReturn {
    /// Failure with an error code.
    pub const fn failure(error: ErrorCode) -> Self {
        CommandReturn(SyscallReturn::Failure(error))
    }
    /// Failure with an error code and one value.
    pub const fn failure_u32(error: ErrorCode, value: u32) -> Self {
        CommandReturn(SyscallReturn::FailureU32(error, value))
    }
    /// Failure with an error code and two values.
    pub const fn failure_u32_u32(error: ErrorCode, first: u32, second: u32) -> Self {
        CommandReturn(SyscallReturn::FailureU32U32(error, first, second))
    }
    /// Failure with an error code and a 64-bit value.
    pub const fn failure_u64(error: ErrorCode, value: u64) -> Self {
        CommandReturn(SyscallReturn::FailureU64(error, value))
    }
    /// Success.
    pub const fn success() -> Self {
        CommandReturn(SyscallReturn::Success)
    }
    /// Success with one value.
    pub const fn success_u32(value: u32) -> Self {
        CommandReturn(SyscallReturn::SuccessU32(value))
    }
    /// Success with two values.
    pub const fn success_u32_u32(first: u32, second: u32) -> Self {
        CommandReturn(SyscallReturn::SuccessU32U32(first, second))
    }
    /// Success with a 64-bit value.
    pub const fn success_u64(value: u64) -> Self {
        CommandReturn(SyscallReturn::SuccessU64(value))
    }
    /// Success with three values.
    pub const fn success_u32_u32_u32(first: u32, second: u32, third: u32) -> Self {
        CommandReturn(SyscallReturn::SuccessU32U32U32(first, second, third))
    }
    /// Success with a value and a 64-bit value.
    pub const fn success_u32_u64(first: u32, second: u64) -> Self {
        CommandReturn(SyscallReturn::SuccessU32U64(first, second))
    }
    /// The syscall return it stands for.
    pub const fn into_syscall_return(self) -> SyscallReturn {
        self.0
    }
}

impl From<Result<(), ErrorCode>> for CommandReturn {
    fn from(result: Result<(), ErrorCode>) -> Self {
        match result {
            Ok(()) => CommandReturn::success(),
            Err(error) => CommandReturn::failure(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(class: u32, arguments: [u32; 4]) -> RawSyscall {
        RawSyscall { class, arguments }
    }

    #[test]
    fn decodes_every_class() {
        assert_eq!(
            Syscall::decode(raw(0, [2, 0x1, 3, 9])),
            Syscall::Yield(YieldCall::WaitFor {
                driver: 1,
                subscribe: 3
            })
        );
        assert_eq!(
            Syscall::decode(raw(0, [0, 0x8000_0010, 0, 0])),
            Syscall::Yield(YieldCall::NoWait {
                flag_address: 0x8000_0010
            })
        );
        assert_eq!(
            Syscall::decode(raw(0, [1, 0, 0, 0])),
            Syscall::Yield(YieldCall::Wait)
        );
        assert_eq!(
            Syscall::decode(raw(0, [7, 0, 0, 0])),
            Syscall::Yield(YieldCall::Invalid(7))
        );
        assert_eq!(
            Syscall::decode(raw(1, [1, 2, 0x2000_0100, 42])),
            Syscall::Subscribe {
                driver: 1,
                subscribe: 2,
                function: 0x2000_0100,
                appdata: 42
            }
        );
        assert_eq!(
            Syscall::decode(raw(2, [0x10002, 1, 5, 6])),
            Syscall::Command {
                driver: 0x10002,
                command: 1,
                argument0: 5,
                argument1: 6
            }
        );
        for (class, kind) in [
            (3, AllowKind::ReadWrite),
            (4, AllowKind::ReadOnly),
            (7, AllowKind::UserspaceReadable),
        ] {
            assert_eq!(
                Syscall::decode(raw(class, [1, 0, 0x8000_0000, 16])),
                Syscall::Allow {
                    kind,
                    driver: 1,
                    buffer: 0,
                    address: 0x8000_0000,
                    length: 16
                }
            );
        }
        assert_eq!(
            Syscall::decode(raw(5, [1, 0xffff_fff0, 0, 0])),
            Syscall::Memop {
                operation: 1,
                argument: 0xffff_fff0
            }
        );
        assert_eq!(
            Syscall::decode(raw(6, [0, 3, 0, 0])),
            Syscall::Exit { kind: 0, status: 3 }
        );
        assert_eq!(Syscall::decode(raw(8, [0; 4])), Syscall::Unknown(8));
        assert_eq!(
            Syscall::decode(raw(u32::MAX, [0; 4])),
            Syscall::Unknown(u32::MAX)
        );
    }

    /// Checks the registers a return writes, in order; the rest are the app's.
    fn writes(value: SyscallReturn, expected: &[u32]) {
        let registers = value.encode();
        assert_eq!(&registers.values[..registers.count], expected, "{value:?}");
    }

    #[test]
    fn encodes_every_return_variant_in_its_registers_only() {
        use ErrorCode::*;
        use SyscallReturn as R;
        writes(R::Failure(NoDevice), &[0, 11]);
        writes(R::FailureU32(Busy, 7), &[1, 2, 7]);
        writes(
            R::FailureU32U32(Inval, 0x8000_0000, 16),
            &[2, 6, 0x8000_0000, 16],
        );
        writes(R::FailureU64(Size, 0x1_0000_0002), &[3, 7, 2, 1]);
        writes(R::Success, &[128]);
        writes(R::SuccessU32(5), &[129, 5]);
        writes(R::SuccessU32U32(5, 6), &[130, 5, 6]);
        writes(
            R::SuccessU64(0xaaaa_bbbb_cccc_dddd),
            &[131, 0xcccc_dddd, 0xaaaa_bbbb],
        );
        writes(R::SuccessU32U32U32(1, 2, 3), &[132, 1, 2, 3]);
        writes(R::SuccessU32U64(9, 0x2_0000_0001), &[133, 9, 1, 2]);
        writes(R::YieldWaitFor(4, 5, 6), &[4, 5, 6]);
    }

    #[test]
    fn command_return_wraps_results() {
        assert_eq!(
            CommandReturn::from(Err(ErrorCode::Busy)).into_syscall_return(),
            SyscallReturn::Failure(ErrorCode::Busy)
        );
        assert_eq!(
            CommandReturn::from(Ok(())).into_syscall_return(),
            SyscallReturn::Success
        );
    }
}
