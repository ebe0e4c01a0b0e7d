//! Time and alarms over a free-running 32-bit tick counter (wrapping).

use kernel_abi::ErrorCode;

/// A free-running counter.
pub trait Time {
    /// Ticks per second.
    fn frequency(&self) -> u32;
    /// The current tick count (wraps).
    fn now(&self) -> u32;
}

/// Told when an alarm fires.
pub trait AlarmClient {
    /// The alarm's time has come.
    fn alarm(&self);
}

/// One hardware alarm.
pub trait Alarm<'a>: Time {
    /// Who is told when it fires.
    fn set_alarm_client(&self, client: &'a dyn AlarmClient);
    /// Fire at `reference + dt` (wrapping). If that time has already
    /// passed, fire as soon as possible (from an interrupt, not from here).
    fn set_alarm(&self, reference: u32, dt: u32);
    /// The tick count it fires at.
    fn get_alarm(&self) -> u32;
    /// Stop it.
    fn disarm(&self) -> Result<(), ErrorCode>;
    /// True while set.
    fn is_armed(&self) -> bool;
    /// The smallest `dt` the hardware honours reliably.
    fn minimum_dt(&self) -> u32;
}

/// True if `now` is at or past `reference + dt`, with wrapping arithmetic
/// (valid while the distance is under half the counter range).
pub fn has_expired(reference: u32, dt: u32, now: u32) -> bool {
    now.wrapping_sub(reference) >= dt
}

#[cfg(test)]
mod tests {
    use super::has_expired;

    #[test]
    fn expiry_survives_wrapping() {
        assert!(!has_expired(u32::MAX - 5, 10, u32::MAX));
        assert!(has_expired(u32::MAX - 5, 10, 4));
        assert!(has_expired(100, 0, 100));
    }
}
