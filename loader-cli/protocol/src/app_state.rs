//! The one model of an installed app's state, shared by the running
//! kernel's loader service (which reports it in LIST_APPS and checks
//! process control against it) and the loader (which shows it in `list`
//! and `process list`, and checks every operation against it before it
//! stops or writes anything, so that a refused operation changes nothing).
//!
//! ```text
//!            enable / install            stop
//!  Disabled ---------------> Running <--------> Stopped
//!     ^   disable              |  \  start (resume)
//!     '------------------------'   \ exit / fault
//!  Refused: enabled, but the kernel  '--> Exited / Faulted --restart--> Running
//!  would not load it (credentials, RAM, a fixed address taken)
//! ```

use crate::extension::ProcessState;

/// What an app image in flash is, as the kernel and the loader agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppState {
    /// A process runs from it (running, or waiting in a yield).
    Running,
    /// Its process is stopped; `start` resumes it.
    Stopped,
    /// Its process exited; `restart` starts it again.
    Exited,
    /// Its process faulted; `restart` starts it again.
    Faulted,
    /// Its header's enabled flag is clear: nothing runs from it.
    Disabled,
    /// Enabled, but no process runs from it: the kernel refused it (the
    /// board's credential policy, RAM, process slots or a fixed address).
    Refused,
}

/// An operation on one app that depends on its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppAction {
    /// Resume a stopped process.
    Start,
    /// Stop a running process.
    Stop,
    /// Start the process again from its entry point.
    Restart,
}

/// Why an action does not apply to an app in its state: says what is
/// true and what to do instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrongState {
    /// The app's state.
    pub state: AppState,
    /// What was asked.
    pub action: AppAction,
}

impl AppState {
    /// The state of an app image from its header's enabled flag and the
    /// process the kernel has loaded from it (`NotLoaded` when none).
    pub fn of(enabled: bool, process: ProcessState) -> AppState {
        match process {
            ProcessState::Running | ProcessState::Yielded | ProcessState::Other(_) => {
                AppState::Running
            }
            ProcessState::Stopped => AppState::Stopped,
            ProcessState::Terminated => AppState::Exited,
            ProcessState::Faulted => AppState::Faulted,
            ProcessState::NotLoaded if enabled => AppState::Refused,
            ProcessState::NotLoaded => AppState::Disabled,
        }
    }

    /// Lower-case name, as `list` and `process list` print it.
    pub fn name(self) -> &'static str {
        match self {
            AppState::Running => "running",
            AppState::Stopped => "stopped",
            AppState::Exited => "exited",
            AppState::Faulted => "faulted",
            AppState::Disabled => "disabled",
            AppState::Refused => "refused",
        }
    }

    /// True when the kernel has a process loaded from the image.
    pub fn has_process(self) -> bool {
        !matches!(self, AppState::Disabled | AppState::Refused)
    }

    /// May `action` be done in this state? Checked before anything is
    /// stopped or written.
    pub fn check(self, action: AppAction) -> Result<(), WrongState> {
        let allowed = match action {
            AppAction::Start => self == AppState::Stopped,
            AppAction::Stop => self == AppState::Running,
            AppAction::Restart => self.has_process(),
        };
        match allowed {
            true => Ok(()),
            false => Err(WrongState {
                state: self,
                action,
            }),
        }
    }
}

impl WrongState {
    /// What is true and what to do, in one line.
    pub fn message(self) -> &'static str {
        match (self.state, self.action) {
            (AppState::Running, AppAction::Start) => {
                "the process is already running; `process restart` starts it from its entry point"
            }
            (AppState::Exited | AppState::Faulted, AppAction::Start) => {
                "the process has ended (exited or faulted); `process restart` starts it again"
            }
            (AppState::Stopped, AppAction::Stop) => {
                "the process is already stopped; `process start` resumes it"
            }
            (AppState::Exited | AppState::Faulted, AppAction::Stop) => {
                "the process has already ended (exited or faulted); nothing to stop"
            }
            (AppState::Disabled, _) => {
                "the app is disabled, so no process runs from it; `enable-app` starts it"
            }
            _ => "the kernel refused to load this app, so no process runs from it; reinstall it to see the device's reason",
        }
    }
}

impl core::fmt::Display for WrongState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_process_state_maps_to_one_app_state_and_actions_follow_it() {
        assert_eq!(AppState::of(true, ProcessState::Yielded), AppState::Running);
        assert_eq!(
            AppState::of(false, ProcessState::NotLoaded),
            AppState::Disabled
        );
        assert_eq!(
            AppState::of(true, ProcessState::NotLoaded),
            AppState::Refused
        );
        assert_eq!(
            AppState::of(true, ProcessState::Terminated),
            AppState::Exited
        );
        assert!(AppState::Stopped.check(AppAction::Start).is_ok());
        assert!(AppState::Running.check(AppAction::Stop).is_ok());
        assert!(AppState::Faulted.check(AppAction::Restart).is_ok());
        let running = AppState::Running.check(AppAction::Start).unwrap_err();
        assert!(running.message().contains("already running"));
        let exited = AppState::Exited.check(AppAction::Start).unwrap_err();
        assert!(exited.message().contains("restart"));
        assert!(AppState::Refused.check(AppAction::Restart).is_err());
    }
}
