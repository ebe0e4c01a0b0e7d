//! FIDO U2F security key app for libtock-rs.
//!
//! What it is: U2F raw messages (FIDO U2F Raw Message Formats v1.2:
//! VERSION, REGISTER, AUTHENTICATE) carried over CTAPHID (INIT, MSG, PING,
//! WINK, ERROR) on the kernel's CTAP HID driver. Each registration gets a
//! fresh P-256 key pair; its private key leaves the device only inside the
//! key handle, encrypted and authenticated under a device secret kept in
//! the kernel's key-value store ([`key_handle`]). User presence is a button
//! press.
//!
//! The pure logic ([`ctaphid`] framing, [`apdu`] parsing, [`u2f`] message
//! handling, [`key_handle`] wrapping) builds and is tested on the host;
//! [`app`] is the event loop over the real drivers.
//!
//! Guarantees: the authentication counter is persisted before a signature
//! that uses it leaves the device, so it never goes back, even across a
//! reset; a key handle is only accepted for the application parameter it
//! was made for; malformed packets and APDUs get the error the
//! specifications name, never a panic.
//! Must never: reveal a private key or the device secret, or sign without
//! user presence when presence is required.
#![no_std]
#![forbid(unsafe_code)]

pub mod apdu;
pub mod app;
pub mod attestation;
pub mod ctaphid;
pub mod key_handle;
pub mod u2f;
