//! The CLINT machine timer, shared by two users: the alarm (for capsules)
//! and the scheduler's timeslice. `mtimecmp` always holds the earlier of
//! the two deadlines; the interrupt handler works out which one expired.
//!
//! The timer counts at 10 MHz on QEMU's virt machine.
//!
//! The alarm's 32-bit count (what [`Time::now`] returns, what capsules and
//! apps see) is the low word of `mtime` plus [`START_OFFSET`], so it
//! wraps [`SECONDS_BEFORE_WRAP`] seconds after reset instead of 430 s
//! later: every boot, not only a test's, crosses the wrap early (as Linux
//! starts jiffies five minutes before theirs wraps), and an overflow bug
//! in the kernel's alarms or in an app's timer code shows up in a short
//! run. The offset is applied only where that count crosses the alarm
//! HIL (`now`, `set_alarm`, `get_alarm`); deadlines, `mtimecmp` and the
//! scheduler's timeslice stay in `mtime`'s own 64-bit time, which never
//! wraps. Alarm arithmetic is in wrapping differences, which a constant
//! added to both sides leaves unchanged.

use core::cell::Cell;

use kernel::hil::time::{has_expired, Alarm, AlarmClient, Time};
use kernel::platform::SchedulerTimer;
use kernel::ErrorCode;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::ReadWrite;

/// Timer ticks per second.
pub const FREQUENCY: u32 = 10_000_000;
/// Timer ticks per microsecond (10 MHz).
pub const TICKS_PER_MICROSECOND: u64 = 10;
/// Seconds from reset until the alarm's 32-bit count wraps.
pub const SECONDS_BEFORE_WRAP: u32 = 15;
/// Added to `mtime`'s low word to give the alarm's count: at reset it is
/// 15 s of ticks short of 2^32 (0xF70F_2E80), and it wraps 15 s in.
pub const START_OFFSET: u32 = 0u32.wrapping_sub(SECONDS_BEFORE_WRAP * FREQUENCY);

register_structs! {
    /// CLINT registers for hart 0.
    pub ClintRegisters {
        (0x0000 => msip: ReadWrite<u32>),
        (0x0004 => _reserved0),
        (0x4000 => mtimecmp_low: ReadWrite<u32>),
        (0x4004 => mtimecmp_high: ReadWrite<u32>),
        (0x4008 => _reserved1),
        (0xbff8 => mtime_low: ReadWrite<u32>),
        (0xbffc => mtime_high: ReadWrite<u32>),
        (0xc000 => @END),
    }
}

/// The two deadlines multiplexed onto one `mtimecmp`. Pure logic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deadlines {
    /// The alarm's deadline, if armed.
    pub alarm: Option<u64>,
    /// The timeslice's deadline, if one is running.
    pub timeslice: Option<u64>,
    /// Set once the timeslice deadline passed (until the next start).
    pub timeslice_expired: bool,
}

/// What the timer interrupt found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expired {
    /// The alarm's deadline passed: call its client.
    pub alarm: bool,
    /// The timeslice ran out.
    pub timeslice: bool,
}

impl Deadlines {
    /// The value for `mtimecmp`: the earlier deadline, or never.
    pub fn compare_value(&self) -> u64 {
        match (self.alarm, self.timeslice) {
            (Some(a), Some(t)) => a.min(t),
            (Some(a), None) => a,
            (None, Some(t)) => t,
            (None, None) => u64::MAX,
        }
    }

    /// Retires every deadline at or before `now`.
    pub fn expire(&mut self, now: u64) -> Expired {
        let mut expired = Expired::default();
        if self.alarm.is_some_and(|deadline| deadline <= now) {
            self.alarm = None;
            expired.alarm = true;
        }
        if self.timeslice.is_some_and(|deadline| deadline <= now) {
            self.timeslice = None;
            self.timeslice_expired = true;
            expired.timeslice = true;
        }
        expired
    }
}

/// The CLINT timer with its alarm and timeslice users.
pub struct MachineTimer {
    registers: &'static ClintRegisters,
    deadlines: Cell<Deadlines>,
    alarm_client: Cell<Option<&'static dyn AlarmClient>>,
}

impl MachineTimer {
    /// # Safety
    /// `base` must be the CLINT's address (0x0200_0000 on virt).
    pub const unsafe fn new(base: usize) -> Self {
        MachineTimer {
            // SAFETY: the caller guarantees the CLINT is mapped at `base`.
            registers: unsafe { &*(base as *const ClintRegisters) },
            deadlines: Cell::new(Deadlines {
                alarm: None,
                timeslice: None,
                timeslice_expired: false,
            }),
            alarm_client: Cell::new(None),
        }
    }

    /// Ticks since reset (10 MHz). Reads high, low, high again so a carry
    /// between the two halves is never mixed.
    pub fn now_64(&self) -> u64 {
        loop {
            let high = self.registers.mtime_high.get();
            let low = self.registers.mtime_low.get();
            if self.registers.mtime_high.get() == high {
                return (u64::from(high) << 32) | u64::from(low);
            }
        }
    }

    fn program(&self, deadlines: Deadlines) {
        self.deadlines.set(deadlines);
        let value = deadlines.compare_value();
        // Raise the high half first so no transient low value fires early.
        self.registers.mtimecmp_high.set(u32::MAX);
        self.registers.mtimecmp_low.set(value as u32);
        self.registers.mtimecmp_high.set((value >> 32) as u32);
    }

    /// Arms the alarm for the absolute tick `deadline` (a past deadline
    /// fires at the next interrupt service).
    pub fn set_deadline(&self, deadline: u64) {
        let mut deadlines = self.deadlines.get();
        deadlines.alarm = Some(deadline);
        self.program(deadlines);
    }

    /// The timer interrupt: retire expired deadlines, reprogram, and tell
    /// the alarm client.
    pub fn handle_interrupt(&self) {
        let mut deadlines = self.deadlines.get();
        let expired = deadlines.expire(self.now_64());
        self.program(deadlines);
        if expired.alarm {
            if let Some(client) = self.alarm_client.get() {
                client.alarm();
            }
        }
    }
}

/// The alarm's count for `mtime`'s low word `hardware`.
pub fn alarm_count(hardware: u32) -> u32 {
    hardware.wrapping_add(START_OFFSET)
}

/// `mtime`'s low word for the alarm's count `count`.
pub fn hardware_count(count: u32) -> u32 {
    count.wrapping_sub(START_OFFSET)
}

/// The 64-bit deadline for the 32-bit alarm `reference + dt` seen at
/// `now` (64-bit): at once if it has passed, else the wrapped distance on.
pub fn deadline_for(reference: u32, dt: u32, now: u64) -> u64 {
    let now_low = now as u32;
    if has_expired(reference, dt, now_low) {
        now
    } else {
        now + u64::from(reference.wrapping_add(dt).wrapping_sub(now_low))
    }
}

/// Microseconds from `now` to `deadline` (low 32 bits of the tick
/// counter), `None` once it has passed.
pub fn remaining_microseconds(deadline: u32, now: u32) -> Option<u32> {
    let ticks = deadline.wrapping_sub(now) as i32;
    (ticks > 0).then(|| ticks as u32 / TICKS_PER_MICROSECOND as u32)
}

impl Time for MachineTimer {
    fn frequency(&self) -> u32 {
        FREQUENCY
    }

    fn now(&self) -> u32 {
        alarm_count(self.registers.mtime_low.get())
    }
}

impl Alarm<'static> for MachineTimer {
    fn set_alarm_client(&self, client: &'static dyn AlarmClient) {
        self.alarm_client.set(Some(client));
    }

    fn set_alarm(&self, reference: u32, dt: u32) {
        let reference = hardware_count(reference);
        self.set_deadline(deadline_for(reference, dt, self.now_64()));
    }

    fn get_alarm(&self) -> u32 {
        alarm_count(self.deadlines.get().alarm.unwrap_or(0) as u32)
    }

    fn disarm(&self) -> Result<(), ErrorCode> {
        let mut deadlines = self.deadlines.get();
        deadlines.alarm = None;
        self.program(deadlines);
        Ok(())
    }

    fn is_armed(&self) -> bool {
        self.deadlines.get().alarm.is_some()
    }

    fn minimum_dt(&self) -> u32 {
        1
    }
}

impl SchedulerTimer for MachineTimer {
    fn start(&self, microseconds: u32) {
        let mut deadlines = self.deadlines.get();
        deadlines.timeslice = Some(self.now_64() + u64::from(microseconds) * TICKS_PER_MICROSECOND);
        deadlines.timeslice_expired = false;
        self.program(deadlines);
    }

    fn reset(&self) {
        let mut deadlines = self.deadlines.get();
        deadlines.timeslice = None;
        deadlines.timeslice_expired = false;
        self.program(deadlines);
    }

    // The timer interrupt stays enabled in `mie` for good: it only ends a
    // process's turn or wakes `wfi`, since the kernel runs with interrupts
    // globally off. So arming and disarming cost nothing.
    fn arm(&self) {}

    fn disarm(&self) {}

    fn remaining_microseconds(&self) -> Option<u32> {
        // Called after every system call, so no 64-bit division: a
        // timeslice is far shorter than 2^31 ticks, so the low words and
        // a wrapping difference suffice.
        let deadlines = self.deadlines.get();
        if deadlines.timeslice_expired {
            return None;
        }
        let deadline = deadlines.timeslice? as u32;
        remaining_microseconds(deadline, self.registers.mtime_low.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_deadlines_survive_wrapping_and_past_times() {
        assert_eq!(deadline_for(100, 50, 120), 150);
        assert_eq!(deadline_for(100, 50, 200), 200, "passed: fire at once");
        let now = (1u64 << 32) + 5; // low word wrapped to 5
        assert_eq!(deadline_for(u32::MAX - 10, 30, now), now + 14);
    }

    #[test]
    fn remaining_time_wraps_and_expires() {
        assert_eq!(remaining_microseconds(1000, 500), Some(50));
        assert_eq!(remaining_microseconds(1000, 1000), None);
        assert_eq!(remaining_microseconds(1000, 1001), None);
        assert_eq!(remaining_microseconds(5, u32::MAX - 14), Some(2));
    }

    #[test]
    fn the_alarm_count_wraps_15_seconds_after_reset() {
        assert_eq!(alarm_count(0), 0xF70F_2E80);
        let at_wrap = SECONDS_BEFORE_WRAP * FREQUENCY;
        assert_eq!(alarm_count(at_wrap - 1), u32::MAX);
        assert_eq!(alarm_count(at_wrap), 0);
        assert_eq!(hardware_count(alarm_count(12345)), 12345);
    }

    #[test]
    fn an_alarm_set_across_the_count_wrap_fires_at_the_right_hardware_time() {
        // 5 ticks before the alarm count wraps, an alarm 20 ticks on.
        let now = u64::from(SECONDS_BEFORE_WRAP * FREQUENCY - 5);
        let reference = alarm_count(now as u32);
        assert_eq!(reference, u32::MAX - 4);
        let deadline = deadline_for(hardware_count(reference), 20, now);
        assert_eq!(deadline, now + 20);
        assert_eq!(alarm_count(deadline as u32), 15, "the count wrapped");
    }

    #[test]
    fn compare_value_is_the_earlier_deadline() {
        let mut deadlines = Deadlines::default();
        assert_eq!(deadlines.compare_value(), u64::MAX);
        deadlines.alarm = Some(500);
        deadlines.timeslice = Some(300);
        assert_eq!(deadlines.compare_value(), 300);
        let expired = deadlines.expire(300);
        assert_eq!(
            expired,
            Expired {
                alarm: false,
                timeslice: true
            }
        );
        assert!(deadlines.timeslice_expired);
        assert_eq!(deadlines.compare_value(), 500);
        assert_eq!(deadlines.expire(499), Expired::default());
        assert_eq!(
            deadlines.expire(600),
            Expired {
                alarm: true,
                timeslice: false
            }
        );
        assert_eq!(deadlines.compare_value(), u64::MAX);
    }
}
