//! The safe system-call interface, implemented for every [`RawSyscalls`].

use crate::share::Handle;
use crate::{
    AllowRo, AllowRw, AllowUserspaceReadable, CommandReturn, ErrorCode, RawSyscalls, Subscribe,
    Upcall,
};

/// Whether a yield-no-wait ran an upcall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YieldNoWaitReturn {
    /// Nothing was pending.
    NoUpcall,
    /// One upcall ran.
    Upcall,
}

/// Every Tock system call, safe to call. Sharing needs a [`Handle`] from
/// [`crate::share::scope`], which guarantees the share is revoked in time.
pub trait Syscalls: RawSyscalls + Sized {
    /// Runs one pending upcall if there is one; never blocks.
    fn yield_no_wait() -> YieldNoWaitReturn;

    /// Blocks until one upcall has run.
    fn yield_wait();

    /// Blocks until the upcall of (`driver_num`, `subscribe_num`) is due and
    /// returns its arguments instead of running it.
    fn yield_wait_for(driver_num: u32, subscribe_num: u32) -> (u32, u32, u32);

    /// Subscribes `upcall` to (`DRIVER_NUM`, `SUBSCRIBE_NUM`) until the
    /// handle's scope ends.
    fn subscribe<'share, U: Upcall, const DRIVER_NUM: u32, const SUBSCRIBE_NUM: u32>(
        subscribe: Handle<Subscribe<'share, Self, DRIVER_NUM, SUBSCRIBE_NUM>>,
        upcall: &'share U,
    ) -> Result<(), ErrorCode>;

    /// Replaces the upcall of (`driver_num`, `subscribe_num`) with the null
    /// upcall. Failure (no such driver) means nothing was subscribed.
    fn unsubscribe(driver_num: u32, subscribe_num: u32);

    /// Command `command_num` of `driver_num`.
    fn command(driver_num: u32, command_num: u32, argument0: u32, argument1: u32) -> CommandReturn;

    /// Lends `buffer` to the driver read-write until the handle's scope ends.
    fn allow_rw<'share, const DRIVER_NUM: u32, const BUFFER_NUM: u32>(
        allow_rw: Handle<AllowRw<'share, Self, DRIVER_NUM, BUFFER_NUM>>,
        buffer: &'share mut [u8],
    ) -> Result<(), ErrorCode>;

    /// Takes the read-write buffer back (allows the empty buffer).
    fn unallow_rw(driver_num: u32, buffer_num: u32);

    /// Lends `buffer` to the driver read-only until the handle's scope ends.
    fn allow_ro<'share, const DRIVER_NUM: u32, const BUFFER_NUM: u32>(
        allow_ro: Handle<AllowRo<'share, Self, DRIVER_NUM, BUFFER_NUM>>,
        buffer: &'share [u8],
    ) -> Result<(), ErrorCode>;

    /// Takes the read-only buffer back (allows the empty buffer).
    fn unallow_ro(driver_num: u32, buffer_num: u32);

    /// Lends `buffer` to the driver as userspace-readable (the kernel writes
    /// it; the app may read it while lent) until the handle's scope ends.
    /// Reading while lent goes through `Cell`s, since the kernel may write.
    fn allow_userspace_readable<'share, const DRIVER_NUM: u32, const BUFFER_NUM: u32>(
        allow: Handle<AllowUserspaceReadable<'share, Self, DRIVER_NUM, BUFFER_NUM>>,
        buffer: &'share [core::cell::Cell<u8>],
    ) -> Result<(), ErrorCode>;

    /// Takes the userspace-readable buffer back.
    fn unallow_userspace_readable(driver_num: u32, buffer_num: u32);

    /// Sets the break (the end of the app's accessible RAM).
    ///
    /// # Safety
    /// Moving the break down makes memory above it inaccessible: nothing
    /// live may be there.
    unsafe fn memop_brk(address: *const u8) -> Result<(), ErrorCode>;

    /// Moves the break by `increment` bytes; returns the old break.
    ///
    /// # Safety
    /// As [`Syscalls::memop_brk`] for a negative `increment`.
    unsafe fn memop_sbrk(increment: i32) -> Result<*const u8, ErrorCode>;

    /// The current break (sbrk by 0, which changes nothing).
    fn memop_current_break() -> Result<usize, ErrorCode>;

    /// Start of the app's RAM.
    fn memop_memory_start() -> Result<usize, ErrorCode>;
    /// End of the app's RAM (start of the kernel's grant region).
    fn memop_memory_end() -> Result<usize, ErrorCode>;
    /// Start of the app's flash (its TBF header).
    fn memop_flash_start() -> Result<usize, ErrorCode>;
    /// End of the app's flash.
    fn memop_flash_end() -> Result<usize, ErrorCode>;
    /// Lowest address of the grant region.
    fn memop_grant_start() -> Result<usize, ErrorCode>;
    /// Number of writeable flash regions in the TBF header.
    fn memop_writeable_flash_region_count() -> Result<usize, ErrorCode>;
    /// Start of writeable flash region `region`.
    fn memop_writeable_flash_region_start(region: u32) -> Result<usize, ErrorCode>;
    /// End of writeable flash region `region`.
    fn memop_writeable_flash_region_end(region: u32) -> Result<usize, ErrorCode>;
    /// Tells the kernel where the stack starts (for its debug output).
    fn memop_stack_top_hint(address: *const u8) -> Result<(), ErrorCode>;
    /// Tells the kernel where the heap starts (for its debug output).
    fn memop_heap_start_hint(address: *const u8) -> Result<(), ErrorCode>;

    /// Ends the app with `status`; the kernel never returns.
    fn exit_terminate(status: u32) -> !;

    /// Ends and restarts the app; the kernel never returns.
    fn exit_restart(status: u32) -> !;
}
