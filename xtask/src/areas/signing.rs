//! The signing area (owner: the signing pipeline's author): signed apps
//! end to end on qemu-rv32-virt. Keys are made with `tbf keygen`, kernels
//! built with the board key embedded (`BOARD_SIGNING_KEY`) or under the
//! SHA-256 policy (`BOARD_CREDENTIAL_POLICY=sha256`), test apps packaged
//! with `tbf pack` and signed with `tbf sign`; QEMU tests
//! (`signing/scenarios.rs`) and the `kernel.ecdsa_p256_verify_instructions`,
//! `kernel.boot_4_signed_vs_unsigned_instructions` and
//! `kernel.credential_checker_text_bytes` figures (`signing/figures.rs`).
//! The host tests of the checker itself are the kernel crate's
//! (`kernel/core/src/credential`, `identity`), run by the host area; those
//! of its verifier (`kernel/p256-verify`: Wycheproof, differential against
//! RustCrypto) too. `cortexm.ecdsa_p256_verify_instructions` and
//! `rv32.ecdsa_p256_verify_bare_instructions` come from the verifier's
//! bare-metal guest (`signing/bare_verify.rs`).
//! The trust-store tests (issue 19: rotation, revocation, anti-rollback,
//! root-signed changes, power cuts) boot a kernel built with a root key
//! (`signing/trust_board.rs`) and drive it with `loader keys`.

mod bare_verify;
mod downgrade;
mod figures;
mod fixture;
mod key_rotation;
mod live;
mod live_refusals;
mod scenarios;
mod several_signers;
mod trust_board;
mod trust_power_cut;
mod trust_signers;

// The kernel area's image and flash helpers: the same board arguments
// and flash layout as every other QEMU test.
use super::kernel::image as kernel_image;

use super::targets::{RISCV32IMAC, THUMBV7EM};
use super::{Area, DeviceCrate};
use crate::bench::Figures;
use crate::context::Context;
use anyhow::{bail, Result};
use fixture::Fixture;

/// The signing area in the registry.
pub const AREA: Area = Area {
    name: "signing",
    about: "signed apps in QEMU: credential policies, tampering, unknown keys, version conflicts",
    tests,
    bench: Some(bench),
    device_crates: &[
        // The kernel's signature verifier, on both architectures' cores.
        DeviceCrate {
            package: "p256-verify",
            targets: &[RISCV32IMAC, THUMBV7EM],
        },
        DeviceCrate {
            package: "p256-verify-bench",
            targets: &[RISCV32IMAC, THUMBV7EM],
        },
    ],
};

/// The trust-store tests, in the order they run (after `scenarios::TESTS`).
const TRUST_TESTS: &[scenarios::Test] = &[
    (
        "a_key_certified_by_the_root_signs_apps_that_run_after_a_reboot",
        key_rotation::a_key_certified_by_the_root_signs_apps_that_run_after_a_reboot,
    ),
    (
        "a_revoked_keys_apps_are_refused_live_and_at_boot_with_the_reason_listed",
        key_rotation::a_revoked_keys_apps_are_refused_live_and_at_boot_with_the_reason_listed,
    ),
    (
        "a_lower_version_is_refused_live_and_at_boot_until_the_root_permits_it",
        downgrade::a_lower_version_is_refused_live_and_at_boot_until_the_root_permits_it,
    ),
    (
        "a_root_handed_to_an_hsm_by_an_outside_signer_signs_the_next_change_in_the_hsm",
        trust_signers::a_root_handed_to_an_hsm_by_an_outside_signer_signs_the_next_change_in_the_hsm,
    ),
    (
        "a_power_cut_while_a_change_is_applied_leaves_the_old_or_the_new_state",
        trust_power_cut::a_power_cut_while_a_change_is_applied_leaves_the_old_or_the_new_state,
    ),
    (
        "a_power_cut_during_an_install_that_raises_the_minimum_leaves_a_runnable_app",
        trust_power_cut::a_power_cut_during_an_install_that_raises_the_minimum_leaves_a_runnable_app,
    ),
];

/// Every signing test in QEMU (`signing:NAME` selects by name).
pub fn tests(ctx: &Context) -> Result<()> {
    let selected: Vec<&scenarios::Test> = scenarios::TESTS
        .iter()
        .chain(TRUST_TESTS)
        .filter(|(name, _)| {
            ctx.filter
                .as_deref()
                .is_none_or(|filter| name.contains(filter))
        })
        .collect();
    if selected.is_empty() {
        bail!("no signing test matches the filter {:?}", ctx.filter);
    }
    let mut fixture = Fixture::new(ctx)?;
    let mut failed = Vec::new();
    for (name, test) in selected {
        match test(&mut fixture) {
            Ok(()) => println!("signing: {name} ... ok"),
            Err(error) => {
                println!("signing: {name} ... FAILED\n{error:#}");
                failed.push(*name);
            }
        }
    }
    if !failed.is_empty() {
        bail!("signing tests failed: {}", failed.join(", "));
    }
    Ok(())
}

/// The signing figures.
pub fn bench(ctx: &Context, figures: &mut Figures) -> Result<()> {
    let mut fixture = Fixture::new(ctx)?;
    figures::measure(&mut fixture, figures)?;
    bare_verify::measure(ctx, figures)
}
