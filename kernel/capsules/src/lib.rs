//! Capsules: drivers and services as kernel extensions, one file each.
//!
//! Every capsule serves processes through the kernel's `SyscallDriver`
//! trait with upstream Tock's interface (so libtock apps work unchanged),
//! keeps per-process state only in grants, and talks to hardware only
//! through the split-phase HILs of `kernel::hil`.
//!
//! Guarantees: no `unsafe` (forbidden below), no heap, no callback to a
//! client from inside the call that started an operation, and nothing a
//! process passes can make a capsule panic.
//!
//! Must never: hold a reference into process memory outside a grant's
//! `enter`, or reach kernel internals without a capability.
#![no_std]
#![forbid(unsafe_code)]

pub mod aes;
pub mod alarm;
pub mod app_loader;
pub mod app_state;
pub mod button;
pub mod console;
pub mod crc;
pub mod csprng;
pub mod ctap;
pub mod date_time;
pub mod digest_driver;
pub mod eui64;
pub mod hid_driver;
pub mod hid_link;
pub mod hmac;
pub mod ipc;
pub mod isolated_nonvolatile_storage;
pub mod kv;
pub mod led;
pub mod low_level_debug;
pub mod process_console;
pub mod process_info;
pub mod rng;
pub mod sha;
pub mod software_aes;
pub mod software_digest;
pub mod uart_mux;
pub mod usb_keyboard_hid;
pub mod virtual_alarm;
pub mod virtual_flash;

#[cfg(test)]
mod test_support;
