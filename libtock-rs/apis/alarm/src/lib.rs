//! Alarm (driver 0x0): the tick counter and sleeping, as upstream's alarm
//! capsule offers them.
//!
//! Guarantees: durations convert to ticks without overflow (64-bit maths,
//! saturating); every failure is an error value.
//! Must never: panic, or leave its upcall subscribed after a call.
#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;
use core::marker::PhantomData;
use libtock_platform::share::scope;
use libtock_platform::{wait_for_upcall, DriverNumber, ErrorCode, Subscribe, Syscalls};

/// The alarm driver number.
pub const DRIVER_NUM: u32 = DriverNumber::ALARM.0;

/// Command numbers.
pub mod command {
    /// Driver existence check.
    pub const EXISTS: u32 = 0;
    /// Tick frequency in Hz (`SuccessU32`).
    pub const FREQUENCY: u32 = 1;
    /// Current ticks (`SuccessU32`).
    pub const TIME: u32 = 2;
    /// Disarm.
    pub const STOP: u32 = 3;
    /// Arm `argument0` ticks from now; returns the expiration.
    pub const SET_RELATIVE: u32 = 5;
    /// Arm at `argument0 + argument1` (reference + delay).
    pub const SET_ABSOLUTE: u32 = 6;
}

/// Subscribe number of the alarm upcall `(now, expiration, 0)`.
pub const SUBSCRIBE_NUM: u32 = 0;

/// A tick frequency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hz(pub u32);

/// A duration in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Milliseconds(pub u32);

/// The alarm, over the system calls `S`.
pub struct Alarm<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Alarm<S> {
    /// `Ok` if the kernel has an alarm.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// The tick frequency. A frequency of 0 is reported as `Fail`.
    pub fn frequency() -> Result<Hz, ErrorCode> {
        match S::command(DRIVER_NUM, command::FREQUENCY, 0, 0).to_result::<u32>()? {
            0 => Err(ErrorCode::Fail),
            frequency => Ok(Hz(frequency)),
        }
    }

    /// The current tick count.
    pub fn ticks() -> Result<u32, ErrorCode> {
        S::command(DRIVER_NUM, command::TIME, 0, 0).to_result()
    }

    /// Ticks in `duration` at `frequency`, rounded up, saturating at
    /// `u32::MAX`. 32-bit arithmetic only: a 64-bit division would add
    /// about 1 KB of compiler runtime to every app that sleeps.
    pub fn ticks_for(duration: Milliseconds, frequency: Hz) -> u32 {
        // ticks = ms * f / 1000, with f = 1000 * whole + part and
        // ms = 1000 * seconds + rest, so no product can overflow unnoticed.
        let (whole, part) = (frequency.0 / 1000, frequency.0 % 1000);
        let (seconds, rest) = (duration.0 / 1000, duration.0 % 1000);
        let ticks = whole
            .checked_mul(duration.0)
            .and_then(|ticks| ticks.checked_add(part.checked_mul(seconds)?))
            .and_then(|ticks| ticks.checked_add((part * rest).div_ceil(1000)));
        ticks.unwrap_or(u32::MAX)
    }

    /// Blocks for `duration`.
    pub fn sleep(duration: Milliseconds) -> Result<(), ErrorCode> {
        let ticks = Self::ticks_for(duration, Self::frequency()?);
        Self::sleep_ticks(ticks)
    }

    /// Blocks for `ticks` ticks.
    pub fn sleep_ticks(ticks: u32) -> Result<(), ErrorCode> {
        let fired: Cell<Option<(u32, u32)>> = Cell::new(None);
        scope::<Subscribe<S, DRIVER_NUM, SUBSCRIBE_NUM>, _, _>(|handle| {
            S::subscribe(handle, &fired)?;
            S::command(DRIVER_NUM, command::SET_RELATIVE, ticks, 0).to_result::<u32>()?;
            wait_for_upcall::<S, _>(&fired);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;
