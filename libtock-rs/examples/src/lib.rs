//! Example apps for libtock-rs, one binary each under `src/bin/` (built for
//! a device by `cargo xtask` with the `device` feature), and the app logic
//! that is worth testing on the host against the fake kernel
//! ([`conformance`]).
//!
//! Must never: contain `unsafe` (the runtime owns it).
#![no_std]
#![forbid(unsafe_code)]

pub mod conformance;

#[cfg(test)]
mod tests;
