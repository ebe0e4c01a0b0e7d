//! Date and time (driver 0x90007, upstream's date-time interface; libtock-c
//! calls it `rtc`) over the date-time HIL.
//!
//! - command 0: the driver exists
//! - command 1: read the clock; upcall 0 gets (status, date, time)
//! - command 2 (date, time): set the clock; upcall 0 gets (status, 0, 0)
//! - subscribe 0: the upcall of both; status is 0 or an error code
//!
//! `date` and `time` pack the calendar as upstream does:
//!
//! ```text
//!  date: bits 20..9 year, 8..5 month (1..=12), 4..0 day of the month
//!  time: bits 19..17 day of the week (Sunday 0), 16..12 hour,
//!        11..6 minute, 5..0 second
//! ```
//!
//! Any number of processes may read at once: one reading of the clock
//! answers all of them. A set while any operation is under way, or a read
//! while a set is, is refused with BUSY.

use core::cell::Cell;

use kernel::grant::Grant;
use kernel::hil::date_time::{DateTime, DateTimeClient, DateTimeValues, DayOfWeek, Month};
use kernel::{CommandReturn, ErrorCode, ProcessId};
use kernel_abi::StatusCode;

/// What a process waits for.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Waiting {
    #[default]
    Nothing,
    Read,
    Set,
}

/// Per-process state: the operation whose upcall it waits for.
#[derive(Default)]
pub struct DateTimeRequest {
    waiting: Waiting,
}

/// The grant this driver needs: one upcall, no buffers.
pub type DateTimeGrant = Grant<DateTimeRequest, 1, 0, 0>;

/// `values` as upstream's (date, time) pair.
pub fn pack(values: &DateTimeValues) -> (u32, u32) {
    let date = (u32::from(values.year) << 9) | (values.month.number() << 5) | u32::from(values.day);
    let time = (values.day_of_week.number() << 17)
        | (u32::from(values.hour) << 12)
        | (u32::from(values.minute) << 6)
        | u32::from(values.seconds);
    (date, time)
}

/// Upstream's (date, time) pair as values; `None` if a month or a day of
/// the week is out of range (the rest is checked by the clock).
pub fn unpack(date: u32, time: u32) -> Option<DateTimeValues> {
    Some(DateTimeValues {
        year: ((date >> 9) & 0xfff) as u16,
        month: Month::from_number((date >> 5) & 0xf)?,
        day: (date & 0x1f) as u8,
        day_of_week: DayOfWeek::from_number((time >> 17) & 0x7)?,
        hour: ((time >> 12) & 0x1f) as u8,
        minute: ((time >> 6) & 0x3f) as u8,
        seconds: (time & 0x3f) as u8,
    })
}

fn status(result: Result<(), ErrorCode>) -> u32 {
    match result {
        Ok(()) => StatusCode::Success.into(),
        Err(error) => StatusCode::Error(error).into(),
    }
}

/// The date-time driver.
pub struct DateTimeDriver<'a> {
    clock: &'a dyn DateTime<'a>,
    grant: DateTimeGrant,
    /// The operation the clock is doing, if any.
    under_way: Cell<Option<Waiting>>,
}

impl<'a> DateTimeDriver<'a> {
    /// A driver over `clock` (set this driver as its client).
    pub fn new(clock: &'a dyn DateTime<'a>, grant: DateTimeGrant) -> Self {
        DateTimeDriver {
            clock,
            grant,
            under_way: Cell::new(None),
        }
    }

    fn wait_for(&self, process: ProcessId, waiting: Waiting) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |request, _| request.waiting = waiting)
            .map_err(ErrorCode::from)
    }

    /// Starts `operation` on the clock for `process`, or joins a read
    /// under way.
    fn begin(
        &self,
        process: ProcessId,
        operation: Waiting,
        start: impl FnOnce() -> Result<(), ErrorCode>,
    ) -> CommandReturn {
        match self.under_way.get() {
            Some(Waiting::Read) if operation == Waiting::Read => {
                return match self.wait_for(process, Waiting::Read) {
                    Ok(()) => CommandReturn::success(),
                    Err(error) => CommandReturn::failure(error),
                };
            }
            Some(_) => return CommandReturn::failure(ErrorCode::Busy),
            None => {}
        }
        if let Err(error) = self.wait_for(process, operation) {
            return CommandReturn::failure(error);
        }
        match start() {
            Ok(()) => {
                self.under_way.set(Some(operation));
                CommandReturn::success()
            }
            Err(error) => {
                let _ = self.wait_for(process, Waiting::Nothing);
                CommandReturn::failure(error)
            }
        }
    }

    /// Schedules `arguments` for every process waiting for `operation`.
    fn answer(&self, operation: Waiting, arguments: (u32, u32, u32)) {
        self.under_way.set(None);
        self.grant.each(|_, request, kernel_data| {
            if request.waiting == operation {
                request.waiting = Waiting::Nothing;
                let _ = kernel_data.schedule_upcall(0, arguments);
            }
        });
    }
}

impl kernel::driver::SyscallDriver for DateTimeDriver<'_> {
    fn command(&self, command: u32, date: u32, time: u32, process: ProcessId) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => self.begin(process, Waiting::Read, || self.clock.get_date_time()),
            2 => match unpack(date, time) {
                Some(values) if values.is_valid() => {
                    self.begin(process, Waiting::Set, || self.clock.set_date_time(values))
                }
                _ => CommandReturn::failure(ErrorCode::Inval),
            },
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl DateTimeClient for DateTimeDriver<'_> {
    fn get_date_time_done(&self, result: Result<DateTimeValues, ErrorCode>) {
        let arguments = match result {
            Ok(values) => {
                let (date, time) = pack(&values);
                (status(Ok(())), date, time)
            }
            Err(error) => (status(Err(error)), 0, 0),
        };
        self.answer(Waiting::Read, arguments);
    }

    fn set_date_time_done(&self, result: Result<(), ErrorCode>) {
        self.answer(Waiting::Set, (status(result), 0, 0));
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use kernel::driver::SyscallDriver;
    use kernel::testing::{TestCapability, TestKernel};
    use std::boxed::Box;

    const DRIVER: u32 = 0x90007;

    /// A clock that records what it was asked; the test finishes each
    /// operation by calling the driver back.
    #[derive(Default)]
    struct FakeClock {
        reads: Cell<u32>,
        set_to: Cell<Option<DateTimeValues>>,
        refuse: Cell<Option<ErrorCode>>,
    }

    impl<'a> DateTime<'a> for FakeClock {
        fn set_client(&self, _client: &'a dyn DateTimeClient) {}
        fn get_date_time(&self) -> Result<(), ErrorCode> {
            self.refuse.get().map_or(Ok(()), Err)?;
            self.reads.set(self.reads.get() + 1);
            Ok(())
        }
        fn set_date_time(&self, values: DateTimeValues) -> Result<(), ErrorCode> {
            self.set_to.set(Some(values));
            Ok(())
        }
    }

    fn driver(test: &TestKernel) -> (&'static FakeClock, DateTimeDriver<'static>) {
        let clock: &'static FakeClock = Box::leak(Box::default());
        let grant = test.kernel.create_grant(DRIVER, &TestCapability);
        (clock, DateTimeDriver::new(clock, grant))
    }

    /// 2009-02-13 23:31:30, a Friday (RFC 6238's time 1234567890).
    fn friday() -> DateTimeValues {
        DateTimeValues::from_unix_seconds(1_234_567_890).unwrap()
    }

    #[test]
    fn packing_follows_upstreams_bit_layout() {
        let (date, time) = pack(&friday());
        assert_eq!(date, (2009 << 9) | (2 << 5) | 13);
        assert_eq!(time, (5 << 17) | (23 << 12) | (31 << 6) | 30);
        assert_eq!(unpack(date, time), Some(friday()));
        assert_eq!(unpack(0, 0), None, "month 0");
        assert_eq!(unpack(1 << 5, 7 << 17), None, "day of the week 7");
    }

    #[test]
    fn one_reading_answers_every_process_that_asked() {
        let test = TestKernel::new(3, 2048);
        let (clock, driver) = driver(&test);
        for index in 0..3 {
            test.subscribe(index, DRIVER, &driver, 0);
        }
        assert_eq!(
            driver.command(0, 0, 0, test.process_id(2)),
            CommandReturn::success()
        );
        assert_eq!(
            driver.command(1, 0, 0, test.process_id(0)),
            CommandReturn::success()
        );
        assert_eq!(
            driver.command(1, 0, 0, test.process_id(1)),
            CommandReturn::success()
        );
        assert_eq!(clock.reads.get(), 1, "the second read joins the first");
        assert!(
            test.take_upcalls(0).is_empty(),
            "nothing before the clock answers"
        );
        driver.get_date_time_done(Ok(friday()));
        let (date, time) = pack(&friday());
        assert_eq!(test.take_upcalls(0)[0].arguments, [0, date, time]);
        assert_eq!(test.take_upcalls(1)[0].arguments, [0, date, time]);
        assert!(test.take_upcalls(2).is_empty(), "process 2 did not ask");
    }

    #[test]
    fn a_failed_reading_reports_its_error_code() {
        let test = TestKernel::new(1, 2048);
        let (_, driver) = driver(&test);
        test.subscribe(0, DRIVER, &driver, 0);
        driver.command(1, 0, 0, test.process_id(0));
        driver.get_date_time_done(Err(ErrorCode::Fail));
        assert_eq!(test.take_upcalls(0)[0].arguments, [1, 0, 0]);
    }

    #[test]
    fn a_clock_that_refuses_leaves_nothing_waiting() {
        let test = TestKernel::new(1, 2048);
        let (clock, driver) = driver(&test);
        test.subscribe(0, DRIVER, &driver, 0);
        clock.refuse.set(Some(ErrorCode::Off));
        assert_eq!(
            driver.command(1, 0, 0, test.process_id(0)),
            CommandReturn::failure(ErrorCode::Off)
        );
        driver.get_date_time_done(Ok(friday()));
        assert!(test.take_upcalls(0).is_empty());
        clock.refuse.set(None);
        assert_eq!(
            driver.command(1, 0, 0, test.process_id(0)),
            CommandReturn::success()
        );
    }

    #[test]
    fn setting_passes_the_date_and_answers_only_the_setter() {
        let test = TestKernel::new(2, 2048);
        let (clock, driver) = driver(&test);
        test.subscribe(0, DRIVER, &driver, 0);
        test.subscribe(1, DRIVER, &driver, 0);
        let (date, time) = pack(&friday());
        assert_eq!(
            driver.command(2, date, time, test.process_id(0)),
            CommandReturn::success()
        );
        assert_eq!(clock.set_to.get(), Some(friday()));
        assert_eq!(
            driver.command(1, 0, 0, test.process_id(1)),
            CommandReturn::failure(ErrorCode::Busy),
            "no read while the clock is being set"
        );
        driver.set_date_time_done(Ok(()));
        assert_eq!(test.take_upcalls(0)[0].arguments, [0, 0, 0]);
        assert!(test.take_upcalls(1).is_empty());
    }

    #[test]
    fn impossible_dates_are_refused_before_the_clock_sees_them() {
        let test = TestKernel::new(1, 2048);
        let (clock, driver) = driver(&test);
        let mut values = friday();
        values.day = 30;
        let (date, time) = pack(&values);
        for (date, time) in [(date, time), (0, 0), (pack(&friday()).0, 24 << 12)] {
            assert_eq!(
                driver.command(2, date, time, test.process_id(0)),
                CommandReturn::failure(ErrorCode::Inval)
            );
        }
        assert_eq!(clock.set_to.get(), None);
    }

    #[test]
    fn unknown_commands_are_not_supported() {
        let test = TestKernel::new(1, 2048);
        let (_, driver) = driver(&test);
        assert_eq!(
            driver.command(3, 0, 0, test.process_id(0)),
            CommandReturn::failure(ErrorCode::NoSupport)
        );
    }
}
