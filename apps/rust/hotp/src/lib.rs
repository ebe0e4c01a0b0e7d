//! HOTP security key app (RFC 4226) for libtock-rs.
//!
//! What it is: an app that keeps up to [`slot::SLOT_COUNT`] HOTP secrets in
//! the kernel's key-value store, accepts new secrets as base32 text on the
//! console (`set <slot> <base32> [6|8] [sha1|sha256]`), and on a button
//! press computes the next code with the kernel's HMAC driver, types it
//! through the USB keyboard HID driver and prints it. `totp <slot>` does
//! the same for the slot's TOTP code (RFC 6238: 30-second steps from the
//! Unix epoch), with the time from the kernel's date-time driver.
//!
//! The pure logic (base32, dynamic truncation, slot records, console
//! commands, key codes) lives in modules that build and are tested on the
//! host; [`app`] is the event loop, generic over the system calls so the
//! fake kernel can drive it.
//!
//! Guarantees: the counter of a slot is stored advanced *before* its code
//! is shown, so a reset never makes a code appear twice (RFC 4226 section
//! 7.2: the token's counter only moves forward); a bad command line is
//! answered with an error line, never a panic.
//! Must never: print or type a secret, or reuse a counter value.
#![no_std]
#![forbid(unsafe_code)]

pub mod app;
pub mod base32;
pub mod code;
pub mod command;
pub mod keyboard;
pub mod line;
pub mod slot;
