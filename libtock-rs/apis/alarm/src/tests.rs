//! Alarm against the fake kernel.

extern crate std;

use super::*;
use libtock_unittest::{drivers, Kernel, SyscallMatch, Syscalls as Fake};
use std::rc::Rc;

type Alarm = super::Alarm<Fake>;

fn setup(frequency: u32) -> (Kernel, Rc<drivers::Alarm>) {
    let kernel = Kernel::new();
    let alarm = Rc::new(drivers::Alarm::new(frequency));
    kernel.add_driver(&alarm);
    (kernel, alarm)
}

#[test]
fn sleep_waits_for_the_right_number_of_ticks() {
    let (kernel, alarm) = setup(32_768);
    assert_eq!(Alarm::exists(), Ok(()));
    assert_eq!(Alarm::frequency(), Ok(Hz(32_768)));
    alarm.set_now(1000);
    assert_eq!(Alarm::sleep(Milliseconds(1000)), Ok(()));
    assert_eq!(alarm.now(), 1000 + 32_768);
    assert_eq!(Alarm::ticks(), Ok(1000 + 32_768));
    assert!(!kernel.is_subscribed(DRIVER_NUM, SUBSCRIBE_NUM));
}

#[test]
fn tick_conversion_rounds_up_and_saturates() {
    assert_eq!(Alarm::ticks_for(Milliseconds(1), Hz(10_000_000)), 10_000);
    assert_eq!(Alarm::ticks_for(Milliseconds(1), Hz(32_768)), 33);
    assert_eq!(
        Alarm::ticks_for(Milliseconds(u32::MAX), Hz(10_000_000)),
        u32::MAX
    );
}

#[test]
fn a_missing_alarm_is_nodevice() {
    let _kernel = Kernel::new();
    assert_eq!(Alarm::exists(), Err(ErrorCode::NoDevice));
    assert_eq!(Alarm::sleep(Milliseconds(5)), Err(ErrorCode::NoDevice));
    assert_eq!(Alarm::sleep_ticks(5), Err(ErrorCode::NoDevice));
}

#[test]
fn refused_subscribe_and_set_are_returned_and_nothing_stays_armed() {
    let (kernel, alarm) = setup(1000);
    kernel.inject_failure(
        SyscallMatch::Subscribe {
            driver: DRIVER_NUM,
            subscribe: SUBSCRIBE_NUM,
        },
        ErrorCode::NoMem,
    );
    assert_eq!(Alarm::sleep_ticks(5), Err(ErrorCode::NoMem));
    kernel.inject_failure(
        SyscallMatch::Command {
            driver: DRIVER_NUM,
            command: command::SET_RELATIVE,
        },
        ErrorCode::Busy,
    );
    assert_eq!(Alarm::sleep_ticks(5), Err(ErrorCode::Busy));
    assert_eq!(alarm.armed(), None);
    kernel.inject_failure(
        SyscallMatch::Command {
            driver: DRIVER_NUM,
            command: command::FREQUENCY,
        },
        ErrorCode::Off,
    );
    assert_eq!(Alarm::sleep(Milliseconds(1)), Err(ErrorCode::Off));
}

#[test]
fn a_zero_frequency_is_an_error_not_a_division() {
    let (_kernel, _alarm) = setup(0);
    assert_eq!(Alarm::frequency(), Err(ErrorCode::Fail));
}
