//! The kernel core: processes, grants, syscalls, scheduling, process loading (not yet written).
