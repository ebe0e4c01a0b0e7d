//! libtock-rs platform: ABI types and the Syscalls trait (not yet written).
