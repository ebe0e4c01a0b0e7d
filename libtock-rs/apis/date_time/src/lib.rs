//! Date and time (driver 0x90007, upstream's date-time interface, which
//! libtock-c calls `rtc`): read and set the board's real-time clock as a
//! calendar date, and turn a date into Unix seconds in the app.
//!
//! The kernel answers with upstream's packed pair:
//!
//! ```text
//!  date: bits 20..9 year, 8..5 month (1..=12), 4..0 day of the month
//!  time: bits 19..17 day of the week (Sunday 0), 16..12 hour,
//!        11..6 minute, 5..0 second
//! ```
//!
//! Guarantees: a date handed back has a month in 1..=12 and a day of the
//! week in 0..=6 (anything else is [`ErrorCode::Fail`]); [`Date::unix_seconds`]
//! is exact for every date from 1970 on (proleptic Gregorian, UTC, no leap
//! seconds), the time TOTP (RFC 6238) counts.
//! Must never: panic on what the kernel returns.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::marker::PhantomData;
use libtock_platform::share::scope;
use libtock_platform::{
    status_from_upcall, wait_for_upcall, DriverNumber, ErrorCode, Subscribe, Syscalls,
};

/// The date-time driver number.
pub const DRIVER_NUM: u32 = DriverNumber::DATE_TIME.0;

/// Command numbers.
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// Read the clock; the upcall gets (status, date, time).
    pub const READ: u32 = 1;
    /// Set the clock to (`argument0` date, `argument1` time).
    pub const SET: u32 = 2;
}

/// Subscribe number of the upcall that ends a read or a set.
pub const SUBSCRIBE_NUM: u32 = 0;

/// A calendar date and time of day (UTC on boards whose clock is UTC,
/// such as QEMU's goldfish RTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    /// The year, e.g. 2026 (12 bits: up to 4095).
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// Day of the month, from 1.
    pub day: u8,
    /// Sunday 0 .. Saturday 6.
    pub day_of_week: u8,
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=59.
    pub second: u8,
}

/// Days from 1970-01-01 to the civil date (negative before it): the year
/// is shifted to start in March, so a leap day ends its year.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let day_of_year = (153 * ((i64::from(month) + 9) % 12) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

impl Date {
    /// The date from upstream's packed pair; `None` if the month or the day
    /// of the week is out of range.
    pub fn unpack(date: u32, time: u32) -> Option<Date> {
        let unpacked = Date {
            year: ((date >> 9) & 0xfff) as u16,
            month: ((date >> 5) & 0xf) as u8,
            day: (date & 0x1f) as u8,
            day_of_week: ((time >> 17) & 0x7) as u8,
            hour: ((time >> 12) & 0x1f) as u8,
            minute: ((time >> 6) & 0x3f) as u8,
            second: (time & 0x3f) as u8,
        };
        ((1..=12).contains(&unpacked.month) && unpacked.day_of_week < 7).then_some(unpacked)
    }

    /// Upstream's packed (date, time) pair.
    pub fn pack(&self) -> (u32, u32) {
        let date = (u32::from(self.year) << 9) | (u32::from(self.month) << 5) | u32::from(self.day);
        let time = (u32::from(self.day_of_week) << 17)
            | (u32::from(self.hour) << 12)
            | (u32::from(self.minute) << 6)
            | u32::from(self.second);
        (date, time)
    }

    /// Seconds since 1970-01-01 00:00:00; `None` before 1970.
    pub fn unix_seconds(&self) -> Option<u64> {
        let days = days_from_civil(
            i64::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        );
        let seconds = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        u64::try_from(seconds).ok()
    }
}

/// The real-time clock, over the system calls `S`.
pub struct DateTime<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> DateTime<S> {
    /// `Ok` if the kernel has a real-time clock.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// Runs `command` and waits for its upcall; its (date, time).
    fn request(command: u32, date: u32, time: u32) -> Result<(u32, u32), ErrorCode> {
        let done: Cell<Option<(u32, u32, u32)>> = Cell::new(None);
        scope::<Subscribe<S, DRIVER_NUM, SUBSCRIBE_NUM>, _, _>(|handle| {
            S::subscribe(handle, &done)?;
            S::command(DRIVER_NUM, command, date, time).to_result::<()>()?;
            let (status, date, time) = wait_for_upcall::<S, _>(&done);
            status_from_upcall(status)?;
            Ok((date, time))
        })
    }

    /// The date and time now.
    pub fn read() -> Result<Date, ErrorCode> {
        let (date, time) = Self::request(command::READ, 0, 0)?;
        Date::unpack(date, time).ok_or(ErrorCode::Fail)
    }

    /// Sets the clock (INVAL for a date that does not exist).
    pub fn set(date: &Date) -> Result<(), ErrorCode> {
        let (date, time) = date.pack();
        Self::request(command::SET, date, time).map(|_| ())
    }

    /// Seconds since 1970-01-01 00:00:00 now; FAIL before 1970.
    pub fn unix_seconds() -> Result<u64, ErrorCode> {
        Self::read()?.unix_seconds().ok_or(ErrorCode::Fail)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
    use std::rc::Rc;

    type DateTime = super::DateTime<Fake>;

    fn date(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Date {
        Date {
            year,
            month,
            day,
            day_of_week: 0,
            hour,
            minute,
            second,
        }
    }

    #[test]
    fn rfc_6238_times_are_the_unix_seconds_of_their_dates() {
        // RFC 6238 appendix B: each time with its UTC date.
        for (date, seconds) in [
            (date(1970, 1, 1, 0, 0, 59), 59),
            (date(2005, 3, 18, 1, 58, 29), 1_111_111_109),
            (date(2005, 3, 18, 1, 58, 31), 1_111_111_111),
            (date(2009, 2, 13, 23, 31, 30), 1_234_567_890),
            (date(2033, 5, 18, 3, 33, 20), 2_000_000_000),
            (date(2603, 10, 11, 11, 33, 20), 20_000_000_000),
        ] {
            assert_eq!(date.unix_seconds(), Some(seconds), "{date:?}");
        }
        assert_eq!(date(2000, 2, 29, 0, 0, 0).unix_seconds(), Some(951_782_400));
        assert_eq!(date(1969, 12, 31, 23, 59, 59).unix_seconds(), None);
    }

    #[test]
    fn packing_follows_upstreams_bit_layout() {
        let friday = Date {
            day_of_week: 5,
            ..date(2009, 2, 13, 23, 31, 30)
        };
        let (packed_date, packed_time) = friday.pack();
        assert_eq!(packed_date, (2009 << 9) | (2 << 5) | 13);
        assert_eq!(packed_time, (5 << 17) | (23 << 12) | (31 << 6) | 30);
        assert_eq!(Date::unpack(packed_date, packed_time), Some(friday));
        assert_eq!(Date::unpack(13 << 5, 0), None, "month 13");
        assert_eq!(Date::unpack(1 << 5, 7 << 17), None, "day of the week 7");
    }

    #[test]
    fn read_gives_the_clocks_date_and_its_unix_seconds() {
        let kernel = Kernel::new();
        let clock = Rc::new(drivers::DateTime::new());
        kernel.add_driver(&clock);
        assert_eq!(DateTime::exists(), Ok(()));
        clock.set_date(2033, 5, 18, 3, 3, 33, 20);
        let read = DateTime::read().unwrap();
        assert_eq!((read.year, read.month, read.day), (2033, 5, 18));
        assert_eq!(
            (read.day_of_week, read.hour, read.minute, read.second),
            (3, 3, 33, 20)
        );
        assert_eq!(DateTime::unix_seconds(), Ok(2_000_000_000));
    }

    #[test]
    fn set_moves_the_clock() {
        let kernel = Kernel::new();
        let clock = Rc::new(drivers::DateTime::new());
        kernel.add_driver(&clock);
        let target = Date {
            day_of_week: 5,
            ..date(2009, 2, 13, 23, 31, 30)
        };
        assert_eq!(DateTime::set(&target), Ok(()));
        assert_eq!(DateTime::read(), Ok(target));
        let impossible = date(2009, 2, 30, 0, 0, 0);
        assert_eq!(DateTime::set(&impossible), Err(ErrorCode::Inval));
    }

    #[test]
    fn errors_are_returned() {
        let kernel = Kernel::new();
        assert_eq!(DateTime::read(), Err(ErrorCode::NoDevice));
        let clock = Rc::new(drivers::DateTime::new());
        kernel.add_driver(&clock);
        clock.fail_next(ErrorCode::Fail);
        assert_eq!(DateTime::read(), Err(ErrorCode::Fail));
        clock.set_date(1969, 12, 31, 3, 23, 59, 59);
        assert_eq!(DateTime::unix_seconds(), Err(ErrorCode::Fail));
        let read = SyscallMatch::Command {
            driver: DRIVER_NUM,
            command: command::READ,
        };
        kernel.inject_failure(read, ErrorCode::Busy);
        assert_eq!(DateTime::read(), Err(ErrorCode::Busy));
    }
}
