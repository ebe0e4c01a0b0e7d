//! The trust store against a fake NOR flash that refuses to set bits and
//! loses power after a chosen number of operations (the cut operation is
//! left half done): after a cut at every write, mount finds the old state
//! or the new one.

extern crate std;

use super::*;
use crate::tests::fake_nor::FakeNor;
use std::vec;
use std::vec::Vec;
use tbf::crypto::{verifying_key_to_raw, SigningKey, VerifyingKey};
use tbf::trust::{sign_change, ApplyError, Change, ChangeKind, KeyStatus, RawKey, Scope};

const BLOCK: usize = 8192;
const BANKS: [usize; 2] = [0, BLOCK];
const BOARD: &[u8] = b"test-board";

fn erased_flash() -> FakeNor {
    FakeNor::new(BLOCK, vec![0xFF; 2 * BLOCK])
}

fn key(seed: u8) -> (SigningKey, RawKey) {
    let private = SigningKey::from_slice(&[seed; 32]).expect("a valid scalar");
    (
        private.clone(),
        verifying_key_to_raw(&VerifyingKey::from(&private)),
    )
}

fn first_state() -> TrustState {
    TrustState::bootstrap(Some(key(1).1), &[key(2).1])
}

fn root() -> Option<RawKey> {
    Some(key(1).1)
}

/// A store on `flash`, attached, not mounted.
fn attached(flash: &FakeNor) -> TrustStore<'_> {
    let store = TrustStore::new();
    store.attach(flash, BANKS, BOARD);
    store
}

fn signed(kind: ChangeKind, sequence: u32, by: u8) -> Vec<u8> {
    let change = Change {
        kind,
        sequence,
        scope: Scope::Any,
    };
    sign_change(&change, &key(by).0).expect("signs")
}

fn mounted(flash: &FakeNor) -> TrustStore<'_> {
    let store = attached(flash);
    store.mount(root(), &[key(2).1]);
    store
}

#[test]
fn first_mount_creates_the_state_and_the_next_mount_reads_it() {
    let flash = erased_flash();
    let store = attached(&flash);
    assert_eq!(store.mount(root(), &[key(2).1]), Mounted::Created(Ok(())));
    assert_eq!(*store.state(), first_state());
    let again = attached(&flash);
    // The keys given are for a first boot only.
    assert_eq!(again.mount(None, &[]), Mounted::Loaded(1));
    assert_eq!(*again.state(), first_state());
}

#[test]
fn root_signed_changes_apply_and_persist_others_are_refused() {
    let flash = erased_flash();
    let store = mounted(&flash);
    let add = signed(ChangeKind::AddKey(key(3).1), 1, 1);
    store.apply_signed(&add).expect("applies");
    assert_eq!(
        store.apply_signed(&add),
        Err(ChangeRefusal::Refused(ApplyError::StaleSequence {
            current: 1,
            given: 1
        }))
    );
    let forged = signed(ChangeKind::RevokeKey(key(2).1), 2, 2);
    assert_eq!(
        store.apply_signed(&forged),
        Err(ChangeRefusal::BadSignature)
    );
    let mut altered = signed(ChangeKind::RevokeKey(key(2).1), 2, 1);
    altered[20] ^= 1;
    assert_eq!(
        store.apply_signed(&altered),
        Err(ChangeRefusal::BadSignature)
    );
    assert!(matches!(
        store.apply_signed(&add[..10]),
        Err(ChangeRefusal::Malformed(_))
    ));
    let not_a_point = signed(ChangeKind::AddKey([7; 64]), 2, 1);
    assert!(matches!(
        store.apply_signed(&not_a_point),
        Err(ChangeRefusal::Malformed(_))
    ));
    let revoke = signed(ChangeKind::RevokeKey(key(2).1), 2, 1);
    store.apply_signed(&revoke).expect("applies");
    let reread = mounted(&flash);
    assert_eq!(*reread.state(), *store.state());
    assert_eq!(reread.state().keys()[0].status, KeyStatus::Revoked);
    assert_eq!(reread.state().sequence, 2);
}

#[test]
fn a_board_without_root_key_refuses_every_change() {
    let flash = erased_flash();
    let store = attached(&flash);
    store.mount(None, &[key(2).1]);
    let add = signed(ChangeKind::AddKey(key(3).1), 1, 1);
    assert_eq!(store.apply_signed(&add), Err(ChangeRefusal::NoRootKey));
}

#[test]
fn updates_reach_flash_in_one_write_at_flush() {
    let flash = erased_flash();
    let store = mounted(&flash);
    assert_eq!(store.flush(), Ok(false));
    let before = flash.operations.get();
    for index in 0..5u8 {
        store.update(|state| ((), state.record_verified(&[index; 32], 0, 1)));
        store.update(|state| {
            (
                (),
                state.raise_minimum(b"app", u32::from(index)) == Ok(true),
            )
        });
    }
    assert!(store.is_dirty());
    assert_eq!(store.flush(), Ok(true));
    // Erase, state, header, commit word.
    assert_eq!(flash.operations.get() - before, 4);
    let reread = mounted(&flash);
    assert_eq!(reread.state().minimum_version(b"app"), Some(4));
    assert!(reread.state().verified(&[3; 32]).is_some());
}

#[test]
fn a_power_cut_at_every_write_leaves_the_old_or_the_new_state() {
    let mut cuts_that_kept_old = 0;
    for generation_before in 0..3u32 {
        for cut in 0..4 {
            let flash = erased_flash();
            let store = mounted(&flash);
            for sequence in 1..=generation_before {
                let add = signed(ChangeKind::AddKey(key(10 + sequence as u8).1), sequence, 1);
                store.apply_signed(&add).expect("applies");
            }
            let old = *store.state();
            let next_sequence = generation_before + 1;
            let revoke = signed(ChangeKind::RevokeKey(key(2).1), next_sequence, 1);
            flash.power(Some(cut));
            let result = store.apply_signed(&revoke);
            assert!(result.is_err(), "cut {cut}: the write cannot have finished");
            assert_eq!(*store.state(), old, "a failed apply leaves RAM alone");
            flash.power(None);
            let after = attached(&flash);
            assert!(matches!(
                after.mount(root(), &[key(2).1]),
                Mounted::Loaded(_)
            ));
            let found = *after.state();
            assert!(found == old, "cut {cut}: neither old nor new: {found:?}");
            cuts_that_kept_old += 1;
            // The store still works: the change applies after the cut.
            after.apply_signed(&revoke).expect("applies after the cut");
            assert_eq!(after.state().sequence, next_sequence);
            assert_eq!(mounted(&flash).state().sequence, next_sequence);
        }
    }
    assert_eq!(cuts_that_kept_old, 12);
}

#[test]
fn a_cut_during_the_first_write_bootstraps_again() {
    for cut in 0..4 {
        let flash = erased_flash();
        flash.power(Some(cut));
        let store = attached(&flash);
        assert!(matches!(
            store.mount(root(), &[key(2).1]),
            Mounted::Created(Err(_))
        ));
        flash.power(None);
        let again = attached(&flash);
        assert_eq!(again.mount(root(), &[key(2).1]), Mounted::Created(Ok(())));
        assert_eq!(*again.state(), first_state());
    }
}

#[test]
fn a_corrupt_newer_bank_is_ignored() {
    let flash = erased_flash();
    let store = mounted(&flash);
    let add = signed(ChangeKind::AddKey(key(3).1), 1, 1);
    store.apply_signed(&add).expect("applies");
    // Bank B holds generation 2: flip a bit of its state.
    flash.bytes.borrow_mut()[BLOCK + BANK_HEADER_BYTES + 20] ^= 0x01;
    let reread = mounted(&flash);
    assert_eq!(*reread.state(), first_state());
}

/// A small deterministic generator (the seed names a failing sequence).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as u32) % bound
    }
}

/// Seeded random sequences of updates, flushes, changes and power cuts,
/// checked after every step against a model: what flash holds after a
/// remount is the last state that finished committing.
#[test]
fn random_operations_with_power_cuts_match_the_model() {
    for seed in 0..12u64 {
        let mut random = Lcg(seed);
        let flash = erased_flash();
        let mut store = mounted(&flash);
        let mut committed = first_state();
        for step in 0..40 {
            let cut = (random.below(4) == 0).then(|| random.below(4) as usize);
            let sequence = store.state().sequence + 1;
            match random.below(4) {
                0 => {
                    let digest = [random.below(200) as u8; 32];
                    store.update(|state| ((), state.record_verified(&digest, 0, 1)));
                    let version = random.below(9);
                    store.update(|state| ((), state.raise_minimum(b"app", version) == Ok(true)));
                }
                1 => {
                    flash.power(cut);
                    let expected = *store.state();
                    if store.flush().is_ok() {
                        committed = expected;
                    }
                }
                2 => {
                    let seed = 20 + random.below(6) as u8;
                    let kind = match random.below(3) {
                        0 => ChangeKind::AddKey(key(seed).1),
                        1 => ChangeKind::RevokeKey(key(seed).1),
                        _ => ChangeKind::RollbackPermit {
                            name: tbf::trust::AppName::new(b"app"),
                            version: random.below(3),
                        },
                    };
                    let mut expected = *store.state();
                    let change = Change {
                        kind,
                        sequence,
                        scope: Scope::Any,
                    };
                    let allowed = expected.apply(&change, BOARD).is_ok();
                    flash.power(cut);
                    let applied = store.apply_signed(&signed(kind, sequence, 1)).is_ok();
                    assert!(
                        !applied || allowed,
                        "seed {seed} step {step}: applied a refused change"
                    );
                    if applied {
                        committed = expected;
                    }
                }
                _ => {
                    // A reboot: RAM is lost, flash stays.
                    flash.power(None);
                    store = mounted(&flash);
                    assert_eq!(*store.state(), committed, "seed {seed} step {step}: reboot");
                }
            }
            flash.power(None);
            let probe = attached(&flash);
            assert!(matches!(probe.mount(None, &[]), Mounted::Loaded(_)));
            assert_eq!(*probe.state(), committed, "seed {seed} step {step}");
        }
    }
}
