//! The checker and the board's trust store: checking against the store,
//! remembering what it learned (one flash write per batch), and the
//! loader service's trust-store operations ([`TrustManagement`]).

use tbf::trust::ChangeKind;

use super::CredentialChecker;
use crate::credential::{
    check_credentials, check_trusted, ChangeRefusal, NotStarted, Refusal, TrustManagement,
};
use crate::identity::Approval;
use crate::trust_store::TrustStore;

impl CredentialChecker {
    /// Check against `store` from now on (its active keys, revocations,
    /// verified-digest records and minimum versions). Call it before
    /// processes are loaded, after [`TrustStore::mount`].
    pub fn set_trust_store(&self, store: &'static TrustStore<'static>) {
        self.trust.set(Some(store));
    }

    /// The board's trust store, if it has one.
    pub fn trust_store(&self) -> Option<&'static TrustStore<'static>> {
        self.trust.get()
    }

    /// Check `image`: against the trust store if there is one (and note
    /// in it what to remember), else against the policy alone.
    pub(super) fn check(&self, image: &[u8]) -> Result<Approval, Refusal> {
        let Some(store) = self.trust.get() else {
            return check_credentials(image, &self.policy);
        };
        let result = check_trusted(image, &self.policy, &store.state());
        let trusted = result?;
        let mut full = false;
        store.update(|state| {
            let mut changed = false;
            if let Some((digest, signer, signers)) = trusted.verified {
                changed |= state.record_verified(&digest, signer, signers);
            }
            // Version 0 (no Program header version) protects nothing.
            if let (Some(name), true) = (trusted.name, trusted.version > 0) {
                match state.raise_minimum(name.as_bytes(), trusted.version) {
                    Ok(raised) => changed |= raised,
                    Err(()) => full = true,
                }
            }
            ((), changed)
        });
        if full {
            self.kernel.print(format_args!(
                "[kernel] trust store: minimum version list full; {} is not protected \
                 against rollback\r\n",
                trusted.name.unwrap_or("")
            ));
        }
        Ok(trusted.approval)
    }

    /// Write what the store learned (records, minimums), if anything.
    pub(super) fn flush_trust_store(&self) {
        if let Some(Err(error)) = self.trust.get().map(TrustStore::flush) {
            self.kernel.print(format_args!(
                "[kernel] trust store not written: {:?} (it will be retried)\r\n",
                error
            ));
        }
    }

    /// After a revocation: every started signed app is checked again,
    /// one per deferred call (as every check: interrupts are served
    /// between two, and the ECDSA stack never sits on top of the loader
    /// service's).
    fn recheck_started(&self) {
        let mut slots = 0u32;
        for (index, process) in self.kernel.processes().iter().enumerate() {
            if process.is_loaded() && process.approval().signer().is_some() {
                slots |= 1 << index;
            }
        }
        self.recheck.set(slots & !self.awaiting.get());
        self.deferred_call.set();
    }

    /// Check one app marked for a recheck; those that no longer pass are
    /// stopped and reported refused. False when none is marked.
    pub(super) fn recheck_one(&self) -> bool {
        let slots = self.recheck.get();
        if slots == 0 {
            return false;
        }
        let index = slots.trailing_zeros() as usize;
        self.recheck.set(slots & !(1 << index));
        let kernel = self.kernel;
        let Some(process) = kernel.processes().get(index) else {
            return true;
        };
        if !process.is_loaded() || process.approval().signer().is_none() {
            return true;
        }
        if let Err(refusal) = self.check(process.image()) {
            let address = process.layout().flash.start;
            kernel.print(format_args!(
                "[kernel] app {} at {:#x} stopped: refused: {}\r\n",
                process.name(),
                address,
                refusal
            ));
            kernel.unload(index);
            self.tell(address, Err(NotStarted::Refused(refusal)));
        }
        true
    }
}

impl TrustManagement for CredentialChecker {
    fn with_encoded_state(&self, answer: &mut dyn FnMut(&[u8])) -> bool {
        self.trust
            .get()
            .is_some_and(|store| store.with_encoded(answer))
    }

    fn apply_change(&self, change: &[u8]) -> Result<(), ChangeRefusal> {
        let store = self.trust.get().ok_or(ChangeRefusal::NoRootKey)?;
        let applied = store.apply_signed(change)?;
        if let ChangeKind::RevokeKey(_) = applied.kind {
            self.recheck_started();
        }
        Ok(())
    }

    fn refusal_of(&self, image: &[u8]) -> Option<Refusal> {
        match self.trust.get() {
            Some(store) => check_trusted(image, &self.policy, &store.state()).err(),
            None => check_credentials(image, &self.policy).err(),
        }
    }
}

#[cfg(test)]
#[path = "checker_trust_tests.rs"]
mod tests;
