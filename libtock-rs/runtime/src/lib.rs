//! libtock-rs runtime: entry, relocation, real syscalls (not yet written).
