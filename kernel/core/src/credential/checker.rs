//! The checker that runs in deferred calls, and admission: the one path
//! from "loaded" to "running" (boot loading and runtime installs alike).

#[cfg(feature = "credentials")]
use core::cell::Cell;

#[cfg(feature = "credentials")]
use crate::capability::ProcessManagementCapability;
#[cfg(feature = "credentials")]
use crate::deferred_call::{DeferredCall, DeferredCallClient};
use crate::identity::Approval;
use crate::kernel::Kernel;

#[cfg(feature = "credentials")]
use super::CredentialPolicy;
use super::Refusal;

/// Why a checked process does not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotStarted {
    /// Its credentials do not pass the board's policy.
    Refused(Refusal),
    /// Another app with the same identity has a higher version (or the
    /// same version and was there first).
    Superseded {
        /// The name of the app that runs instead.
        by: &'static str,
        /// Its version.
        version: u32,
    },
}

impl core::fmt::Display for NotStarted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            // Callers say "refused" themselves (the console, the loader).
            NotStarted::Refused(refusal) => refusal.fmt(f),
            NotStarted::Superseded { by, version } => write!(
                f,
                "not started: {} version {} has the same identity (the higher version runs)",
                by, version
            ),
        }
    }
}

/// Told the outcome of each check (the loader service, to answer the
/// host that installed the app).
pub trait CredentialCheckClient {
    /// The process loaded from the image at flash `address` was started
    /// (in slot `Ok(index)`), or why not.
    fn credentials_checked(&self, address: usize, result: Result<usize, NotStarted>);
}

/// Checks unchecked processes one per deferred call, then starts the
/// approved ones (see [`crate::credential`]). Feature `credentials`.
#[cfg(feature = "credentials")]
pub struct CredentialChecker {
    kernel: &'static Kernel,
    policy: CredentialPolicy,
    deferred_call: DeferredCall,
    /// Bit `n`: slot `n` is approved and waits for the batch to end.
    awaiting: Cell<u32>,
    client: Cell<Option<&'static dyn CredentialCheckClient>>,
    /// The board's trust store: its keys replace the policy's (see
    /// [`super::check_trusted`]); `None`: the policy's keys, no records.
    trust: Cell<Option<&'static crate::trust_store::TrustStore<'static>>>,
    /// Bit `n`: started slot `n` is to be checked again (keys were
    /// revoked), one per deferred call like every check.
    recheck: Cell<u32>,
}

#[cfg(feature = "credentials")]
impl CredentialChecker {
    /// A checker of `kernel`'s processes under `policy`, driven by
    /// `deferred_call`. Call [`Self::install`] before loading processes.
    pub fn new(
        kernel: &'static Kernel,
        policy: CredentialPolicy,
        deferred_call: DeferredCall,
    ) -> Self {
        CredentialChecker {
            kernel,
            policy,
            deferred_call,
            awaiting: Cell::new(0),
            client: Cell::new(None),
            trust: Cell::new(None),
            recheck: Cell::new(0),
        }
    }

    /// Make this the kernel's checker: from now on no loaded process starts
    /// before it has checked it.
    pub fn install(&'static self, _capability: &dyn ProcessManagementCapability) {
        assert!(
            self.kernel.processes().len() <= 32,
            "the credential checker tracks at most 32 process slots"
        );
        self.deferred_call.register(self);
        self.kernel.credential_checker.set(Some(self));
    }

    /// Who hears about each outcome.
    pub fn set_client(&self, client: &'static dyn CredentialCheckClient) {
        self.client.set(Some(client));
    }

    /// The policy in force.
    pub fn policy(&self) -> CredentialPolicy {
        self.policy
    }

    /// True while some process waits for a check or for its batch to end.
    pub fn is_busy(&self) -> bool {
        self.deferred_call.is_pending() || self.awaiting.get() != 0
    }

    fn tell(&self, address: usize, result: Result<usize, NotStarted>) {
        if let Some(client) = self.client.get() {
            client.credentials_checked(address, result);
        }
    }

    /// Check one unchecked process; with none left, start the batch.
    fn step(&self) {
        let kernel = self.kernel;
        let unchecked = kernel
            .processes()
            .iter()
            .position(|process| process.is_loaded() && process.approval() == Approval::Unchecked);
        let Some(index) = unchecked else {
            #[cfg(feature = "credentials")]
            if self.recheck_one() {
                self.deferred_call.set();
                return;
            }
            self.start_batch();
            return;
        };
        let process = &kernel.processes()[index];
        let address = process.layout().flash.start;
        match self.check(process.image()) {
            Ok(approval) => {
                process.approval.set(approval);
                self.awaiting.set(self.awaiting.get() | 1 << index);
            }
            Err(refusal) => {
                kernel.print(format_args!(
                    "[kernel] app {} at {:#x} refused: {}\r\n",
                    process.name(),
                    address,
                    refusal
                ));
                kernel.unload(index);
                self.tell(address, Err(NotStarted::Refused(refusal)));
            }
        }
        // The next app (or the batch's end) waits for the next deferred
        // call, so pending interrupts are served first.
        self.deferred_call.set();
    }

    fn start_batch(&self) {
        let awaiting = self.awaiting.get();
        for index in (0..self.kernel.processes().len()).filter(|i| awaiting & 1 << i != 0) {
            let process = &self.kernel.processes()[index];
            if !process.is_loaded() || process.approval() == Approval::Unchecked {
                continue;
            }
            let address = process.layout().flash.start;
            let name = process.name();
            let result = settle_and_start(self.kernel, index, self.awaiting.get());
            if let Err(reason) = result {
                self.kernel.print(format_args!(
                    "[kernel] app {} at {:#x} {}\r\n",
                    name, address, reason
                ));
            }
            self.awaiting.set(self.awaiting.get() & !(1 << index));
            self.tell(address, result.map(|()| index));
        }
        self.awaiting.set(0);
        // One trust-store write per batch (a whole boot's records).
        self.flush_trust_store();
    }
}

#[cfg(feature = "credentials")]
impl DeferredCallClient for CredentialChecker {
    fn handle_deferred_call(&self) {
        self.step();
    }
}

#[cfg(feature = "credentials")]
impl Kernel {
    /// The board's credential checker, if it has one: the loader service
    /// registers with it ([`CredentialChecker::set_client`]) to learn
    /// whether an app it installed was started, and if not, why.
    pub fn credential_checker(&self) -> Option<&'static CredentialChecker> {
        self.credential_checker.get()
    }
}

/// The one way a newly loaded process (in slot `index`) gets to run. With
/// a checker it waits, unchecked, for the checker's deferred call (`Ok`);
/// without one it is admitted at once, unless an app with the same
/// identity and a higher version is loaded.
#[cfg(feature = "credentials")]
pub(crate) fn admit(kernel: &Kernel, index: usize) -> Result<(), NotStarted> {
    let process = &kernel.processes()[index];
    match kernel.credential_checker.get() {
        Some(checker) => {
            process.approval.set(Approval::Unchecked);
            checker.deferred_call.set();
            Ok(())
        }
        None => {
            process.approval.set(Approval::Unverified);
            settle_and_start(kernel, index, 0)
        }
    }
}

/// May the process in slot `index` be (re)started by process management?
/// Only once approved and out of its checking batch.
#[cfg(feature = "credentials")]
pub(crate) fn may_start(kernel: &Kernel, index: usize) -> bool {
    let approved = kernel
        .processes()
        .get(index)
        .is_some_and(|process| process.approval() != Approval::Unchecked);
    let awaiting = kernel
        .credential_checker
        .get()
        .is_some_and(|checker| checker.awaiting.get() & 1 << index != 0);
    approved && !awaiting
}

/// Settle identity conflicts of approved slot `index` and start it, or
/// unload it if a conflicting app wins. `awaiting` marks the slots that
/// are approved but not started yet (they are not incumbents).
#[cfg(feature = "credentials")]
fn settle_and_start(kernel: &Kernel, index: usize, awaiting: u32) -> Result<(), NotStarted> {
    let Some(mine) = kernel.loaded_identity(index) else {
        kernel.start_fresh(index);
        return Ok(());
    };
    let conflicting = |other: usize| {
        (other != index)
            .then(|| kernel.loaded_identity(other))
            .flatten()
            .filter(|identity| identity.conflicts_with(&mine))
    };
    let slots = kernel.processes().len();
    for other in 0..slots {
        let Some(theirs) = conflicting(other) else {
            continue;
        };
        let incumbent = awaiting & 1 << other == 0 || other < index;
        if theirs.version > mine.version || (theirs.version == mine.version && incumbent) {
            kernel.unload(index);
            return Err(NotStarted::Superseded {
                by: theirs.app_id.name,
                version: theirs.version,
            });
        }
    }
    // Started losers stop now; waiting ones lose when their turn comes
    // (they then meet this one, started, with its higher version).
    for other in (0..slots).filter(|other| awaiting & 1 << other == 0) {
        if let Some(theirs) = conflicting(other) {
            kernel.print(format_args!(
                "[kernel] app {} at {:#x} stopped: {} version {} has the same identity \
                 (the higher version runs)\r\n",
                theirs.app_id.name,
                kernel.processes()[other].layout().flash.start,
                mine.app_id.name,
                mine.version
            ));
            kernel.unload(other);
        }
    }
    kernel.start_fresh(index);
    Ok(())
}

/// Without feature `credentials` there is no checker and no identity
/// settling: a newly loaded process starts at once, unverified.
#[cfg(not(feature = "credentials"))]
pub(crate) fn admit(kernel: &Kernel, index: usize) -> Result<(), NotStarted> {
    if let Some(process) = kernel.processes().get(index) {
        process.approval.set(Approval::Unverified);
        kernel.start_fresh(index);
    }
    Ok(())
}

/// Without feature `credentials` every loaded process is approved.
#[cfg(not(feature = "credentials"))]
pub(crate) fn may_start(kernel: &Kernel, index: usize) -> bool {
    kernel
        .processes()
        .get(index)
        .is_some_and(|process| process.approval() != Approval::Unchecked)
}

#[cfg(feature = "credentials")]
#[path = "checker_trust.rs"]
mod trust;

#[cfg(all(test, feature = "credentials"))]
#[path = "checker_tests.rs"]
mod tests;
