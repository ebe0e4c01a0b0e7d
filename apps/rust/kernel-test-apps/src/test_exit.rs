//! The emulator's test driver (chip-qemu-virt's `TestExitDriver`):
//! ending QEMU with a status, and the return-variant probe.

use kernel_abi::DriverNumber;

use crate::syscall::{command, yield_no_wait, Registers};

/// The test driver's number (defined once in `kernel-abi`).
pub const TEST_DRIVER: DriverNumber = DriverNumber::EMULATOR_TEST;

/// QEMU status when an app panics.
pub const APP_PANIC_STATUS: u32 = 99;

/// Ends QEMU now: 0 passes, anything else fails with that status.
pub fn exit_qemu(status: u32) -> ! {
    command(TEST_DRIVER, 1, status, 0);
    crate::syscall::exit_terminate(status)
}

/// Waits (yielding the processor) until every other process has
/// terminated or faulted for good, then ends QEMU with `status`.
pub fn exit_qemu_when_others_done(status: u32) -> ! {
    loop {
        command(TEST_DRIVER, 2, status, 0);
        // BUSY: others still live. Let them run.
        for _ in 0..100 {
            yield_no_wait();
        }
    }
}

/// Asks the test driver to return variant `variant` (an ABI value) with
/// the registers derived from `seed`.
pub fn variant_probe(variant: u32, seed: u32) -> Registers {
    command(TEST_DRIVER, 3, variant, seed)
}

/// Process slot of a benchmark app that runs alone (the first slot).
pub const BENCH_ALONE_SLOT: u32 = 0;
/// Process slot of the guardian app when attack apps run beside it (it
/// comes first, the attacker second).
pub const GUARDIAN_SLOT: u32 = 0;
/// Process slot of bench_switch_a when it runs with bench_switch_b only.
pub const BENCH_SWITCH_A_SLOT: u32 = 0;
/// Process slot of bench_switch_b in that pair.
pub const BENCH_SWITCH_B_SLOT: u32 = 1;

extern "C" fn ignore_upcall(_: u32, _: u32, _: u32, _: usize) {}

/// Subscribes upcall 0 (so notifications queue even before we wait).
pub fn prepare_notifications() {
    crate::syscall::subscribe(TEST_DRIVER, 0, ignore_upcall as *const () as usize, 0);
}

/// Schedules upcall 0 on the process in `slot`.
pub fn notify(slot: u32) {
    command(TEST_DRIVER, 4, slot, 0);
}

/// Waits for upcall 0.
pub fn wait_for_notification() {
    crate::syscall::yield_wait_for(TEST_DRIVER, 0);
}

/// Notifies `slot`, then waits to be notified.
pub fn notify_and_wait(slot: u32) {
    notify(slot);
    wait_for_notification();
}
