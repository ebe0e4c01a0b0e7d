//! RTC1: the 32-bit time over the 24-bit counter and the alarm's compare.

use core::cell::Cell;

use kernel::hil::time::{Alarm, AlarmClient, Time};

use super::FakeRegisters;
use crate::rtc::{Rtc, COUNTER_MASK};

const OVERFLOW: usize = 0x104;
const COMPARE0: usize = 0x140;
const COUNTER: usize = 0x504;
const COMPARE_VALUE0: usize = 0x540;

#[derive(Default)]
struct Fired(Cell<u32>);

impl AlarmClient for Fired {
    fn alarm(&self) {
        self.0.set(self.0.get() + 1);
    }
}

fn rtc() -> (FakeRegisters, &'static Rtc, &'static Fired) {
    let registers = FakeRegisters::new(0x544);
    // SAFETY: the fake block is as large as RTC's registers, zeroed, and
    // used by this driver only.
    let rtc: &'static Rtc = Box::leak(Box::new(unsafe { Rtc::new(registers.base()) }));
    let fired: &'static Fired = Box::leak(Box::default());
    rtc.set_alarm_client(fired);
    rtc.start();
    (registers, rtc, fired)
}

#[test]
fn overflows_extend_the_counter_whether_counted_or_pending() {
    let (registers, rtc, _) = rtc();
    registers.set(COUNTER, 100);
    assert_eq!(rtc.now(), 100);
    registers.set(OVERFLOW, 1);
    assert_eq!(rtc.now(), 0x0100_0064, "a pending overflow counts");
    rtc.handle_interrupt();
    assert_eq!(registers.get(OVERFLOW), 0);
    assert_eq!(rtc.now(), 0x0100_0064, "and is counted once");
}

#[test]
fn an_alarm_fires_once_at_its_time_and_not_before() {
    let (registers, rtc, fired) = rtc();
    registers.set(COUNTER, 100);
    rtc.set_alarm(100, 50);
    assert!(rtc.is_armed());
    assert_eq!(rtc.get_alarm(), 150);
    assert_eq!(registers.get(COMPARE_VALUE0), 150);
    // A compare event before the time (a stale one): re-aimed, not fired.
    registers.set(COUNTER, 120);
    registers.set(COMPARE0, 1);
    rtc.handle_interrupt();
    assert_eq!(fired.0.get(), 0);
    assert_eq!(registers.get(COMPARE_VALUE0), 150);
    registers.set(COUNTER, 150);
    registers.set(COMPARE0, 1);
    rtc.handle_interrupt();
    assert_eq!(fired.0.get(), 1);
    assert!(!rtc.is_armed());
    registers.set(COMPARE0, 1);
    rtc.handle_interrupt();
    assert_eq!(fired.0.get(), 1, "a disarmed alarm stays quiet");
}

#[test]
fn a_far_alarm_wakes_half_a_wrap_ahead_first() {
    let (registers, rtc, fired) = rtc();
    registers.set(COUNTER, 10);
    rtc.set_alarm(10, 3 * COUNTER_MASK);
    assert_eq!(registers.get(COMPARE_VALUE0), 10 + (1 << 23));
    registers.set(COUNTER, 10 + (1 << 23));
    registers.set(COMPARE0, 1);
    rtc.handle_interrupt();
    assert_eq!(fired.0.get(), 0);
    assert_eq!(
        registers.get(COMPARE_VALUE0),
        (10 + (1 << 24)) & COUNTER_MASK,
        "the next step is half a wrap on"
    );
}

#[test]
fn a_passed_alarm_is_aimed_a_few_ticks_ahead() {
    let (registers, rtc, _) = rtc();
    registers.set(COUNTER, 1000);
    rtc.set_alarm(900, 50);
    assert_eq!(registers.get(COMPARE_VALUE0), 1000 + rtc.minimum_dt());
}
