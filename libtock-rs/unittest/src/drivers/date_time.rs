//! Fake real-time clock (driver 0x90007, upstream's date-time interface):
//! holds a packed (date, time) pair that the test sets and the app reads
//! or sets.

use super::status;
use crate::{schedule_upcall, Driver, Slots};
use libtock_platform::{CommandReturn, DriverNumber, ErrorCode};
use std::cell::Cell;

const NUMBER: u32 = DriverNumber::DATE_TIME.0;

/// A clock standing still at the date the test gives it (1970-01-01, a
/// Thursday, at first). Reads and sets finish at once.
pub struct DateTime {
    packed: Cell<(u32, u32)>,
    failure: Cell<Option<ErrorCode>>,
}

impl Default for DateTime {
    fn default() -> Self {
        Self::new()
    }
}

fn pack(fields: [u32; 7]) -> (u32, u32) {
    let [year, month, day, day_of_week, hour, minute, second] = fields;
    (
        (year << 9) | (month << 5) | day,
        (day_of_week << 17) | (hour << 12) | (minute << 6) | second,
    )
}

/// Whether the packed pair names a real moment: the kernel's check.
fn is_valid((date, time): (u32, u32)) -> bool {
    let (year, month, day) = (date >> 9 & 0xfff, date >> 5 & 0xf, date & 0x1f);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    };
    (1..=days).contains(&day)
        && (time >> 17 & 0x7) < 7
        && (time >> 12 & 0x1f) < 24
        && (time >> 6 & 0x3f) < 60
        && (time & 0x3f) < 60
}

impl DateTime {
    /// A clock at 1970-01-01 00:00:00.
    pub fn new() -> DateTime {
        DateTime {
            packed: Cell::new(pack([1970, 1, 1, 4, 0, 0, 0])),
            failure: Cell::new(None),
        }
    }

    /// Moves the clock (the day of the week is taken as given).
    #[allow(clippy::too_many_arguments, reason = "one argument per calendar field")]
    pub fn set_date(
        &self,
        year: u32,
        month: u32,
        day: u32,
        day_of_week: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) {
        self.packed
            .set(pack([year, month, day, day_of_week, hour, minute, second]));
    }

    /// The next read or set ends with `error` in its upcall.
    pub fn fail_next(&self, error: ErrorCode) {
        self.failure.set(Some(error));
    }
}

impl Driver for DateTime {
    fn number(&self) -> u32 {
        NUMBER
    }
    fn slots(&self) -> Slots {
        Slots {
            upcalls: 1,
            allow_ro: 0,
            allow_rw: 0,
            allow_userspace_readable: 0,
        }
    }
    fn command(&self, command: u32, date: u32, time: u32) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => {
                let arguments = match self.failure.take() {
                    Some(error) => (status(Err(error)), 0, 0),
                    None => (0, self.packed.get().0, self.packed.get().1),
                };
                schedule_upcall(NUMBER, 0, arguments);
                CommandReturn::success()
            }
            2 if !is_valid((date, time)) => CommandReturn::failure(ErrorCode::Inval),
            2 => {
                let result = match self.failure.take() {
                    Some(error) => Err(error),
                    None => {
                        self.packed.set((date, time));
                        Ok(())
                    }
                };
                schedule_upcall(NUMBER, 0, (status(result), 0, 0));
                CommandReturn::success()
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
