//! What the fake kernel records and what a test can make it do wrong.

use libtock_platform::{ErrorCode, ExitKind, MemopOperation, YieldKind};

/// One system call as the fake kernel saw it, in call order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallLogEntry {
    /// A yield of `kind`; for wait-for, the awaited (driver, subscribe).
    Yield {
        /// Which yield.
        kind: YieldKind,
        /// (driver, subscribe number) for yield-wait-for.
        waited_for: Option<(u32, u32)>,
    },
    /// A subscribe; `null` when it replaced the upcall with the null upcall.
    Subscribe {
        /// Driver number.
        driver: u32,
        /// Subscribe number.
        subscribe: u32,
        /// True for an unsubscribe.
        null: bool,
    },
    /// A command.
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
    /// A read-only allow of `length` bytes (0 when taking a buffer back).
    AllowRo {
        /// Driver number.
        driver: u32,
        /// Buffer number.
        buffer: u32,
        /// Length in bytes.
        length: usize,
    },
    /// A read-write allow of `length` bytes (0 when taking a buffer back).
    AllowRw {
        /// Driver number.
        driver: u32,
        /// Buffer number.
        buffer: u32,
        /// Length in bytes.
        length: usize,
    },
    /// A userspace-readable allow of `length` bytes (0 when taking it back).
    AllowUserspaceReadable {
        /// Driver number.
        driver: u32,
        /// Buffer number.
        buffer: u32,
        /// Length in bytes.
        length: usize,
    },
    /// A memop.
    Memop {
        /// Which operation.
        operation: MemopOperation,
        /// Its argument (0 when it takes none).
        argument: usize,
    },
    /// An exit.
    Exit {
        /// Terminate or restart.
        kind: ExitKind,
        /// The status passed.
        status: u32,
    },
}

/// Which system call an injected failure hits: the next one that matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallMatch {
    /// A command of (driver, command).
    Command {
        /// Driver number.
        driver: u32,
        /// Command number.
        command: u32,
    },
    /// A subscribe to (driver, subscribe), null or not.
    Subscribe {
        /// Driver number.
        driver: u32,
        /// Subscribe number.
        subscribe: u32,
    },
    /// A read-only allow of (driver, buffer).
    AllowRo {
        /// Driver number.
        driver: u32,
        /// Buffer number.
        buffer: u32,
    },
    /// A read-write allow of (driver, buffer).
    AllowRw {
        /// Driver number.
        driver: u32,
        /// Buffer number.
        buffer: u32,
    },
    /// A userspace-readable allow of (driver, buffer).
    AllowUserspaceReadable {
        /// Driver number.
        driver: u32,
        /// Buffer number.
        buffer: u32,
    },
    /// A memop of this operation.
    Memop(MemopOperation),
}

/// A failure the next matching system call returns instead of running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InjectedFailure {
    /// The call it hits.
    pub call: SyscallMatch,
    /// The error it returns.
    pub error: ErrorCode,
}

/// How an app's exit unwinds out of the fake kernel (see [`crate::exit_test`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCall {
    /// exit-terminate with this status.
    Terminate(u32),
    /// exit-restart with this status.
    Restart(u32),
}
