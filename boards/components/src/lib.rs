//! The wiring every board shares, so that a board's `main.rs` reads as its
//! declaration (memory map, peripherals, capsules, policies) and not as a
//! copy of another board's set-up code.
//!
//! It holds: [`static_init!`] and [`static_buf!`] (the boards' only static
//! allocation), [`driver_table!`] (the board's syscall driver lookup from
//! one list), [`BoardCapability`] (the boards' capability token), the UART
//! stack (mux, console, process console, low-level debug), the capsules
//! whose set-up does not depend on the chip (alarm, RNG, IPC, process
//! info), QEMU's emulated LEDs and button (feature `emulated`), and
//! process loading from a board's [`AppMemory`].
//!
//! Guarantees: every function here builds its capsule in statics of its
//! own and connects all of its callbacks before returning; each may run
//! once per boot (a second call panics at boot, never aliases a static).
//!
//! Must never: be a dependency of a capsule or chip crate (it hands out the
//! board's capabilities), hold board-specific addresses or pins, or run
//! after the kernel loop has started.
#![no_std]

pub mod console;
pub mod drivers;
#[cfg(feature = "emulated")]
pub mod emulated;
pub mod processes;

use kernel::capability::{
    MainLoopCapability, MemoryAllocationCapability, MemorySharingCapability,
    ProcessManagementCapability,
};

pub use processes::{load_processes, AppMemory};

#[doc(hidden)]
pub use {kernel as __kernel, kernel_abi as __kernel_abi};

/// The board entry's proof of trust, handed to the kernel APIs that need
/// it. Only board crates depend on this crate (see the crate docs), so
/// only a board's trusted code can name this token.
pub struct BoardCapability;

// SAFETY: only board crates (trusted code) depend on this crate.
unsafe impl ProcessManagementCapability for BoardCapability {}
// SAFETY: as above.
unsafe impl MainLoopCapability for BoardCapability {}
// SAFETY: as above.
unsafe impl MemoryAllocationCapability for BoardCapability {}
// SAFETY: as above; the board hands it to the IPC capsule only.
unsafe impl MemorySharingCapability for BoardCapability {}

/// Puts `$value` of type `$type` in a static of its own and returns a
/// `&'static mut` to it. Each expansion is one static: running the same
/// expansion twice would alias it, so that panics at boot.
#[macro_export]
macro_rules! static_init {
    ($type:ty, $value:expr) => {{
        let value: $type = $value;
        $crate::static_buf!($type).write(value)
    }};
}

/// A `&'static mut MaybeUninit<$type>` in a static of its own, for set-up
/// code generic over a type (which cannot declare the static itself). Each
/// expansion is one static: running it twice panics at boot.
#[macro_export]
macro_rules! static_buf {
    ($type:ty) => {{
        static USED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        static mut SLOT: core::mem::MaybeUninit<$type> = core::mem::MaybeUninit::uninit();
        // A load then a store, not a swap: boards set up on one thread
        // before interrupts are on, and ARMv6-M has no atomic swap.
        if USED.load(core::sync::atomic::Ordering::Relaxed) {
            $crate::static_site_used_twice();
        }
        USED.store(true, core::sync::atomic::Ordering::Relaxed);
        // SAFETY: the flag above lets each expansion's SLOT be borrowed
        // only once, so this is the only reference to it.
        unsafe { &mut *core::ptr::addr_of_mut!(SLOT) }
    }};
}

/// The boot-time failure of a [`static_init!`] or [`static_buf!`] site run
/// twice (a board bug). One shared panic site instead of one per static
/// keeps the kernel image small; a debugger's backtrace names the site.
#[doc(hidden)]
#[cold]
#[inline(never)]
pub fn static_site_used_twice() -> ! {
    panic!("static_init! site used twice")
}

/// Declares the board's system-call drivers once: a struct with one field
/// per driver and its [`SyscallDriverLookup`](kernel::driver::SyscallDriverLookup)
/// by driver number. Each line is `PATTERN => field: Type,` (the field holds
/// a `&'static Type`); attributes such as `#[cfg(...)]` apply to both the
/// field and its lookup arm.
#[macro_export]
macro_rules! driver_table {
    (
        $(#[$struct_attribute:meta])*
        struct $name:ident {
            $( $(#[$attribute:meta])* $number:pat => $field:ident: $type:ty, )*
        }
    ) => {
        $(#[$struct_attribute])*
        struct $name {
            $( $(#[$attribute])* $field: &'static $type, )*
        }

        impl $crate::__kernel::driver::SyscallDriverLookup for $name {
            fn driver(&self, driver: u32) -> Option<&dyn $crate::__kernel::driver::SyscallDriver> {
                match $crate::__kernel_abi::DriverNumber(driver) {
                    $( $(#[$attribute])* $number => Some(self.$field), )*
                    _ => None,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests;
