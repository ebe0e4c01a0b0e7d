//! The list entries for allowed buffers and subscribed upcalls.
//!
//! Each one, when dropped, hands its slot back to the null buffer or the
//! null upcall, so the kernel no longer holds what was shared through it.

use crate::share::List;
use crate::Syscalls;
use core::marker::PhantomData;

/// Invariant in `'share`: a handle's share lifetime can neither grow nor
/// shrink.
type InvariantShare<'share> = PhantomData<fn(&'share ()) -> &'share ()>;

/// Read-only allow slot `BUFFER_NUM` of driver `DRIVER_NUM`, for `'share`.
pub struct AllowRo<'share, S: Syscalls, const DRIVER_NUM: u32, const BUFFER_NUM: u32> {
    _syscalls: PhantomData<S>,
    _share: InvariantShare<'share>,
}

/// Read-write allow slot `BUFFER_NUM` of driver `DRIVER_NUM`, for `'share`.
pub struct AllowRw<'share, S: Syscalls, const DRIVER_NUM: u32, const BUFFER_NUM: u32> {
    _syscalls: PhantomData<S>,
    _share: InvariantShare<'share>,
}

/// Userspace-readable allow slot `BUFFER_NUM` of driver `DRIVER_NUM`, for
/// `'share`: the kernel writes, the app may read while it is shared.
pub struct AllowUserspaceReadable<'share, S: Syscalls, const DRIVER_NUM: u32, const BUFFER_NUM: u32>
{
    _syscalls: PhantomData<S>,
    _share: InvariantShare<'share>,
}

/// Upcall slot `SUBSCRIBE_NUM` of driver `DRIVER_NUM`, for `'share`.
pub struct Subscribe<'share, S: Syscalls, const DRIVER_NUM: u32, const SUBSCRIBE_NUM: u32> {
    _syscalls: PhantomData<S>,
    _share: InvariantShare<'share>,
}

macro_rules! share_entry {
    ($name:ident, $revoke:ident, $number:ident) => {
        impl<S: Syscalls, const DRIVER_NUM: u32, const $number: u32> Default
            for $name<'_, S, DRIVER_NUM, $number>
        {
            fn default() -> Self {
                $name {
                    _syscalls: PhantomData,
                    _share: PhantomData,
                }
            }
        }

        impl<S: Syscalls, const DRIVER_NUM: u32, const $number: u32> Drop
            for $name<'_, S, DRIVER_NUM, $number>
        {
            fn drop(&mut self) {
                S::$revoke(DRIVER_NUM, $number);
            }
        }

        impl<S: Syscalls, const DRIVER_NUM: u32, const $number: u32> List
            for $name<'_, S, DRIVER_NUM, $number>
        {
        }
    };
}

share_entry!(AllowRo, unallow_ro, BUFFER_NUM);
share_entry!(AllowRw, unallow_rw, BUFFER_NUM);
share_entry!(Subscribe, unsubscribe, SUBSCRIBE_NUM);
share_entry!(
    AllowUserspaceReadable,
    unallow_userspace_readable,
    BUFFER_NUM
);
