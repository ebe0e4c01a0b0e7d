//! Fault policies: what the kernel does when a process faults. The kernel
//! and the other processes always go on, unless the board explicitly chose
//! [`FaultPolicy::Panic`] for debugging.

/// A board's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPolicy {
    /// Leave the process in the Faulted state.
    Stop,
    /// Restart it while it has restarted fewer than `threshold` times, then
    /// stop it (our boards' default).
    Restart {
        /// Restarts allowed before the process stays Faulted.
        threshold: u32,
    },
    /// Panic the kernel (a debugging option, never a default).
    Panic,
}

impl Default for FaultPolicy {
    fn default() -> Self {
        FaultPolicy::Restart {
            threshold: DEFAULT_RESTART_THRESHOLD,
        }
    }
}

/// Restarts before a repeatedly faulting process is stopped.
pub const DEFAULT_RESTART_THRESHOLD: u32 = 3;

/// What to do with one fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Leave it Faulted.
    Stop,
    /// Restart it.
    Restart,
    /// Panic the kernel.
    Panic,
}

impl FaultPolicy {
    /// The action for a process that has restarted `restart_count` times.
    pub fn action(&self, restart_count: u32) -> FaultAction {
        match *self {
            FaultPolicy::Stop => FaultAction::Stop,
            FaultPolicy::Restart { threshold } if restart_count < threshold => FaultAction::Restart,
            FaultPolicy::Restart { .. } => FaultAction::Stop,
            FaultPolicy::Panic => FaultAction::Panic,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_up_to_the_threshold_then_stop() {
        let policy = FaultPolicy::Restart { threshold: 2 };
        assert_eq!(policy.action(0), FaultAction::Restart);
        assert_eq!(policy.action(1), FaultAction::Restart);
        assert_eq!(policy.action(2), FaultAction::Stop);
        assert_eq!(FaultPolicy::Stop.action(0), FaultAction::Stop);
        assert_eq!(FaultPolicy::Panic.action(9), FaultAction::Panic);
        assert_eq!(
            FaultPolicy::default(),
            FaultPolicy::Restart { threshold: 3 }
        );
    }
}
