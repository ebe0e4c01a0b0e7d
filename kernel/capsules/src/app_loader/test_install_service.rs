//! The loader service's side of test installs: TEST_INSTALL,
//! CONFIRM_TEST, TEST_STATUS, the boot rule, and a watch (an alarm)
//! that confirms after the board's N seconds or reverts a version on
//! test that faulted past the restart threshold. The flash state machine
//! is [`super::test_install`].
//!
//! ```text
//!  TEST_INSTALL(old, new): checks -> record written -> Replace{old, new} (main loop)
//!       refused or failed -> revert (free new, finish record), old runs again
//!  watch, every 250 ms while a test runs:
//!       new process Faulted     -> Remove{new} -> free new, finish -> Install{old}
//!       N s without that        -> confirm (free old, finish)
//!       an image gone (another tool) -> finish what is left
//!  CONFIRM_TEST(new) / the app's system call -> confirm
//! ```

use core::cell::Cell;

use kernel::app_management::{AppOperation, ManagementError};
use kernel::hil::time::{Alarm, AlarmClient};
use kernel::process::State;
use loader_protocol::{ConfirmPolicy, ExtensionStatus, RefusalReason, RunningTest, TestStatus};

use super::answer::TextBuffer;
use super::test_install::{self, Record, Transition};
use super::AppLoader;

/// How often the watch looks at a version on test, in milliseconds.
const WATCH_PERIOD_MILLISECONDS: u32 = 250;

/// Time on test after `periods` watch periods (saturating: a test left
/// running for weeks reads as the longest time, never wraps to zero).
fn elapsed_milliseconds(periods: u32) -> u32 {
    periods.saturating_mul(WATCH_PERIOD_MILLISECONDS)
}

/// The service's test-install state (flash holds the rest).
pub(super) struct TestInstalls<'a> {
    policy: Cell<ConfirmPolicy>,
    alarm: Cell<Option<&'a dyn Alarm<'a>>>,
    /// Watch periods since the running test began.
    periods: Cell<u32>,
    /// TEST_INSTALL's replace, waiting for the main loop.
    beginning: Cell<Option<(usize, usize)>>,
    /// A revert whose first step (stopping the new process) or last
    /// (starting the old one) waits for the main loop; nobody is answered.
    reverting: Cell<Option<Record>>,
}

impl<'a> TestInstalls<'a> {
    pub(super) const fn new() -> Self {
        TestInstalls {
            policy: Cell::new(ConfirmPolicy {
                by_app: false,
                by_loader: true,
                after_seconds: None,
            }),
            alarm: Cell::new(None),
            periods: Cell::new(0),
            beginning: Cell::new(None),
            reverting: Cell::new(None),
        }
    }
}

/// Why a transition did not happen (or stopped: the boot rule finishes it).
#[derive(Clone, Copy, Debug)]
enum TransitionError {
    Refused(test_install::Refusal),
    NoJournal,
    Flash(kernel::flash_journal::JournalError),
}

impl core::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TransitionError::Refused(refusal) => write!(f, "{refusal}"),
            TransitionError::NoJournal => f.write_str("this board has no flash journal"),
            TransitionError::Flash(error) => write!(f, "{error}"),
        }
    }
}

/// Why a confirmation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmRefusal {
    /// The board's policy does not confirm this way.
    NotAllowed,
    /// No test install runs, or another version is on test.
    NotOnTest,
    /// Flash could not be written (the journal's error).
    Flash,
}

impl<'a> AppLoader<'a> {
    /// The board's confirmation policy and the alarm that watches a
    /// version on test (without one, only the boot rule reverts).
    pub fn set_test_install_policy(&self, policy: ConfirmPolicy, alarm: &'a dyn Alarm<'a>) {
        self.test_installs.policy.set(policy);
        self.test_installs.alarm.set(Some(alarm));
        if self.running_test().is_some() {
            self.arm_watch();
        }
    }

    /// The boot rule (call after the journal's recovery, before processes
    /// load): a test install not confirmed reverts, a confirmed one is
    /// finished. Returns the version that stays, if a test was running.
    pub fn settle_test_install(&self) -> Option<usize> {
        let record = self.running_test()?;
        let kept = if record.confirmed {
            record.new
        } else {
            record.old
        };
        match self.transition(Transition::Boot) {
            Ok(()) => self.kernel.print(format_args!(
                "[kernel] loader: test install of {:#x} {} at boot; {:#x} stays\r\n",
                record.new,
                if record.confirmed {
                    "confirmed"
                } else {
                    "not confirmed: reverted"
                },
                kept
            )),
            Err(reason) => self.kernel.print(format_args!(
                "[kernel] loader: settling the test install at boot failed ({reason})\r\n"
            )),
        }
        Some(kept)
    }

    /// The test install that has not ended, from flash.
    pub(super) fn running_test(&self) -> Option<Record> {
        test_install::active(self.management.app_flash_bytes(), self.app_flash_start())
    }

    fn app_flash_start(&self) -> usize {
        self.management.app_flash().start
    }

    /// Plan `transition` on app flash and apply it through the journal.
    fn transition(&self, transition: Transition) -> Result<(), TransitionError> {
        let flash = self.management.app_flash_bytes();
        let plan = test_install::plan(flash, self.app_flash_start(), transition)
            .map_err(TransitionError::Refused)?;
        let rewriter = self.rewriter.ok_or(TransitionError::NoJournal)?;
        let block = self.flash.erase_size().max(1);
        test_install::apply(&plan, rewriter, self.flash_base, block).map_err(TransitionError::Flash)
    }

    /// Serve TEST_INSTALL: the board's credential policy first (nothing
    /// is written for a build it refuses), then the record, then the
    /// replace.
    pub(super) fn test_install(&self, old: usize, new: usize) {
        let image = self
            .management
            .app_images()
            .find(|image| image.address == new)
            .and_then(|image| self.app_flash_range(image.address, image.size));
        if let (Some(policy), Some(image)) = (self.credential_policy.get(), image) {
            if let Err(refusal) = self.check_image(image, &policy) {
                let mut reason = TextBuffer::new();
                let _ = core::fmt::Write::write_fmt(
                    &mut reason,
                    format_args!("the old one keeps running; the new build was refused: {refusal}"),
                );
                return self.extension(ExtensionStatus::CredentialsRejected, reason.as_bytes());
            }
        }
        if self.management.has_request() || self.test_installs.reverting.get().is_some() {
            // Nothing written: the host retries.
            return self.report(Err(ManagementError::Busy));
        }
        if let Err(error) = self.transition(Transition::Begin { old, new }) {
            let mut reason = TextBuffer::new();
            let _ = core::fmt::Write::write_fmt(&mut reason, format_args!("{error}"));
            let status = match error {
                TransitionError::Refused(_) => ExtensionStatus::WrongState,
                TransitionError::NoJournal => ExtensionStatus::Unsupported,
                TransitionError::Flash(_) => ExtensionStatus::InternalError,
            };
            return self.extension(status, reason.as_bytes());
        }
        self.test_installs.beginning.set(Some((old, new)));
        if let Err(error) = self.request_replace(old, new) {
            self.test_installs.beginning.set(None);
            let _ = self.transition(Transition::Revert);
            self.report(Err(error));
        }
    }

    fn request_replace(&self, old: usize, new: usize) -> Result<(), ManagementError> {
        self.management
            .request(AppOperation::Replace { old, new }, self.capability)
    }

    /// Serve CONFIRM_TEST.
    pub(super) fn confirm_test_from_loader(&self, new: usize) {
        match self.confirm_test(new, |policy| policy.by_loader) {
            Ok(()) => self.extension(ExtensionStatus::Ok, &[]),
            Err(ConfirmRefusal::NotAllowed) => self.extension(
                ExtensionStatus::Unsupported,
                b"this board's policy does not let the loader confirm a test install (`loader info` shows it)",
            ),
            Err(ConfirmRefusal::NotOnTest) => self.extension(
                ExtensionStatus::WrongState,
                b"that image is not on test (no test install runs for it)",
            ),
            Err(ConfirmRefusal::Flash) => self.extension(
                ExtensionStatus::InternalError,
                b"writing the confirmation failed; the boot rule finishes or reverts it: reset the device",
            ),
        }
    }

    /// The app on test confirms itself (its process's flash starts at
    /// `new`); refused unless the board's policy allows it.
    pub fn confirm_test_from_app(&self, new: usize) -> Result<(), ConfirmRefusal> {
        self.confirm_test(new, |policy| policy.by_app)
    }

    fn confirm_test(
        &self,
        new: usize,
        allowed: impl Fn(&ConfirmPolicy) -> bool,
    ) -> Result<(), ConfirmRefusal> {
        if !allowed(&self.test_installs.policy.get()) {
            return Err(ConfirmRefusal::NotAllowed);
        }
        match self.running_test() {
            Some(record) if record.new == new && self.test_installs.reverting.get().is_none() => {
                self.confirm_running()
            }
            _ => Err(ConfirmRefusal::NotOnTest),
        }
    }

    fn confirm_running(&self) -> Result<(), ConfirmRefusal> {
        let Some(record) = self.running_test() else {
            return Err(ConfirmRefusal::NotOnTest);
        };
        self.transition(Transition::Confirm)
            .map_err(|_| ConfirmRefusal::Flash)?;
        self.kernel.print(format_args!(
            "[kernel] loader: test install of {:#x} confirmed; {:#x} freed\r\n",
            record.new, record.old
        ));
        Ok(())
    }

    /// Serve TEST_STATUS.
    pub(super) fn test_status(&self) {
        let seconds = elapsed_milliseconds(self.test_installs.periods.get()) / 1000;
        let status = TestStatus {
            policy: self.test_installs.policy.get(),
            running: self.running_test().map(|record| RunningTest {
                old: record.old as u32,
                new: record.new as u32,
                elapsed_seconds: seconds,
            }),
        };
        self.extension(ExtensionStatus::Ok, &status.encode());
    }

    /// The standby version's image and the record are not written
    /// through WRITE_PAGE while the test runs: `Some` names what a
    /// range overlaps.
    pub(super) fn test_protected(&self, address: usize, length: usize) -> Option<&'static str> {
        let record = self.running_test()?;
        let range = kernel::platform::Region::new(address, length);
        let standby = self
            .management
            .app_images()
            .find(|image| image.address == record.old)
            .map(|image| kernel::platform::Region::new(image.address, image.size));
        let record_image =
            kernel::platform::Region::new(record.at, test_install::RECORD_IMAGE_SIZE);
        if standby.is_some_and(|standby| kernel::memory::ranges_overlap(standby, range)) {
            return Some("the standby version of a test install");
        }
        kernel::memory::ranges_overlap(record_image, range).then_some("a test install's record")
    }

    /// The refusal LIST_APPS gives an enabled image nothing runs from:
    /// standby for the old version of a running test.
    pub(super) fn listed_refusal(&self, address: usize, size: usize) -> RefusalReason {
        match self.running_test() {
            Some(record) if record.old == address => RefusalReason::Standby,
            _ => self.refusal_of(address, size),
        }
    }

    /// Main-loop results of test-install operations. `true` when the
    /// result was this module's alone (nobody waits for an answer).
    pub(super) fn test_operation_done(
        &self,
        operation: AppOperation,
        result: &Result<Option<usize>, ManagementError>,
    ) -> bool {
        if let Some((old, new)) = self.test_installs.beginning.get() {
            if operation == (AppOperation::Replace { old, new }) {
                self.test_installs.beginning.set(None);
                match result {
                    // The old one was loaded again by the replace.
                    Err(_) => {
                        let _ = self.transition(Transition::Revert);
                    }
                    Ok(_) => {
                        self.test_installs.periods.set(0);
                        self.arm_watch();
                    }
                }
                return false;
            }
        }
        let Some(record) = self.test_installs.reverting.get() else {
            return false;
        };
        match operation {
            AppOperation::Remove { address } if address == record.new => {
                self.finish_revert(record);
                true
            }
            AppOperation::Install { address } if address == record.old => {
                self.test_installs.reverting.set(None);
                true
            }
            _ => false,
        }
    }

    /// The faulted version on test is stopped: free it, then start the
    /// old one.
    fn finish_revert(&self, record: Record) {
        match self.transition(Transition::Revert) {
            Ok(()) => self.kernel.print(format_args!(
                "[kernel] loader: test install of {:#x} faulted past the restart threshold: reverted to {:#x}\r\n",
                record.new, record.old
            )),
            Err(reason) => self.kernel.print(format_args!(
                "[kernel] loader: reverting the test install failed ({reason}); the next boot reverts it\r\n"
            )),
        }
        let install = AppOperation::Install {
            address: record.old,
        };
        if self.management.request(install, self.capability).is_err() {
            self.test_installs.reverting.set(None);
        }
    }

    fn arm_watch(&self) {
        if let Some(alarm) = self.test_installs.alarm.get() {
            let ticks = (alarm.frequency() / 1000)
                .max(1)
                .saturating_mul(WATCH_PERIOD_MILLISECONDS);
            alarm.set_alarm(alarm.now(), ticks);
        }
    }

    /// One look at the version on test.
    fn watch(&self) {
        let Some(record) = self.running_test() else {
            return;
        };
        if self.test_installs.reverting.get().is_some()
            || self.test_installs.beginning.get().is_some()
        {
            return self.arm_watch();
        }
        let is_app = |address| {
            self.management
                .app_images()
                .any(|image| image.address == address)
        };
        if !is_app(record.new) || !is_app(record.old) {
            // Another tool freed one of them: finish with what is left.
            let _ = self.transition(Transition::Revert);
            return;
        }
        let process = self.management.process_at(self.kernel, record.new);
        let faulted =
            process.is_some_and(|index| self.kernel.processes()[index].state() == State::Faulted);
        if faulted {
            self.test_installs.reverting.set(Some(record));
            let stop = AppOperation::Remove {
                address: record.new,
            };
            if self.management.request(stop, self.capability).is_err() {
                // Busy: look again next period.
                self.test_installs.reverting.set(None);
            }
            return self.arm_watch();
        }
        let periods = self.test_installs.periods.get().saturating_add(1);
        self.test_installs.periods.set(periods);
        let due = self
            .test_installs
            .policy
            .get()
            .after_seconds
            .is_some_and(|seconds| elapsed_milliseconds(periods) >= seconds.saturating_mul(1000));
        if due && process.is_some() && self.confirm_running().is_ok() {
            return;
        }
        self.arm_watch();
    }
}

impl AlarmClient for AppLoader<'_> {
    fn alarm(&self) {
        self.watch();
    }
}

/// The app loader driver (0x10001) as processes reach it: the version on
/// test confirms itself ([`kernel_abi::app_loader`]).
impl kernel::driver::SyscallDriver for AppLoader<'_> {
    fn command(
        &self,
        command: u32,
        _argument0: u32,
        _argument1: u32,
        process: kernel::process::ProcessId,
    ) -> kernel::syscall::CommandReturn {
        use kernel::syscall::CommandReturn;
        use kernel::ErrorCode;
        match command {
            kernel_abi::app_loader::EXISTS => CommandReturn::success(),
            kernel_abi::app_loader::CONFIRM_TEST_INSTALL => {
                let Some(start) = self
                    .kernel
                    .process(process)
                    .map(|process| process.layout().flash.start)
                else {
                    return CommandReturn::failure(ErrorCode::Inval);
                };
                match self.confirm_test_from_app(start) {
                    Ok(()) => CommandReturn::success(),
                    Err(ConfirmRefusal::NotAllowed) => CommandReturn::failure(ErrorCode::NoSupport),
                    Err(ConfirmRefusal::NotOnTest) => CommandReturn::failure(ErrorCode::Inval),
                    Err(ConfirmRefusal::Flash) => CommandReturn::failure(ErrorCode::Fail),
                }
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
