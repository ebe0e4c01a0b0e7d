//! Wall-clock date and time: a real-time clock read and set as a calendar
//! date (the shape of upstream Tock's date-time HIL, which its date-time
//! driver 0x90007 serves to apps).
//!
//! Split-phase like every HIL here: [`DateTime::get_date_time`] and
//! [`DateTime::set_date_time`] start an operation and the client hears the
//! outcome later, never from inside the call.
//!
//! The conversions between Unix seconds and the proleptic Gregorian
//! calendar (UTC, no leap seconds) are pure and tested on the host: a
//! clock that counts seconds since 1970 (QEMU's goldfish RTC) uses them.

use kernel_abi::ErrorCode;

/// Day of the week, Sunday first (upstream numbers them 0..=6 so).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayOfWeek {
    /// 0.
    Sunday,
    /// 1.
    Monday,
    /// 2.
    Tuesday,
    /// 3.
    Wednesday,
    /// 4.
    Thursday,
    /// 5.
    Friday,
    /// 6.
    Saturday,
}

impl DayOfWeek {
    const ALL: [DayOfWeek; 7] = [
        DayOfWeek::Sunday,
        DayOfWeek::Monday,
        DayOfWeek::Tuesday,
        DayOfWeek::Wednesday,
        DayOfWeek::Thursday,
        DayOfWeek::Friday,
        DayOfWeek::Saturday,
    ];

    /// The day numbered `number` (Sunday 0), or `None` past Saturday (6).
    pub fn from_number(number: u32) -> Option<Self> {
        Self::ALL.get(number as usize).copied()
    }

    /// Sunday 0 .. Saturday 6.
    pub fn number(self) -> u32 {
        self as u32
    }
}

/// Month of the year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Month {
    /// 1.
    January,
    /// 2.
    February,
    /// 3.
    March,
    /// 4.
    April,
    /// 5.
    May,
    /// 6.
    June,
    /// 7.
    July,
    /// 8.
    August,
    /// 9.
    September,
    /// 10.
    October,
    /// 11.
    November,
    /// 12.
    December,
}

impl Month {
    const ALL: [Month; 12] = [
        Month::January,
        Month::February,
        Month::March,
        Month::April,
        Month::May,
        Month::June,
        Month::July,
        Month::August,
        Month::September,
        Month::October,
        Month::November,
        Month::December,
    ];

    /// The month numbered `number` (January 1), or `None`.
    pub fn from_number(number: u32) -> Option<Self> {
        number
            .checked_sub(1)
            .and_then(|index| Self::ALL.get(index as usize).copied())
    }

    /// January 1 .. December 12.
    pub fn number(self) -> u32 {
        self as u32 + 1
    }
}

/// A moment as a calendar date and a time of day (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTimeValues {
    /// The year, e.g. 2026.
    pub year: u16,
    /// The month.
    pub month: Month,
    /// Day of the month, from 1.
    pub day: u8,
    /// Day of the week.
    pub day_of_week: DayOfWeek,
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=59.
    pub seconds: u8,
}

/// Days from 1970-01-01 to `year`-`month`-`day` (negative before it), by
/// shifting the year to start in March so that February's leap day is the
/// last day of its year.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date (year, month 1..=12, day 1..=31) of `days` since
/// 1970-01-01: the inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// How many days `month` of `year` has.
pub fn days_in_month(year: u32, month: Month) -> u8 {
    match month {
        Month::February if is_leap_year(year) => 29,
        Month::February => 28,
        Month::April | Month::June | Month::September | Month::November => 30,
        _ => 31,
    }
}

impl DateTimeValues {
    /// The moment `seconds` after 1970-01-01 00:00:00 UTC. Years past
    /// 65535 do not fit: `None`.
    pub fn from_unix_seconds(seconds: u64) -> Option<Self> {
        let days = i64::try_from(seconds / 86_400).ok()?;
        let second_of_day = (seconds % 86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Some(DateTimeValues {
            year: u16::try_from(year).ok()?,
            month: Month::from_number(month)?,
            day: day as u8,
            // 1970-01-01 was a Thursday.
            day_of_week: DayOfWeek::from_number(((days + 4) % 7) as u32)?,
            hour: (second_of_day / 3600) as u8,
            minute: (second_of_day / 60 % 60) as u8,
            seconds: (second_of_day % 60) as u8,
        })
    }

    /// Seconds since 1970-01-01 00:00:00 UTC; `None` before 1970.
    pub fn to_unix_seconds(&self) -> Option<u64> {
        let days = days_from_civil(
            i64::from(self.year),
            self.month.number(),
            u32::from(self.day),
        );
        let seconds = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.seconds);
        u64::try_from(seconds).ok()
    }

    /// Whether every field is in range: the day exists in its month, the
    /// time of day is below 24:00:00. (The day of the week is not checked
    /// against the date: a clock keeps what it is given.)
    pub fn is_valid(&self) -> bool {
        self.day >= 1
            && self.day <= days_in_month(u32::from(self.year), self.month)
            && self.hour < 24
            && self.minute < 60
            && self.seconds < 60
    }
}

/// Told when a read or a set finishes.
pub trait DateTimeClient {
    /// The date and time read, or why it could not be.
    fn get_date_time_done(&self, result: Result<DateTimeValues, ErrorCode>);
    /// The clock was set, or why it was not.
    fn set_date_time_done(&self, result: Result<(), ErrorCode>);
}

/// A real-time clock.
pub trait DateTime<'a> {
    /// Who is told.
    fn set_client(&self, client: &'a dyn DateTimeClient);
    /// Start reading the clock; [`DateTimeClient::get_date_time_done`]
    /// follows. BUSY while another operation is under way.
    fn get_date_time(&self) -> Result<(), ErrorCode>;
    /// Start setting the clock to `date_time` (INVAL if it is not
    /// [valid](DateTimeValues::is_valid)); [`DateTimeClient::set_date_time_done`]
    /// follows. BUSY while another operation is under way.
    fn set_date_time(&self, date_time: DateTimeValues) -> Result<(), ErrorCode>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(year: u16, month: u32, day: u8, hour: u8, minute: u8, seconds: u8) -> DateTimeValues {
        let days = days_from_civil(i64::from(year), month, u32::from(day));
        DateTimeValues {
            year,
            month: Month::from_number(month).unwrap(),
            day,
            day_of_week: DayOfWeek::from_number((days + 4).rem_euclid(7) as u32).unwrap(),
            hour,
            minute,
            seconds,
        }
    }

    #[test]
    fn the_epoch_is_a_thursday_at_midnight() {
        let epoch = DateTimeValues::from_unix_seconds(0).unwrap();
        assert_eq!(epoch, values(1970, 1, 1, 0, 0, 0));
        assert_eq!(epoch.day_of_week, DayOfWeek::Thursday);
    }

    #[test]
    fn known_moments_convert_both_ways() {
        // RFC 6238's test times, and a leap day.
        for (seconds, expected) in [
            (59, values(1970, 1, 1, 0, 0, 59)),
            (1_111_111_109, values(2005, 3, 18, 1, 58, 29)),
            (1_234_567_890, values(2009, 2, 13, 23, 31, 30)),
            (2_000_000_000, values(2033, 5, 18, 3, 33, 20)),
            (20_000_000_000, values(2603, 10, 11, 11, 33, 20)),
            (951_782_400, values(2000, 2, 29, 0, 0, 0)),
        ] {
            let converted = DateTimeValues::from_unix_seconds(seconds).unwrap();
            assert_eq!(converted, expected, "{seconds}");
            assert_eq!(converted.to_unix_seconds(), Some(seconds));
        }
        assert_eq!(values(2009, 2, 13, 0, 0, 0).day_of_week, DayOfWeek::Friday);
    }

    #[test]
    fn every_day_for_eight_centuries_round_trips() {
        let mut previous = None;
        for days in -200_000..120_000 {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
            if let Some((previous_year, previous_month, _)) = previous {
                assert!(year == previous_year || year == previous_year + 1);
                assert!(month == previous_month || month == previous_month % 12 + 1);
            }
            previous = Some((year, month, day));
        }
    }

    #[test]
    fn validity_knows_month_lengths_and_leap_years() {
        assert!(values(2024, 2, 29, 23, 59, 59).is_valid());
        assert!(!values(2023, 2, 29, 0, 0, 0).is_valid());
        assert!(!values(1900, 2, 29, 0, 0, 0).is_valid());
        assert!(values(2000, 2, 29, 0, 0, 0).is_valid());
        assert!(!values(2026, 4, 31, 0, 0, 0).is_valid());
        assert!(!values(2026, 1, 0, 0, 0, 0).is_valid());
        assert!(!values(2026, 1, 1, 24, 0, 0).is_valid());
        assert!(!values(2026, 1, 1, 0, 60, 0).is_valid());
        assert!(!values(2026, 1, 1, 0, 0, 60).is_valid());
    }

    #[test]
    fn numbers_follow_upstreams_encoding() {
        assert_eq!(Month::from_number(0), None);
        assert_eq!(Month::from_number(13), None);
        assert_eq!(Month::from_number(12).map(Month::number), Some(12));
        assert_eq!(DayOfWeek::from_number(7), None);
        assert_eq!(DayOfWeek::Saturday.number(), 6);
    }

    #[test]
    fn before_1970_has_no_unix_seconds() {
        assert_eq!(values(1969, 12, 31, 23, 59, 59).to_unix_seconds(), None);
    }
}
