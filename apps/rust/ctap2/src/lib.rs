//! FIDO2 (CTAP 2.1) and U2F security key app for libtock-rs (being written).
#![no_std]
#![forbid(unsafe_code)]

pub mod client_pin;
pub mod credential_management;
pub mod pin_protocol;
