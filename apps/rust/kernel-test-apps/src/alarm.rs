//! Sleeping on the alarm driver (upstream's interface: command 1 =
//! frequency, command 5 (dt) = fire dt ticks from now, subscribe 0).

use kernel_abi::DriverNumber;

use crate::syscall::{command, is_success, subscribe, yield_wait_for};

extern "C" fn ignore_upcall(_: u32, _: u32, _: u32, _: usize) {}

/// Blocks this process for about `milliseconds` (returns at once if the
/// alarm driver is missing).
pub fn sleep_ms(milliseconds: u32) {
    let driver = DriverNumber::ALARM;
    let frequency = command(driver, 1, 0, 0);
    if !is_success(frequency) {
        return;
    }
    let ticks = (frequency[1] / 1000).saturating_mul(milliseconds).max(1);
    subscribe(driver, 0, ignore_upcall as *const () as usize, 0);
    if is_success(command(driver, 5, ticks, 0)) {
        yield_wait_for(driver, 0);
    }
}
