//! libtock-rs unittest: a fake kernel for host tests (not yet written).
