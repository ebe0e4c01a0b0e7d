//! The interface between the kernel and a capsule that serves system calls.

use kernel_abi::ErrorCode;

use crate::process::ProcessId;
use crate::syscall::CommandReturn;

/// A capsule reachable from processes by driver number.
///
/// Subscribe and allow are handled by the kernel against the slots in the
/// capsule's grant; the capsule only implements command and tells the
/// kernel how to allocate its grant.
pub trait SyscallDriver {
    /// Command `command` with two arguments. Command 0 must return
    /// Success (the existence check).
    fn command(
        &self,
        command: u32,
        argument0: u32,
        argument1: u32,
        process: ProcessId,
    ) -> CommandReturn;

    /// Make sure this capsule's grant exists for `process` (typically
    /// `self.grant.enter(process, |_, _| {})`). A capsule without upcalls
    /// or buffers keeps the default: subscribe and allow get NOSUPPORT.
    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        let _ = process;
        Err(ErrorCode::NoSupport)
    }

    /// May read-write buffer `number` be passed with the userspace-readable
    /// allow (class 7)? Default: no (NOSUPPORT).
    fn allows_userspace_readable(&self, number: u32) -> bool {
        let _ = number;
        false
    }
}

/// The board's table from driver numbers to capsules.
pub trait SyscallDriverLookup {
    /// The capsule serving `driver`, if the board has one.
    fn driver(&self, driver: u32) -> Option<&dyn SyscallDriver>;
}
