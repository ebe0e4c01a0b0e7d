use super::*;
use crate::crypto::{verifying_key_to_raw, SigningKey, VerifyingKey};
use proptest::prelude::*;
use std::format;

fn key(seed: u8) -> (SigningKey, RawKey) {
    let private = SigningKey::from_slice(&[seed; 32]).expect("a valid scalar");
    let public = verifying_key_to_raw(&VerifyingKey::from(&private));
    (private, public)
}

fn state() -> TrustState {
    TrustState::bootstrap(Some(key(1).1), &[key(2).1, key(3).1])
}

fn round_trip(state: &TrustState) -> TrustState {
    let mut bytes = [0u8; MAX_ENCODED_STATE];
    let length = state.encode(&mut bytes).expect("fits");
    assert_eq!(length, state.encoded_len());
    TrustState::decode(&bytes[..length]).expect("decodes")
}

fn change(kind: ChangeKind, sequence: u32) -> Change {
    Change {
        kind,
        sequence,
        scope: Scope::Any,
    }
}

#[test]
fn a_full_state_round_trips_at_its_largest() {
    let mut full = state();
    for seed in 4..10 {
        full.apply(
            &change(ChangeKind::AddKey(key(seed).1), u32::from(seed)),
            b"",
        )
        .expect("room for 8 keys");
    }
    full.apply(&change(ChangeKind::RevokeKey(key(2).1), 20), b"")
        .expect("revokes");
    for index in 0..MAX_MINIMUM_VERSIONS {
        let name = [b'a' + (index % 26) as u8; 40];
        let name = &name[..1 + index];
        assert_eq!(full.raise_minimum(name, index as u32), Ok(true));
    }
    assert_eq!(full.raise_minimum(b"one too many", 1), Err(()));
    for index in 0..MAX_VERIFIED_DIGESTS + 3 {
        assert!(full.record_verified(&[index as u8; 32], 1, 1));
    }
    assert_eq!(full.encoded_len(), MAX_ENCODED_STATE);
    assert_eq!(round_trip(&full), full);
    assert_eq!(full.keys()[0].status, KeyStatus::Revoked);
    // The oldest records gave way.
    assert!(full.verified(&[0; 32]).is_none());
    assert!(full
        .verified(&[(MAX_VERIFIED_DIGESTS + 2) as u8; 32])
        .is_some());
    // Names longer than 32 bytes are kept hashed.
    assert_eq!(full.minimum_version(&[b'f'; 32][..32]), Some(31));
}

#[test]
fn a_state_without_root_round_trips_and_bad_fields_are_refused() {
    let bare = TrustState::bootstrap(None, &[key(2).1]);
    assert_eq!(round_trip(&bare), bare);
    let mut bytes = [0u8; MAX_ENCODED_STATE];
    let length = bare.encode(&mut bytes).expect("fits");
    let bytes = &bytes[..length];
    let mutate = |at: usize, value: u8| {
        let mut copy = bytes.to_vec();
        copy[at] = value;
        TrustState::decode(&copy)
    };
    assert_eq!(mutate(0, 2), Err(FormatError::UnknownFormat));
    assert_eq!(mutate(1, 2), Err(FormatError::BadField("flags")));
    assert_eq!(mutate(2, 9), Err(FormatError::TooMany));
    assert_eq!(mutate(16, 1), Err(FormatError::BadField("root")));
    assert_eq!(mutate(80, 2), Err(FormatError::BadField("key status")));
    assert!(matches!(
        TrustState::decode(&bytes[..length - 1]),
        Err(FormatError::Length { .. })
    ));
}

#[test]
fn signed_changes_round_trip_and_verify_only_with_the_root() {
    let (root, root_public) = key(1);
    let kinds = [
        ChangeKind::AddKey(key(5).1),
        ChangeKind::RevokeKey(key(2).1),
        ChangeKind::ReplaceRoot(key(6).1),
        ChangeKind::RollbackPermit {
            name: AppName::new(b"hello"),
            version: 3,
        },
    ];
    for kind in kinds {
        let scoped = Change {
            kind,
            sequence: 7,
            scope: Scope::Board(BoardName::new(b"qemu-rv32-virt").expect("short")),
        };
        for change in [
            scoped,
            Change {
                scope: Scope::Any,
                ..scoped
            },
        ] {
            let bytes = sign_change(&change, &root).expect("signs");
            assert!(bytes.len() <= MAX_ENCODED_CHANGE);
            let decoded = SignedChange::decode(&bytes).expect("decodes");
            assert_eq!(decoded.change, change);
            assert!(decoded.verify(&root_public));
            assert!(!decoded.verify(&key(2).1));
            let mut altered = bytes.clone();
            altered[8] ^= 1;
            assert!(!SignedChange::decode(&altered)
                .expect("decodes")
                .verify(&root_public));
        }
    }
}

#[test]
fn changes_apply_in_sequence_and_replays_are_refused() {
    let mut state = state();
    let add = change(ChangeKind::AddKey(key(5).1), 1);
    state.apply(&add, b"board").expect("applies");
    assert_eq!((state.sequence, state.epoch, state.keys().len()), (1, 1, 3));
    assert_eq!(
        state.apply(&add, b"board"),
        Err(ApplyError::StaleSequence {
            current: 1,
            given: 1
        })
    );
    let again = change(ChangeKind::AddKey(key(5).1), 2);
    assert_eq!(
        state.apply(&again, b"board"),
        Err(ApplyError::AlreadyListed)
    );
    let unknown = change(ChangeKind::RevokeKey(key(9).1), 2);
    assert_eq!(state.apply(&unknown, b"board"), Err(ApplyError::UnknownKey));
    let elsewhere = Change {
        scope: Scope::Board(BoardName::new(b"other").expect("short")),
        ..change(ChangeKind::RevokeKey(key(5).1), 2)
    };
    assert_eq!(
        state.apply(&elsewhere, b"board"),
        Err(ApplyError::WrongDevice)
    );
    // Refused changes changed nothing.
    assert_eq!((state.sequence, state.epoch), (1, 1));
    state
        .apply(&change(ChangeKind::ReplaceRoot(key(7).1), 5), b"board")
        .expect("applies");
    assert_eq!(state.root, Some(key(7).1));
}

#[test]
fn key_changes_invalidate_digest_records_and_rollback_lowers_the_minimum() {
    let mut state = state();
    assert!(state.record_verified(&[9; 32], 0, 1));
    assert!(!state.record_verified(&[9; 32], 0, 1));
    assert_eq!(
        state.verified(&[9; 32]).map(|record| record.signer),
        Some(0)
    );
    state
        .apply(&change(ChangeKind::RevokeKey(key(2).1), 1), b"")
        .expect("applies");
    assert_eq!(state.verified(&[9; 32]), None);
    assert_eq!(state.raise_minimum(b"hello", 4), Ok(true));
    assert_eq!(state.raise_minimum(b"hello", 2), Ok(false));
    let permit = ChangeKind::RollbackPermit {
        name: AppName::new(b"hello"),
        version: 2,
    };
    state.apply(&change(permit, 2), b"").expect("applies");
    assert_eq!(state.minimum_version(b"hello"), Some(2));
    // A permit leaves the digest records alone.
    assert_eq!(state.epoch, 1);
}

#[test]
fn fingerprints_and_names_display() {
    let print = fingerprint(&key(1).1);
    assert_eq!(format!("{}", Hex(&print)).len(), 16);
    assert_eq!(format!("{}", AppName::new(b"hello")), "hello");
    assert!(format!("{}", AppName::new(&[b'x'; 40])).starts_with("sha256:"));
}

proptest! {
    #[test]
    fn decoders_never_panic_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..3100)) {
        let _ = TrustState::decode(&bytes);
        if let Ok(change) = SignedChange::decode(&bytes) {
            let _ = change.verify(&key(1).1);
        }
    }

    #[test]
    fn any_byte_flip_of_a_signed_change_is_refused(at in 0usize..140, bit in 0u8..8) {
        let (root, root_public) = key(1);
        let bytes = sign_change(&change(ChangeKind::AddKey(key(5).1), 3), &root).expect("signs");
        let mut altered = bytes.clone();
        let at = at % altered.len();
        altered[at] ^= 1 << bit;
        let accepted = SignedChange::decode(&altered).is_ok_and(|change| change.verify(&root_public));
        prop_assert!(!accepted);
    }

    #[test]
    fn a_valid_state_prefix_never_decodes(cut in 0usize..200) {
        let mut bytes = [0u8; MAX_ENCODED_STATE];
        let length = state().encode(&mut bytes).expect("fits");
        let cut = cut % length;
        prop_assert!(TrustState::decode(&bytes[..cut]).is_err());
    }
}
