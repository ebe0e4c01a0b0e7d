//! `loader-protocol`: the serial protocol between the loader and a device,
//! defined once for the host (loader-cli), the board's bootloader and the
//! running kernel's loader service.
//!
//! It is upstream tock-bootloader's protocol (so tockloader can talk to our
//! boards and our loader to Tock boards) plus extension commands for app
//! management on a running kernel, and a framing rule that lets loader
//! traffic share one UART with the console. The reference is
//! `docs/loader.md`.
//!
//! # Guarantees
//! - `no_std`, no allocation, no `unsafe`: decoders keep their state in
//!   fixed buffers sized by a const generic and take one byte at a time, so
//!   a device can run them from a UART interrupt.
//! - Decoding never panics, on any bytes (property tests and a fuzz target
//!   in `fuzz/`); encoders report a too-small buffer instead of writing past
//!   it. Every frame an encoder writes decodes to what was encoded.
//!
//! It must never: block, allocate, or give a meaning to upstream's command
//! and response numbers other than upstream's.
//!
//! # Wire format
//! ```text
//! host -> device:  ESC RESET | payload (ESC doubled) | ESC command
//! device -> host:  ESC response | payload (ESC doubled)
//! ESC = 0xFC.  Outside frames on a shared link: console bytes, ESC doubled.
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app_state;
pub mod attribute;
pub mod bootloader;
pub mod codes;
pub mod crc;
pub mod decoder;
pub mod encoder;
pub mod extension;
pub mod refusal;
pub mod request;
pub mod test_status;
pub mod trust;

pub use app_state::{AppAction, AppState, WrongState};
pub use attribute::{decode_attribute, encode_attribute, Attribute, AttributeError};
pub use bootloader::{
    Bootloader, BootloaderFlash, BootloaderLayout, Erase, FlashFault, Flow, ResponseSink,
};
pub use codes::{
    Command, ExtensionStatus, Response, ESCAPE, INFO_RESPONSE_LENGTH, MAX_READ_LENGTH, PAGE_SIZE,
    SYNC,
};
pub use crc::{crc32, Crc32};
pub use decoder::{
    CommandDecoder, CommandEvent, CommandFrame, LinkMode, ResponseDecoder, ResponseError,
    ResponseEvent, ResponseFrame, EXTENSION_HEAD_LENGTH,
};
pub use encoder::{
    encode_command, encode_console_byte, encode_extension_response, encode_response,
    max_encoded_length, BufferTooSmall,
};
pub use extension::{app_records, AppRecord, ProcessState, ServiceInfo};
pub use refusal::RefusalReason;
pub use request::{ProcessAction, Request, RequestError};
pub use test_status::{ConfirmPolicy, RunningTest, TestStatus, TEST_STATUS_LENGTH};
pub use trust::{decode_trust_refusal, TrustChangeRefusal, MAX_TRUST_STATE_BODY};

/// Payload buffer a device needs for every command this crate defines
/// (WRITE_PAGE: address and one page).
pub const MAX_COMMAND_PAYLOAD: usize = 4 + PAGE_SIZE;

#[cfg(test)]
mod tests;
