//! libtock-rs unittest: a fake Tock kernel that runs API crates and whole
//! apps on the host.
//!
//! What it is: [`Syscalls`] implements `libtock_platform::RawSyscalls` by
//! decoding registers exactly as the real kernel does, so the real
//! `Syscalls` implementation (register packing, share scoping, the upcall
//! trampoline) is what runs under test. A [`Kernel`] per test holds the
//! fake drivers (`drivers::*`, one per API crate), the subscribed upcalls
//! and allowed buffers, an upcall queue delivered by yields, a fake memory
//! layout for memops, a syscall log, and failures to inject.
//!
//! Guarantees: answers follow upstream Tock where apps can tell (a missing
//! driver gives NODEVICE; a failed allow or subscribe returns the passed
//! arguments; unsupported slots give NOSUPPORT). A yield that would block
//! forever panics with a message instead of hanging the test.
//!
//! Must never: be used outside tests (it panics on test bugs, by design),
//! or keep a reference to an allowed buffer beyond one access. Its
//! `unsafe` is that of a kernel: reading lent buffers and calling upcalls.
//!
//! Scoping, checked by the compiler (these examples are doc tests): a
//! buffer that outlives the scope can be allowed ...
//!
//! ```
//! use libtock_platform::share::scope;
//! use libtock_platform::{AllowRo, Syscalls};
//! use libtock_unittest::{drivers, Kernel, Syscalls as Fake};
//! let kernel = Kernel::new();
//! kernel.add_driver(&std::rc::Rc::new(drivers::Console::new()));
//! let buffer = [0u8; 4];
//! scope::<AllowRo<Fake, 1, 1>, _, _>(|handle| Fake::allow_ro(handle, &buffer)).unwrap();
//! ```
//!
//! ... one that dies inside the scope cannot (the kernel would still hold it):
//!
//! ```compile_fail
//! use libtock_platform::share::scope;
//! use libtock_platform::{AllowRo, Syscalls};
//! use libtock_unittest::Syscalls as Fake;
//! scope::<AllowRo<Fake, 1, 1>, _, _>(|handle| {
//!     let buffer = [0u8; 4];
//!     Fake::allow_ro(handle, &buffer)
//! });
//! ```
//!
//! ... and a handle cannot leave its scope:
//!
//! ```compile_fail
//! use libtock_platform::share::scope;
//! use libtock_platform::AllowRo;
//! use libtock_unittest::Syscalls as Fake;
//! let mut escaped = None;
//! scope::<AllowRo<Fake, 1, 1>, _, _>(|handle| escaped = Some(handle));
//! ```
//!
//! ```text
//!  API crate ──Syscalls (platform)──> fake::Syscalls ──> Kernel state
//!                                         │  command        │ drivers[*]
//!   upcall <──── yield delivers queue ◄───┘  allow/subscribe│ slots
//! ```

mod kernel;
mod log;
mod syscalls;

pub mod drivers;

pub use kernel::{Driver, Kernel, MemoryLayout, Slots};
pub use log::{ExitCall, InjectedFailure, SyscallLogEntry, SyscallMatch};
pub use syscalls::{exit_test, schedule_upcall, with_ro_buffer, with_rw_buffer, Syscalls};

#[cfg(test)]
mod tests;
