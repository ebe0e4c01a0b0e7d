//! Power-cut-safe key-value store over an app's isolated storage (being written).
#![no_std]
#![forbid(unsafe_code)]
