//! The alarm on two CMSDK APB timers (25 MHz): TIMER0 at 0x4000_0000 runs
//! free from 0xffff_ffff down, so `now = !VALUE` counts up and wraps;
//! TIMER1 at 0x4000_1000 (interrupt 9) counts down to the alarm and
//! raises its interrupt at zero.

use core::cell::Cell;

use kernel::hil::time::{has_expired, Alarm, AlarmClient, Time};
use kernel::ErrorCode;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::ReadWrite;
use tock_registers::{register_bitfields, register_structs};

/// Ticks per second (the APB clock).
pub const FREQUENCY: u32 = 25_000_000;
/// NVIC line of TIMER1.
pub const ALARM_IRQ: u32 = 9;

register_bitfields![u32,
    CTRL [
        ENABLE OFFSET(0) NUMBITS(1) [],
        INTERRUPT_ENABLE OFFSET(3) NUMBITS(1) []
    ]
];

register_structs! {
    /// CMSDK APB timer registers.
    pub TimerRegisters {
        (0x00 => ctrl: ReadWrite<u32, CTRL::Register>),
        (0x04 => value: ReadWrite<u32>),
        (0x08 => reload: ReadWrite<u32>),
        (0x0c => interrupt: ReadWrite<u32>),
        (0x10 => @END),
    }
}

/// Ticks from `now` until `reference + dt` (at least 1: a deadline that
/// has passed fires at the next tick, from the interrupt).
pub fn ticks_until(reference: u32, dt: u32, now: u32) -> u32 {
    if has_expired(reference, dt, now) {
        1
    } else {
        reference.wrapping_add(dt).wrapping_sub(now).max(1)
    }
}

/// The free-running counter plus the alarm timer.
pub struct AlarmTimer {
    counter: &'static TimerRegisters,
    alarm: &'static TimerRegisters,
    deadline: Cell<Option<(u32, u32)>>,
    client: Cell<Option<&'static dyn AlarmClient>>,
}

impl AlarmTimer {
    /// # Safety
    /// `counter` and `alarm` must be CMSDK APB timers' addresses.
    pub const unsafe fn new(counter: usize, alarm: usize) -> Self {
        AlarmTimer {
            // SAFETY: the caller guarantees both timers are mapped there.
            counter: unsafe { &*(counter as *const TimerRegisters) },
            // SAFETY: as above.
            alarm: unsafe { &*(alarm as *const TimerRegisters) },
            deadline: Cell::new(None),
            client: Cell::new(None),
        }
    }

    /// Starts the free-running counter.
    pub fn initialize(&self) {
        self.counter.reload.set(u32::MAX);
        self.counter.value.set(u32::MAX);
        self.counter.ctrl.write(CTRL::ENABLE::SET);
        self.alarm.ctrl.set(0);
        self.alarm.interrupt.set(1);
    }

    fn program(&self, reference: u32, dt: u32) {
        self.alarm.ctrl.set(0);
        self.alarm.interrupt.set(1);
        self.alarm.reload.set(u32::MAX);
        self.alarm.value.set(ticks_until(reference, dt, self.now()));
        self.alarm
            .ctrl
            .write(CTRL::ENABLE::SET + CTRL::INTERRUPT_ENABLE::SET);
    }

    /// TIMER1's interrupt: fire the alarm if its time has come, else
    /// count down the rest.
    pub fn handle_interrupt(&self) {
        self.alarm.interrupt.set(1);
        self.alarm.ctrl.set(0);
        let Some((reference, dt)) = self.deadline.get() else {
            return;
        };
        if has_expired(reference, dt, self.now()) {
            self.deadline.set(None);
            if let Some(client) = self.client.get() {
                client.alarm();
            }
        } else {
            self.program(reference, dt);
        }
    }
}

impl Time for AlarmTimer {
    fn frequency(&self) -> u32 {
        FREQUENCY
    }

    fn now(&self) -> u32 {
        !self.counter.value.get()
    }
}

impl Alarm<'static> for AlarmTimer {
    fn set_alarm_client(&self, client: &'static dyn AlarmClient) {
        self.client.set(Some(client));
    }

    fn set_alarm(&self, reference: u32, dt: u32) {
        self.deadline.set(Some((reference, dt)));
        self.program(reference, dt);
    }

    fn get_alarm(&self) -> u32 {
        self.deadline
            .get()
            .map_or(0, |(reference, dt)| reference.wrapping_add(dt))
    }

    fn disarm(&self) -> Result<(), ErrorCode> {
        self.deadline.set(None);
        self.alarm.ctrl.set(0);
        self.alarm.interrupt.set(1);
        Ok(())
    }

    fn is_armed(&self) -> bool {
        self.deadline.get().is_some()
    }

    fn minimum_dt(&self) -> u32 {
        // 10 µs: the kernel's path from the interrupt to the client.
        FREQUENCY / 100_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_to_the_deadline_wraps_and_never_is_zero() {
        assert_eq!(ticks_until(100, 50, 120), 30);
        assert_eq!(ticks_until(u32::MAX - 10, 20, 5), 4);
        assert_eq!(ticks_until(100, 50, 150), 1);
        assert_eq!(ticks_until(100, 50, 400), 1);
    }
}
