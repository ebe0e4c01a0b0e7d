//! One hardware alarm shared by any number of kernel clients: each gets a
//! [`VirtualAlarm`] with the full alarm HIL; the hardware is always set for
//! the soonest armed one. (The process alarm driver, [`crate::alarm`],
//! virtualises further among processes and can sit on a `VirtualAlarm`.)

use core::cell::Cell;

use kernel::hil::time::{has_expired, Alarm, AlarmClient, Time};
use kernel::ErrorCode;

/// Clients one mux can serve.
pub const MAX_VIRTUAL_ALARMS: usize = 8;

/// The multiplexer over the hardware alarm (make it the alarm's client).
pub struct MuxAlarm<'a, A: Alarm<'a>> {
    alarm: &'a A,
    clients: [Cell<Option<&'a VirtualAlarm<'a, A>>>; MAX_VIRTUAL_ALARMS],
    count: Cell<usize>,
}

/// One client's alarm.
pub struct VirtualAlarm<'a, A: Alarm<'a>> {
    mux: &'a MuxAlarm<'a, A>,
    armed: Cell<Option<(u32, u32)>>,
    client: Cell<Option<&'a dyn AlarmClient>>,
}

impl<'a, A: Alarm<'a>> MuxAlarm<'a, A> {
    /// A mux over `alarm`.
    pub fn new(alarm: &'a A) -> Self {
        MuxAlarm {
            alarm,
            clients: [const { Cell::new(None) }; MAX_VIRTUAL_ALARMS],
            count: Cell::new(0),
        }
    }

    fn each(&self, mut operation: impl FnMut(&'a VirtualAlarm<'a, A>)) {
        for slot in &self.clients[..self.count.get()] {
            if let Some(client) = slot.get() {
                operation(client);
            }
        }
    }

    /// Set the hardware for the soonest armed client, or disarm it.
    fn reprogram(&self) {
        let now = self.alarm.now();
        let mut soonest: Option<(u32, u32, u32)> = None;
        self.each(|client| {
            if let Some((reference, dt)) = client.armed.get() {
                let left = if has_expired(reference, dt, now) {
                    0
                } else {
                    reference.wrapping_add(dt).wrapping_sub(now)
                };
                if soonest.is_none_or(|(best, _, _)| left < best) {
                    soonest = Some((left, reference, dt));
                }
            }
        });
        match soonest {
            Some((_, reference, dt)) => self.alarm.set_alarm(reference, dt),
            None => {
                let _ = self.alarm.disarm();
            }
        }
    }
}

impl<'a, A: Alarm<'a>> AlarmClient for MuxAlarm<'a, A> {
    fn alarm(&self) {
        let now = self.alarm.now();
        let mut due = [None; MAX_VIRTUAL_ALARMS];
        let mut count = 0;
        self.each(|client| {
            if let Some((reference, dt)) = client.armed.get() {
                if has_expired(reference, dt, now) {
                    client.armed.set(None);
                    due[count] = client.client.get();
                    count += 1;
                }
            }
        });
        // Reprogram before the callbacks, which may set new alarms.
        self.reprogram();
        for client in due.into_iter().flatten() {
            client.alarm();
        }
    }
}

impl<'a, A: Alarm<'a>> VirtualAlarm<'a, A> {
    /// A client of `mux`; call [`VirtualAlarm::attach`] once it is static.
    pub fn new(mux: &'a MuxAlarm<'a, A>) -> Self {
        VirtualAlarm {
            mux,
            armed: Cell::new(None),
            client: Cell::new(None),
        }
    }

    /// Register with the mux. Panics at boot beyond [`MAX_VIRTUAL_ALARMS`].
    pub fn attach(&'a self) {
        let index = self.mux.count.get();
        assert!(
            index < MAX_VIRTUAL_ALARMS,
            "too many virtual alarms: raise MAX_VIRTUAL_ALARMS"
        );
        self.mux.clients[index].set(Some(self));
        self.mux.count.set(index + 1);
    }
}

impl<'a, A: Alarm<'a>> Time for VirtualAlarm<'a, A> {
    fn frequency(&self) -> u32 {
        self.mux.alarm.frequency()
    }
    fn now(&self) -> u32 {
        self.mux.alarm.now()
    }
}

impl<'a, A: Alarm<'a>> Alarm<'a> for VirtualAlarm<'a, A> {
    fn set_alarm_client(&self, client: &'a dyn AlarmClient) {
        self.client.set(Some(client));
    }
    fn set_alarm(&self, reference: u32, dt: u32) {
        self.armed.set(Some((reference, dt)));
        self.mux.reprogram();
    }
    fn get_alarm(&self) -> u32 {
        self.armed
            .get()
            .map_or(0, |(reference, dt)| reference.wrapping_add(dt))
    }
    fn disarm(&self) -> Result<(), ErrorCode> {
        self.armed.set(None);
        self.mux.reprogram();
        Ok(())
    }
    fn is_armed(&self) -> bool {
        self.armed.get().is_some()
    }
    fn minimum_dt(&self) -> u32 {
        self.mux.alarm.minimum_dt()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::test_support::FakeAlarm;
    use std::boxed::Box;

    #[derive(Default)]
    struct Counter(Cell<u32>);
    impl AlarmClient for Counter {
        fn alarm(&self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn clients_fire_in_order_on_one_hardware_alarm() {
        let hardware: &'static FakeAlarm = Box::leak(Box::default());
        let mux: &'static MuxAlarm<'static, FakeAlarm> =
            Box::leak(Box::new(MuxAlarm::new(hardware)));
        hardware.set_alarm_client(mux);
        let counters: &'static [Counter; 2] = Box::leak(Box::default());
        let alarms: &'static [VirtualAlarm<'static, FakeAlarm>; 2] =
            Box::leak(Box::new([VirtualAlarm::new(mux), VirtualAlarm::new(mux)]));
        for (alarm, counter) in alarms.iter().zip(counters.iter()) {
            alarm.attach();
            alarm.set_alarm_client(counter);
        }
        alarms[0].set_alarm(0, 300);
        alarms[1].set_alarm(0, 100);
        assert_eq!(hardware.armed_at.get(), Some(100));
        hardware.advance_to(100);
        assert_eq!((counters[0].0.get(), counters[1].0.get()), (0, 1));
        assert_eq!(hardware.armed_at.get(), Some(300));
        alarms[0].disarm().unwrap();
        assert_eq!(hardware.armed_at.get(), None);
    }
}
