//! `loader-cli`: install, list, update and remove Tock apps on a device
//! (over the tock-bootloader serial protocol) or in a flash file (such as
//! QEMU's pflash backing file).
//!
//! The library does the work and reports progress as events; the `loader`
//! binary parses the command line and draws progress bars.
//!
//! # Guarantees
//! - The app chain is read and written only through the `tbf` crate, and
//!   the wire protocol only through `loader-protocol`.
//! - With tockloader's placement, the same sequence of commands leaves the
//!   same flash bytes as tockloader 1.19 (`placement`).
//! - Installs are ordered so a cut at any write leaves every app installed
//!   before intact (`operations` says exactly when, and the one exception:
//!   a fixed-address app replaced in its own slot).
//! - Operations are checked before anything is written or stopped: a
//!   refused one leaves the device as it was (app states are
//!   `loader_protocol::AppState`, shared with the kernel).
//! - Bad input is a typed [`LoaderError`] naming the device or file, the
//!   address and what to do next; never a panic.
//!
//! It must never: write outside the board's app flash, or change the header of
//! an app whose credentials cover that header without being told to.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod board;
pub mod chain;
pub mod error;
pub mod image;
pub mod operations;
pub mod placement;
pub mod progress;
pub mod transport;

pub use board::Board;
pub use chain::{read_chain, Chain, InstalledApp};
pub use error::{LoaderError, LoaderResult};
pub use image::{load_app, NewApp};
pub use operations::{Loader, Placement, Replace};
pub use progress::{Progress, ProgressEvent};
pub use transport::{FlashFile, MemoryFlash, SerialBootloader, SerialLink, Transport};
