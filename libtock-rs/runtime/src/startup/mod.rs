//! Process start: the assembly entry, `rust_start`, `set_main!` and
//! `stack_size!`.

use crate::TockSyscalls;
use core::sync::atomic::{AtomicUsize, Ordering};
use libtock_platform::{ErrorCode, Syscalls};

#[cfg(target_arch = "riscv32")]
core::arch::global_asm!(include_str!("start_riscv32.s"));
#[cfg(target_arch = "arm")]
core::arch::global_asm!(include_str!("start_arm.s"));

/// What `main` may return: how the process then exits.
pub trait Termination {
    /// Exits the process accordingly.
    fn complete(self) -> !;
}

impl Termination for () {
    fn complete(self) -> ! {
        TockSyscalls::exit_terminate(0)
    }
}

impl Termination for Result<(), ErrorCode> {
    /// Exits with 0, or with the error's number.
    fn complete(self) -> ! {
        match self {
            Ok(()) => TockSyscalls::exit_terminate(0),
            Err(error) => TockSyscalls::exit_terminate(error as u32),
        }
    }
}

impl Termination for core::convert::Infallible {
    fn complete(self) -> ! {
        match self {}
    }
}

/// Values the linker script puts at the app start (see libtock_layout.ld).
#[repr(C)]
pub(crate) struct RtHeader {
    pub(crate) start: usize,
    pub(crate) initial_break: *mut u8,
    pub(crate) stack_top: *mut u8,
    pub(crate) data_size: usize,
    pub(crate) data_flash_start: *const u8,
    pub(crate) data_ram_start: *mut u8,
    pub(crate) bss_size: usize,
    pub(crate) bss_start: *mut u8,
}

extern "C" {
    /// Defined by the linker script.
    pub(crate) static rt_header: RtHeader;
}

extern "Rust" {
    /// Defined by `set_main!`.
    fn libtock_unsafe_main() -> !;
}

/// The initial break: where the heap starts.
pub(crate) fn heap_start() -> *mut u8 {
    // SAFETY: rt_header is written by the linker, never modified, and valid
    // for its type.
    unsafe { rt_header.initial_break }
}

/// The registers the kernel entered the process with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRegisters {
    /// a0/r0: the app start (upstream: the first byte after the TBF header
    /// and protected region, where `rt_header` is).
    pub app_start: usize,
    /// a1/r1: the start of the process's RAM.
    pub ram_start: usize,
    /// a2/r2: the length of the process's RAM.
    pub ram_length: usize,
    /// a3/r3: the initial break.
    pub initial_break: usize,
}

/// Written once by `rust_start`, before `main`.
static ENTRY: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];

/// The registers the kernel entered the process with.
pub fn entry_registers() -> EntryRegisters {
    let [app_start, ram_start, ram_length, initial_break] =
        [0, 1, 2, 3].map(|index| ENTRY[index].load(Ordering::Relaxed));
    EntryRegisters {
        app_start,
        ram_start,
        ram_length,
        initial_break,
    }
}

/// The address of `rt_header`: what upstream's kernel passes as app start.
pub fn rt_header_address() -> usize {
    core::ptr::addr_of!(rt_header) as usize
}

/// First Rust code of the process, called by `start` once the stack,
/// `.data` and `.bss` are in place, with the kernel's entry registers.
#[no_mangle]
extern "C" fn rust_start(
    app_start: usize,
    ram_start: usize,
    ram_length: usize,
    initial_break: usize,
) -> ! {
    for (slot, value) in ENTRY
        .iter()
        .zip([app_start, ram_start, ram_length, initial_break])
    {
        slot.store(value, Ordering::Relaxed);
    }
    // SAFETY: as in `heap_start`.
    let stack_top = unsafe { rt_header.stack_top };
    // The hints only improve the kernel's debug output; a kernel without
    // them is fine, so their results are not needed.
    let _ = TockSyscalls::memop_stack_top_hint(stack_top);
    let _ = TockSyscalls::memop_heap_start_hint(heap_start());
    // SAFETY: `set_main!` defines it with exactly this signature.
    unsafe { libtock_unsafe_main() }
}

/// Names the app's `main`: a function returning a [`Termination`].
#[macro_export]
macro_rules! set_main {
    {$name:ident} => {
        #[no_mangle]
        fn libtock_unsafe_main() -> ! {
            $crate::Termination::complete($name())
        }
    };
}

/// Reserves the app's stack (in bytes, rounded up to 16). The stack lives
/// in RAM only: it adds nothing to the TBF.
#[macro_export]
macro_rules! stack_size {
    {$size:expr} => {
        #[no_mangle]
        #[link_section = ".stack_buffer"]
        static mut STACK_MEMORY: [u8; $size] = [0; $size];
    };
}
