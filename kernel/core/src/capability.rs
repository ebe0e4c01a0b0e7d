//! Capabilities: zero-sized proofs that the caller is trusted code.
//!
//! Each is an `unsafe trait`: implementing one needs `unsafe impl`, which
//! capsules (`#![forbid(unsafe_code)]`) cannot write, so only the board's
//! entry and the core can create them. A sensitive kernel API takes
//! `&dyn SomeCapability` and so cannot be called by a capsule unless the
//! board handed it the token on purpose (the process console gets
//! [`ProcessManagementCapability`]).

/// Start, stop, fault, restart and terminate processes; load them.
///
/// # Safety
/// Implement only in trusted code that may control every process.
pub unsafe trait ProcessManagementCapability {}

/// Run the kernel's main loop.
///
/// # Safety
/// Implement only in the board's entry.
pub unsafe trait MainLoopCapability {}

/// Create grants (per-process memory for capsules).
///
/// # Safety
/// Implement only in the board's entry.
pub unsafe trait MemoryAllocationCapability {}

/// Give one process read-write access, through its memory protection, to a
/// buffer another process allowed for it ([`crate::sharing`]); the IPC
/// capsule gets it from the board, to follow upstream's IPC semantics.
///
/// # Safety
/// Implement only in the board's entry (trusted code).
pub unsafe trait MemorySharingCapability {}
