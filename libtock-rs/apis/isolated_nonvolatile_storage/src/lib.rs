//! libtock-rs API for the isolated non-volatile storage driver (being written).
#![no_std]
#![forbid(unsafe_code)]
