//! Semihosting exit: `bkpt 0xab` with `SYS_EXIT_EXTENDED` ends QEMU (run
//! with `-semihosting`) with an exit status. Without `-semihosting` the
//! breakpoint is a HardFault: the board's documentation requires it.

/// Semihosting operation: exit with a reason and a status.
pub const SYS_EXIT_EXTENDED: u32 = 0x20;
/// Reason: the application exited (QEMU then uses the status).
pub const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x2_0026;

/// The parameter block of `SYS_EXIT_EXTENDED` for `status`.
pub const fn exit_block(status: u32) -> [u32; 2] {
    [ADP_STOPPED_APPLICATION_EXIT, status]
}

/// Ends QEMU with `status` (0 passes).
pub fn exit(status: u32) -> ! {
    let block = exit_block(status);
    #[cfg(target_arch = "arm")]
    // SAFETY: with `-semihosting` QEMU handles `bkpt 0xab` and ends; the
    // block lives on this stack until then.
    unsafe {
        core::arch::asm!(
            "bkpt 0xab",
            in("r0") SYS_EXIT_EXTENDED,
            in("r1") block.as_ptr(),
        );
    }
    let _ = block;
    loop {
        arch_cortex_m::support::wait_for_interrupt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_carries_reason_then_status() {
        assert_eq!(exit_block(3), [0x2_0026, 3]);
    }
}
