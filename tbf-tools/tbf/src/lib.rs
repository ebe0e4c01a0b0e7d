//! The TBF format library (not yet written).
