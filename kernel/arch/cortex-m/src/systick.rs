//! SysTick as the scheduler timer: a 24-bit down-counter on the processor
//! clock. A timeslice loads it; its interrupt (TICKINT) is enabled only
//! while a process runs ([`SchedulerTimer::arm`]).
//!
//! COUNTFLAG clears when the control register is read, so every read goes
//! through [`SysTick::read_control`], which remembers an expiry.

use core::cell::Cell;

use kernel::platform::SchedulerTimer;

/// Control bits.
pub const ENABLE: u32 = 1 << 0;
/// Interrupt on reaching zero.
pub const TICKINT: u32 = 1 << 1;
/// Count the processor clock (not the external reference).
pub const CLKSOURCE: u32 = 1 << 2;
/// Reached zero since the last read.
pub const COUNTFLAG: u32 = 1 << 16;
/// The largest reload value.
pub const MAXIMUM_RELOAD: u32 = 0x00ff_ffff;

/// Ticks for `microseconds` at `ticks_per_microsecond`, clamped to the
/// 24-bit counter (at least 1).
pub fn reload_for(microseconds: u32, ticks_per_microsecond: u32) -> u32 {
    microseconds
        .saturating_mul(ticks_per_microsecond)
        .clamp(1, MAXIMUM_RELOAD)
}

/// The SysTick timer.
pub struct SysTick {
    ticks_per_microsecond: u32,
    expired: Cell<bool>,
}

impl SysTick {
    /// SysTick counting the processor clock at `processor_hz`.
    pub const fn new(processor_hz: u32) -> Self {
        let ticks = processor_hz / 1_000_000;
        SysTick {
            ticks_per_microsecond: if ticks == 0 { 1 } else { ticks },
            expired: Cell::new(false),
        }
    }

    /// Counter ticks per microsecond.
    pub fn ticks_per_microsecond(&self) -> u32 {
        self.ticks_per_microsecond
    }

    #[cfg(target_arch = "arm")]
    fn read_control(&self) -> u32 {
        use tock_registers::interfaces::Readable;
        let control = crate::registers::systick().control_and_status.get();
        if control & COUNTFLAG != 0 {
            self.expired.set(true);
        }
        control
    }

    #[cfg(target_arch = "arm")]
    fn write_control(&self, value: u32) {
        use tock_registers::interfaces::Writeable;
        crate::registers::systick().control_and_status.set(value);
    }
}

impl SchedulerTimer for SysTick {
    fn start(&self, microseconds: u32) {
        self.expired.set(false);
        #[cfg(target_arch = "arm")]
        {
            use tock_registers::interfaces::Writeable;
            let registers = crate::registers::systick();
            registers
                .reload_value
                .set(reload_for(microseconds, self.ticks_per_microsecond));
            // Any write zeroes the counter and clears COUNTFLAG.
            registers.current_value.set(0);
            self.write_control(ENABLE | CLKSOURCE);
        }
        #[cfg(not(target_arch = "arm"))]
        let _ = microseconds;
    }

    fn reset(&self) {
        #[cfg(target_arch = "arm")]
        {
            use tock_registers::interfaces::Writeable;
            self.write_control(0);
            crate::registers::systick().current_value.set(0);
            // ICSR.PENDSTCLR: drop an expiry interrupt not yet taken.
            crate::registers::scb()
                .interrupt_control_and_state
                .set(1 << 25);
        }
        self.expired.set(false);
    }

    fn arm(&self) {
        #[cfg(target_arch = "arm")]
        {
            let control = self.read_control();
            self.write_control(control | TICKINT);
        }
    }

    fn disarm(&self) {
        #[cfg(target_arch = "arm")]
        {
            let control = self.read_control();
            self.write_control(control & !TICKINT);
        }
    }

    fn remaining_microseconds(&self) -> Option<u32> {
        #[cfg(target_arch = "arm")]
        {
            use tock_registers::interfaces::Readable;
            let control = self.read_control();
            if self.expired.get() || control & ENABLE == 0 {
                return None;
            }
            let value = crate::registers::systick().current_value.get();
            Some(value / self.ticks_per_microsecond)
        }
        #[cfg(not(target_arch = "arm"))]
        (!self.expired.get()).then_some(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reload_is_clamped_to_24_bits() {
        assert_eq!(reload_for(10_000, 25), 250_000);
        assert_eq!(reload_for(1_000_000, 25), MAXIMUM_RELOAD);
        assert_eq!(reload_for(0, 25), 1);
    }
}
