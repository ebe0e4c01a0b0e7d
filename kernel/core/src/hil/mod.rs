//! Hardware interface layers: the split-phase traits chips implement and
//! capsules use. A call starts an operation and returns at once; the
//! client's callback ends it, later, from the main loop (an interrupt
//! bottom half or a deferred call), never from inside the call itself.
//!
//! Buffers cross as `&'static mut [u8]`: ownership passes to the driver
//! for the operation and comes back in the callback, so no copy and no
//! aliasing.

pub mod aes;
pub mod byte_uart;
pub mod date_time;
pub mod digest;
pub mod entropy;
pub mod flash;
pub mod gpio;
pub mod hid;
pub mod time;
pub mod uart;
