//! Credential checking (feature `credential_checking`): the policy and the
//! public keys embedded at build time (`BOARD_SIGNING_KEY`,
//! `BOARD_CREDENTIAL_POLICY`, `BOARD_SIGNERS_REQUIRED`, see `build/credential_policy.rs` and
//! docs/signing.md), and the checker that runs before any process starts.

use chip_qemu_virt::pflash::Pflash;
use kernel::credential::{CredentialChecker, CredentialPolicy, RawPublicKey};
use kernel::deferred_call::DeferredCalls;
use kernel::Kernel;

use crate::io::BoardCapability;
use crate::static_init;

include!(concat!(env!("OUT_DIR"), "/credential_policy.rs"));

/// Install the checker (before processes are loaded), with the board's
/// trust store under `ecdsa-p256` (`trust_store.rs`). With the policy
/// `none` there is nothing to check and no checker: apps start at once.
pub fn install_checker(
    kernel: &'static Kernel,
    calls: &'static DeferredCalls,
    flash: &'static Pflash,
) -> Option<&'static CredentialChecker> {
    if POLICY == CredentialPolicy::AcceptAll {
        return None;
    }
    if BOARD_SIGNERS_REQUIRED > 1 {
        kernel.print(format_args!(
            "[kernel] credential policy: {} ({} key(s), {} must sign)\r\n",
            POLICY.name(),
            BOARD_KEYS.len(),
            BOARD_SIGNERS_REQUIRED
        ));
    } else {
        kernel.print(format_args!(
            "[kernel] credential policy: {} ({} key(s))\r\n",
            POLICY.name(),
            BOARD_KEYS.len()
        ));
    }
    let checker = static_init!(
        CredentialChecker,
        CredentialChecker::new(kernel, POLICY, calls.allocate())
    );
    if let Some(store) = crate::trust_store::trust_store(kernel, flash) {
        checker.set_trust_store(store);
    }
    checker.install(&BoardCapability);
    Some(checker)
}
