//! The loader (not yet written).
