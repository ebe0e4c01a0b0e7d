//! The goldfish real-time clock at 0x101000 on QEMU's virt machine: a
//! 64-bit count of nanoseconds since 1970-01-01 UTC that starts at the
//! host's time (or at `-rtc base=...`), served through the date-time HIL.
//!
//! QEMU's register layout (hw/rtc/goldfish_rtc.c):
//!
//! ```text
//!  0x00 TIME_LOW   read: low 32 bits of the count, and latches the high
//!                  32 bits into TIME_HIGH; write: replaces the low bits
//!  0x04 TIME_HIGH  read: the latched high bits; write: replaces the
//!                  high bits of the running count
//! ```
//!
//! The alarm registers (0x08..) are not used. Both operations act on the
//! registers at once (a read is two loads, a set two stores and a check)
//! and the client is called back from a deferred call, as the HIL wants.

use core::cell::Cell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::date_time::{DateTime, DateTimeClient, DateTimeValues};
use kernel::ErrorCode;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::ReadWrite;

register_structs! {
    /// The time registers of the goldfish RTC.
    pub GoldfishRtcRegisters {
        (0x0 => time_low: ReadWrite<u32>),
        (0x4 => time_high: ReadWrite<u32>),
        (0x8 => @END),
    }
}

const NANOSECONDS_PER_SECOND: u64 = 1_000_000_000;

/// The date and time of a count of nanoseconds since the epoch; FAIL if
/// the count is past what the calendar holds (year 65535).
pub fn date_time_from_nanoseconds(nanoseconds: u64) -> Result<DateTimeValues, ErrorCode> {
    DateTimeValues::from_unix_seconds(nanoseconds / NANOSECONDS_PER_SECOND).ok_or(ErrorCode::Fail)
}

/// The count to write for `date_time`: INVAL for a date that does not
/// exist or lies before 1970.
pub fn nanoseconds_from_date_time(date_time: &DateTimeValues) -> Result<u64, ErrorCode> {
    if !date_time.is_valid() {
        return Err(ErrorCode::Inval);
    }
    date_time
        .to_unix_seconds()
        .and_then(|seconds| seconds.checked_mul(NANOSECONDS_PER_SECOND))
        .ok_or(ErrorCode::Inval)
}

/// What the deferred call delivers.
#[derive(Clone, Copy)]
enum Pending {
    Read,
    Set(Result<(), ErrorCode>),
}

/// The goldfish RTC driver.
pub struct GoldfishRtc {
    registers: &'static GoldfishRtcRegisters,
    deferred_call: Cell<Option<DeferredCall>>,
    client: Cell<Option<&'static dyn DateTimeClient>>,
    pending: Cell<Option<Pending>>,
}

impl GoldfishRtc {
    /// # Safety
    /// A goldfish RTC must be mapped at `base` (0x101000 on virt), and no
    /// other driver may write its registers.
    pub const unsafe fn new(base: usize) -> Self {
        GoldfishRtc {
            // SAFETY: the caller guarantees the device is mapped at `base`;
            // its registers are plain 32-bit MMIO words.
            registers: unsafe { &*(base as *const GoldfishRtcRegisters) },
            deferred_call: Cell::new(None),
            client: Cell::new(None),
            pending: Cell::new(None),
        }
    }

    /// Gives the driver its deferred call, needed by the HIL callbacks.
    pub fn set_deferred_call(&'static self, call: DeferredCall) {
        call.register(self);
        self.deferred_call.set(Some(call));
    }

    /// The count now: TIME_LOW first, since reading it latches TIME_HIGH.
    pub fn nanoseconds(&self) -> u64 {
        let low = self.registers.time_low.get();
        let high = self.registers.time_high.get();
        (u64::from(high) << 32) | u64::from(low)
    }

    /// Sets the count: high half, then low half. The clock runs between
    /// the two stores, so a carry out of the low half in that gap would
    /// leave the high half one too far: read back and store again if so.
    fn write_nanoseconds(&self, nanoseconds: u64) -> Result<(), ErrorCode> {
        let (high, low) = ((nanoseconds >> 32) as u32, nanoseconds as u32);
        for _ in 0..2 {
            self.registers.time_high.set(high);
            self.registers.time_low.set(low);
            if (self.nanoseconds() >> 32) as u32 == high {
                return Ok(());
            }
        }
        Err(ErrorCode::Fail)
    }

    /// The deferred call, if no operation is under way.
    fn idle_call(&self) -> Result<DeferredCall, ErrorCode> {
        let call = self.deferred_call.get().ok_or(ErrorCode::Off)?;
        if self.pending.get().is_some() {
            return Err(ErrorCode::Busy);
        }
        Ok(call)
    }
}

impl DateTime<'static> for GoldfishRtc {
    fn set_client(&self, client: &'static dyn DateTimeClient) {
        self.client.set(Some(client));
    }

    fn get_date_time(&self) -> Result<(), ErrorCode> {
        let call = self.idle_call()?;
        self.pending.set(Some(Pending::Read));
        call.set();
        Ok(())
    }

    fn set_date_time(&self, date_time: DateTimeValues) -> Result<(), ErrorCode> {
        let nanoseconds = nanoseconds_from_date_time(&date_time)?;
        let call = self.idle_call()?;
        self.pending
            .set(Some(Pending::Set(self.write_nanoseconds(nanoseconds))));
        call.set();
        Ok(())
    }
}

impl DeferredCallClient for GoldfishRtc {
    fn handle_deferred_call(&self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        let Some(client) = self.client.get() else {
            return;
        };
        match pending {
            Pending::Read => {
                client.get_date_time_done(date_time_from_nanoseconds(self.nanoseconds()))
            }
            Pending::Set(result) => client.set_date_time_done(result),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use kernel::deferred_call::DeferredCalls;
    use kernel::hil::date_time::{DayOfWeek, Month};
    use std::boxed::Box;

    /// Stands in for the device: plain memory, so the count holds still.
    fn rtc_over_memory() -> (&'static GoldfishRtc, &'static DeferredCalls) {
        let memory: &'static mut [u32; 2] = Box::leak(Box::new([0; 2]));
        let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
        // SAFETY: `memory` is two aligned words that live for ever and that
        // only this driver touches: the register block's layout.
        let rtc = Box::leak(Box::new(unsafe {
            GoldfishRtc::new(memory.as_mut_ptr() as usize)
        }));
        rtc.set_deferred_call(calls.allocate());
        (rtc, calls)
    }

    #[derive(Default)]
    struct Recorder {
        read: Cell<Option<Result<DateTimeValues, ErrorCode>>>,
        set: Cell<Option<Result<(), ErrorCode>>>,
    }

    impl DateTimeClient for Recorder {
        fn get_date_time_done(&self, result: Result<DateTimeValues, ErrorCode>) {
            self.read.set(Some(result));
        }
        fn set_date_time_done(&self, result: Result<(), ErrorCode>) {
            self.set.set(Some(result));
        }
    }

    fn date(seconds: u64) -> DateTimeValues {
        DateTimeValues::from_unix_seconds(seconds).unwrap()
    }

    #[test]
    fn a_set_count_reads_back_as_its_date_after_the_deferred_call() {
        let (rtc, calls) = rtc_over_memory();
        let client: &'static Recorder = Box::leak(Box::default());
        rtc.set_client(client);
        // 2033-05-18 03:33:20: the count needs both halves.
        assert_eq!(rtc.set_date_time(date(2_000_000_000)), Ok(()));
        assert_eq!(client.set.get(), None, "never from inside the call");
        assert!(calls.service_next());
        assert_eq!(client.set.get(), Some(Ok(())));
        assert_eq!(rtc.nanoseconds(), 2_000_000_000 * NANOSECONDS_PER_SECOND);
        assert_eq!(rtc.get_date_time(), Ok(()));
        assert_eq!(rtc.get_date_time(), Err(ErrorCode::Busy));
        assert!(calls.service_next());
        let read = client.read.get().unwrap().unwrap();
        assert_eq!((read.year, read.month, read.day), (2033, Month::May, 18));
        assert_eq!((read.hour, read.minute, read.seconds), (3, 33, 20));
        assert_eq!(read.day_of_week, DayOfWeek::Wednesday);
    }

    #[test]
    fn an_impossible_date_is_refused_and_nothing_is_written() {
        let (rtc, calls) = rtc_over_memory();
        let mut bad = date(0);
        bad.month = Month::February;
        bad.day = 30;
        assert_eq!(rtc.set_date_time(bad), Err(ErrorCode::Inval));
        assert!(!calls.has_pending());
        assert_eq!(rtc.nanoseconds(), 0);
    }

    #[test]
    fn nanoseconds_round_down_to_whole_seconds() {
        let date = date_time_from_nanoseconds(59 * NANOSECONDS_PER_SECOND + 999_999_999).unwrap();
        assert_eq!((date.minute, date.seconds), (0, 59));
        assert_eq!(
            date_time_from_nanoseconds(u64::MAX),
            Ok(DateTimeValues::from_unix_seconds(u64::MAX / NANOSECONDS_PER_SECOND).unwrap())
        );
    }

    #[test]
    fn without_a_deferred_call_the_clock_is_off() {
        // SAFETY: never dereferenced: the call fails before any access.
        let rtc = unsafe { GoldfishRtc::new(0x1000) };
        assert_eq!(rtc.get_date_time(), Err(ErrorCode::Off));
    }
}
