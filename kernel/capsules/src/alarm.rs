//! Alarms for processes (driver 0x0, upstream's interface), virtualised
//! over one hardware alarm: any number of processes each have their own.
//!
//! - command 1: tick frequency in Hz (Success with u32)
//! - command 2: now, in ticks (Success with u32)
//! - command 3: stop this process's alarm (ALREADY if none is set)
//! - command 5 (dt): fire `dt` ticks from now; returns the expiry tick
//! - command 6 (reference, dt): fire at `reference + dt`; returns it
//! - subscribe 0: upcall (now, expiry, 0)
//!
//! The hardware alarm is always set for the soonest process alarm.

use kernel::grant::Grant;
use kernel::hil::time::{has_expired, Alarm, AlarmClient};
use kernel::{CommandReturn, ErrorCode, ProcessId};

/// One process's alarm.
#[derive(Clone, Copy, Default)]
pub struct ProcessAlarm {
    expiration: Option<(u32, u32)>,
}

/// The grant this driver needs: one upcall, no buffers.
pub type AlarmGrant = Grant<ProcessAlarm, 1, 0, 0>;

/// The alarm driver.
pub struct AlarmDriver<'a, A: Alarm<'a>> {
    alarm: &'a A,
    grant: AlarmGrant,
}

impl<'a, A: Alarm<'a>> AlarmDriver<'a, A> {
    /// A driver over `alarm` (set this driver as its client).
    pub fn new(alarm: &'a A, grant: AlarmGrant) -> Self {
        AlarmDriver { alarm, grant }
    }

    /// Program the hardware for the soonest process alarm, or disarm it.
    fn reprogram(&self) {
        let now = self.alarm.now();
        let mut soonest: Option<(u32, u32, u32)> = None;
        self.grant.each(|_, state, _| {
            if let Some((reference, dt)) = state.expiration {
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

    fn arm(&self, process: ProcessId, reference: u32, dt: u32) -> CommandReturn {
        match self
            .grant
            .enter(process, |state, _| state.expiration = Some((reference, dt)))
        {
            Ok(()) => {
                self.reprogram();
                CommandReturn::success_u32(reference.wrapping_add(dt))
            }
            Err(error) => CommandReturn::failure(error.into()),
        }
    }
}

impl<'a, A: Alarm<'a>> kernel::driver::SyscallDriver for AlarmDriver<'a, A> {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        argument1: u32,
        process: ProcessId,
    ) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => CommandReturn::success_u32(self.alarm.frequency()),
            2 => CommandReturn::success_u32(self.alarm.now()),
            3 => match self
                .grant
                .enter(process, |state, _| state.expiration.take())
            {
                Ok(Some(_)) => {
                    self.reprogram();
                    CommandReturn::success()
                }
                Ok(None) => CommandReturn::failure(ErrorCode::Already),
                Err(error) => CommandReturn::failure(error.into()),
            },
            5 => self.arm(process, self.alarm.now(), argument0),
            6 => self.arm(process, argument0, argument1),
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl<'a, A: Alarm<'a>> AlarmClient for AlarmDriver<'a, A> {
    fn alarm(&self) {
        let now = self.alarm.now();
        self.grant.each(|_, state, kernel_data| {
            if let Some((reference, dt)) = state.expiration {
                if has_expired(reference, dt, now) {
                    state.expiration = None;
                    let _ = kernel_data.schedule_upcall(0, (now, reference.wrapping_add(dt), 0));
                }
            }
        });
        self.reprogram();
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::test_support::FakeAlarm;
    use kernel::driver::SyscallDriver;
    use kernel::testing::{TestCapability, TestKernel};
    use std::boxed::Box;

    fn setup(
        processes: usize,
    ) -> (
        TestKernel,
        &'static FakeAlarm,
        &'static AlarmDriver<'static, FakeAlarm>,
    ) {
        let test = TestKernel::new(processes, 2048);
        let alarm: &'static FakeAlarm = Box::leak(Box::default());
        let driver: &'static AlarmDriver<'static, FakeAlarm> = Box::leak(Box::new(
            AlarmDriver::new(alarm, test.kernel.create_grant(0, &TestCapability)),
        ));
        alarm.set_alarm_client(driver);
        (test, alarm, driver)
    }

    #[test]
    fn many_processes_share_one_hardware_alarm() {
        let (test, alarm, driver) = setup(3);
        alarm.now.set(1000);
        for index in 0..3 {
            test.subscribe(index, 0, driver, 0);
        }
        assert_eq!(
            driver.command(1, 0, 0, test.process_id(0)),
            CommandReturn::success_u32(1_000_000)
        );
        assert_eq!(
            driver.command(2, 0, 0, test.process_id(0)),
            CommandReturn::success_u32(1000)
        );
        assert_eq!(
            driver.command(5, 500, 0, test.process_id(0)),
            CommandReturn::success_u32(1500)
        );
        assert_eq!(
            driver.command(6, 900, 200, test.process_id(1)),
            CommandReturn::success_u32(1100)
        );
        assert_eq!(
            driver.command(5, 300, 0, test.process_id(2)),
            CommandReturn::success_u32(1300)
        );
        assert_eq!(
            alarm.armed_at.get(),
            Some(1100),
            "the soonest one is programmed"
        );
        alarm.advance_to(1100);
        assert_eq!(test.take_upcalls(1)[0].arguments, [1100, 1100, 0]);
        assert!(test.take_upcalls(0).is_empty());
        assert_eq!(alarm.armed_at.get(), Some(1300));
        assert_eq!(
            driver.command(3, 0, 0, test.process_id(2)),
            CommandReturn::success()
        );
        assert_eq!(
            driver.command(3, 0, 0, test.process_id(2)),
            CommandReturn::failure(ErrorCode::Already)
        );
        assert_eq!(alarm.armed_at.get(), Some(1500));
        alarm.advance_to(1600);
        assert_eq!(test.take_upcalls(0)[0].arguments, [1600, 1500, 0]);
        assert_eq!(alarm.armed_at.get(), None);
    }

    #[test]
    fn expiry_across_the_counter_wrap() {
        let (test, alarm, driver) = setup(1);
        alarm.now.set(u32::MAX - 10);
        test.subscribe(0, 0, driver, 0);
        assert_eq!(
            driver.command(5, 20, 0, test.process_id(0)),
            CommandReturn::success_u32(9)
        );
        alarm.advance_to(5);
        assert!(test.take_upcalls(0).is_empty());
        alarm.advance_to(9);
        assert_eq!(test.take_upcalls(0)[0].arguments, [9, 9, 0]);
    }

    #[test]
    fn a_restarted_process_loses_its_alarm() {
        let (test, alarm, driver) = setup(2);
        driver.command(5, 100, 0, test.process_id(0));
        driver.command(5, 200, 0, test.process_id(1));
        test.restart(0);
        alarm.advance_to(100);
        assert!(test.take_upcalls(0).is_empty());
        assert_eq!(alarm.armed_at.get(), Some(200));
    }
}
