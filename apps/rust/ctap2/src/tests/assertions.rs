//! Making credentials and asserting with them: signatures, counters,
//! resident enumeration, credProtect, exclude lists, reset, persistence.

use super::*;
use crate::attestation::{Attestation, CERTIFICATE};
use std::vec;

#[test]
fn get_info_describes_a_fido_2_1_authenticator() {
    let (mut authenticator, mut platform) = fresh();
    let (status, info) = call(&mut authenticator, &mut platform, 0x04, None);
    assert_eq!(status, 0);
    let info = info.unwrap();
    let versions = get_int(&info, 1).unwrap().as_array().unwrap();
    assert!(versions.contains(&text("FIDO_2_1")) && versions.contains(&text("U2F_V2")));
    assert_eq!(as_bytes(get_int(&info, 3)), crate::attestation::AAGUID);
    let options = get_int(&info, 4).unwrap();
    assert_eq!(get(options, &text("rk")), Some(&Value::Bool(true)));
    assert_eq!(get(options, &text("clientPin")), Some(&Value::Bool(false)));
    assert!(
        as_integer(get_int(&info, 0x14)) >= 150,
        "room for 150 resident keys"
    );
}

#[test]
fn a_credential_is_attested_and_asserts_with_verified_signatures() {
    let (mut authenticator, mut platform) = fresh();
    let request = make_credential_request("example.com", &[1; 16], vec![]);
    let (id, key, response) = make_credential(&mut authenticator, &mut platform, &request);
    assert_eq!(get_int(&response, 1), Some(&text("packed")));
    let data = as_bytes(get_int(&response, 2));
    let parsed = parse_authenticator_data(&data);
    assert_eq!(parsed.rp_id_hash, rp_id_hash("example.com"));
    assert_eq!(parsed.flags & 0x45, 0x41, "UP and AT set, UV clear");
    let statement = get_int(&response, 3).unwrap();
    assert_eq!(as_integer(get(statement, &text("alg"))), -7);
    let chain = get(statement, &text("x5c")).unwrap().as_array().unwrap();
    assert_eq!(chain[0].as_bytes().unwrap().as_slice(), CERTIFICATE);
    let attestation_key = *Attestation::built_in().unwrap().key.verifying_key();
    let point = attestation_key.to_encoded_point(false);
    assert!(CERTIFICATE
        .windows(65)
        .any(|window| window == point.as_bytes()));
    verify(
        &attestation_key,
        &data,
        &as_bytes(get(statement, &text("sig"))),
    );

    let allow = Value::Array(vec![text_map(vec![
        ("id", bytes(&id)),
        ("type", text("public-key")),
    ])]);
    let get_request = map(vec![
        (1, text("example.com")),
        (2, bytes(&CLIENT_DATA_HASH)),
        (3, allow),
    ]);
    let (status, assertion) = call(&mut authenticator, &mut platform, 0x02, Some(&get_request));
    assert_eq!(status, 0);
    let assertion = assertion.unwrap();
    let assertion_data = as_bytes(get_int(&assertion, 2));
    let asserted = parse_authenticator_data(&assertion_data);
    assert_eq!(asserted.flags, 0x01);
    assert!(
        asserted.counter > parsed.counter,
        "the counter moves forward"
    );
    verify(&key, &assertion_data, &as_bytes(get_int(&assertion, 3)));
    let credential = get_int(&assertion, 1).unwrap();
    assert_eq!(as_bytes(get(credential, &text("id"))), id);

    // Another relying party does not know it.
    let other = map(vec![
        (1, text("evil.example")),
        (2, bytes(&CLIENT_DATA_HASH)),
        (
            3,
            Value::Array(vec![text_map(vec![
                ("id", bytes(&id)),
                ("type", text("public-key")),
            ])]),
        ),
    ]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x02, Some(&other)).0,
        0x2E
    );
}

#[test]
fn presence_is_required_and_up_false_gives_an_unflagged_assertion() {
    let (mut authenticator, mut platform) = fresh();
    platform.touch = false;
    let request = make_credential_request("example.com", &[1; 16], vec![]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x01, Some(&request)).0,
        0x2F
    );
    platform.touch = true;
    let (id, key, _) = make_credential(&mut authenticator, &mut platform, &request);
    platform.touch = false;
    let silent = map(vec![
        (1, text("example.com")),
        (2, bytes(&CLIENT_DATA_HASH)),
        (
            3,
            Value::Array(vec![text_map(vec![
                ("id", bytes(&id)),
                ("type", text("public-key")),
            ])]),
        ),
        (5, text_map(vec![("up", Value::Bool(false))])),
    ]);
    let (status, assertion) = call(&mut authenticator, &mut platform, 0x02, Some(&silent));
    assert_eq!(status, 0);
    let assertion = assertion.unwrap();
    let data = as_bytes(get_int(&assertion, 2));
    assert_eq!(parse_authenticator_data(&data).flags & 0x01, 0);
    verify(&key, &data, &as_bytes(get_int(&assertion, 3)));
}

fn resident(rp_id: &str, user: u8, extra: Vec<(i64, Value)>) -> Value {
    let mut options = vec![(7, text_map(vec![("rk", Value::Bool(true))]))];
    options.extend(extra);
    make_credential_request(rp_id, &[user; 8], options)
}

fn discover(rp_id: &str) -> Value {
    map(vec![(1, text(rp_id)), (2, bytes(&CLIENT_DATA_HASH))])
}

#[test]
fn resident_credentials_enumerate_newest_first_through_get_next_assertion() {
    let (mut authenticator, mut platform) = fresh();
    let mut keys = Vec::new();
    for user in 1..=3 {
        let request = resident("example.com", user, vec![]);
        keys.push(make_credential(&mut authenticator, &mut platform, &request));
    }
    make_credential(
        &mut authenticator,
        &mut platform,
        &resident("other.com", 9, vec![]),
    );
    let (status, first) = call(
        &mut authenticator,
        &mut platform,
        0x02,
        Some(&discover("example.com")),
    );
    assert_eq!(status, 0);
    let first = first.unwrap();
    assert_eq!(as_integer(get_int(&first, 5)), 3);
    let mut seen = vec![first];
    for _ in 0..2 {
        let (status, next) = call(&mut authenticator, &mut platform, 0x08, None);
        assert_eq!(status, 0);
        seen.push(next.unwrap());
    }
    assert_eq!(call(&mut authenticator, &mut platform, 0x08, None).0, 0x30);
    for (index, assertion) in seen.iter().enumerate() {
        let (id, key, _) = &keys[2 - index];
        let credential = get_int(assertion, 1).unwrap();
        assert_eq!(&as_bytes(get(credential, &text("id"))), id);
        let user = get_int(assertion, 4).unwrap();
        assert_eq!(as_bytes(get(user, &text("id"))), vec![3 - index as u8; 8]);
        // Without user verification, no identifying details.
        assert_eq!(get(user, &text("name")), None);
        verify(
            key,
            &as_bytes(get_int(assertion, 2)),
            &as_bytes(get_int(assertion, 3)),
        );
    }
    // Making a credential for the same user replaces it.
    make_credential(
        &mut authenticator,
        &mut platform,
        &resident("example.com", 2, vec![]),
    );
    let (_, again) = call(
        &mut authenticator,
        &mut platform,
        0x02,
        Some(&discover("example.com")),
    );
    assert_eq!(as_integer(get_int(&again.unwrap(), 5)), 3);
}

#[test]
fn one_hundred_sixty_resident_keys_fit_and_each_is_found() {
    let (mut authenticator, mut platform) = fresh();
    for index in 0..160u32 {
        let rp = std::format!("rp{index}.example.com");
        let request = make_credential_request(
            &rp,
            &index.to_be_bytes(),
            vec![(7, text_map(vec![("rk", Value::Bool(true))]))],
        );
        let (status, _) = call(&mut authenticator, &mut platform, 0x01, Some(&request));
        assert_eq!(status, 0, "credential {index}");
    }
    for index in [0u32, 77, 159] {
        let rp = std::format!("rp{index}.example.com");
        let (status, found) = call(
            &mut authenticator,
            &mut platform,
            0x02,
            Some(&discover(&rp)),
        );
        assert_eq!(status, 0);
        let user = get_int(found.as_ref().unwrap(), 4).unwrap();
        assert_eq!(as_bytes(get(user, &text("id"))), index.to_be_bytes());
    }
}

fn protected(level: i64) -> Vec<(i64, Value)> {
    vec![(6, text_map(vec![("credProtect", int(level))]))]
}

#[test]
fn cred_protect_levels_limit_use_without_user_verification() {
    let (mut authenticator, mut platform) = fresh();
    let mut ids = Vec::new();
    for level in 1..=3 {
        let request = resident("example.com", level as u8, protected(level));
        let (id, _, response) = make_credential(&mut authenticator, &mut platform, &request);
        let parsed = parse_authenticator_data(&as_bytes(get_int(&response, 2)));
        let extensions = parsed.extensions.unwrap();
        assert_eq!(
            as_integer(get(&extensions, &text("credProtect"))),
            i128::from(level)
        );
        ids.push(id);
    }
    // Discovery without UV offers level 1 only.
    let (status, found) = call(
        &mut authenticator,
        &mut platform,
        0x02,
        Some(&discover("example.com")),
    );
    assert_eq!(status, 0);
    let found = found.unwrap();
    assert_eq!(get_int(&found, 5), Some(&int(1)));
    assert_eq!(
        as_bytes(get(get_int(&found, 1).unwrap(), &text("id"))),
        ids[0]
    );
    // Level 2 works when named; level 3 never without UV.
    for (index, expected) in [(1, 0), (2, 0x2E)] {
        let named = map(vec![
            (1, text("example.com")),
            (2, bytes(&CLIENT_DATA_HASH)),
            (
                3,
                Value::Array(vec![text_map(vec![
                    ("id", bytes(&ids[index])),
                    ("type", text("public-key")),
                ])]),
            ),
        ]);
        assert_eq!(
            call(&mut authenticator, &mut platform, 0x02, Some(&named)).0,
            expected
        );
    }
    // A level 3 credential does not exclude without UV either.
    let exclude = vec![(
        5,
        Value::Array(vec![text_map(vec![
            ("id", bytes(&ids[2])),
            ("type", text("public-key")),
        ])]),
    )];
    let request = make_credential_request("example.com", &[7; 8], exclude);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x01, Some(&request)).0,
        0
    );
}

#[test]
fn an_excluded_credential_is_refused_after_a_touch() {
    let (mut authenticator, mut platform) = fresh();
    let request = make_credential_request("example.com", &[1; 16], vec![]);
    let (id, _, _) = make_credential(&mut authenticator, &mut platform, &request);
    let exclude = vec![(
        5,
        Value::Array(vec![text_map(vec![
            ("id", bytes(&id)),
            ("type", text("public-key")),
        ])]),
    )];
    let again = make_credential_request("example.com", &[1; 16], exclude);
    let asked = platform.presence_asked;
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x01, Some(&again)).0,
        0x19
    );
    assert_eq!(platform.presence_asked, asked + 1);
}

#[test]
fn the_counter_survives_a_reopen_of_the_storage() {
    let (mut authenticator, mut platform) = fresh();
    let request = resident("example.com", 1, vec![]);
    let (_, key, response) = make_credential(&mut authenticator, &mut platform, &request);
    let before = parse_authenticator_data(&as_bytes(get_int(&response, 2))).counter;
    let storage = core::mem::replace(
        &mut authenticator.persistent().records,
        Store::open(RamStorage::new(REGION)).unwrap(),
    )
    .into_storage();
    let mut reopened = Authenticator::new(Store::open(storage).unwrap(), &mut platform).unwrap();
    let (status, found) = call(
        &mut reopened,
        &mut platform,
        0x02,
        Some(&discover("example.com")),
    );
    assert_eq!(
        status, 0,
        "the resident credential and device secret survive"
    );
    let found = found.unwrap();
    // One account and no user verification: its id only.
    let user = get_int(&found, 4).unwrap();
    assert_eq!(get(user, &text("name")), None);
    let data = as_bytes(get_int(&found, 2));
    assert!(parse_authenticator_data(&data).counter > before);
    verify(&key, &data, &as_bytes(get_int(&found, 3)));
}

#[test]
fn reset_needs_a_fresh_power_up_and_forgets_every_credential() {
    let (mut authenticator, mut platform) = fresh();
    let (id, _, _) = make_credential(
        &mut authenticator,
        &mut platform,
        &resident("example.com", 1, vec![]),
    );
    platform.now_ms = 10_001;
    assert_eq!(call(&mut authenticator, &mut platform, 0x07, None).0, 0x30);
    platform.now_ms = 5_000;
    platform.touch = false;
    assert_eq!(call(&mut authenticator, &mut platform, 0x07, None).0, 0x2F);
    platform.touch = true;
    let counter_before = authenticator.persistent().counter().unwrap();
    assert_eq!(call(&mut authenticator, &mut platform, 0x07, None).0, 0);
    assert_eq!(
        call(
            &mut authenticator,
            &mut platform,
            0x02,
            Some(&discover("example.com"))
        )
        .0,
        0x2E
    );
    let named = map(vec![
        (1, text("example.com")),
        (2, bytes(&CLIENT_DATA_HASH)),
        (
            3,
            Value::Array(vec![text_map(vec![
                ("id", bytes(&id)),
                ("type", text("public-key")),
            ])]),
        ),
    ]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x02, Some(&named)).0,
        0x2E
    );
    assert_eq!(
        authenticator.persistent().counter().unwrap(),
        counter_before
    );
}

#[test]
fn u2f_messages_share_the_authenticator() {
    let (mut authenticator, mut platform) = fresh();
    let mut response = [0u8; u2f::u2f::MAX_RESPONSE];
    let length = authenticator.handle_u2f(&mut platform, &[0, 3, 0, 0, 0, 0, 0], &mut response);
    assert_eq!(&response[..length], b"U2F_V2\x90\x00");
    let mut register = vec![0, 1, 0, 0, 0, 0, 64];
    register.extend_from_slice(&[0x11; 32]);
    register.extend_from_slice(&rp_id_hash("example.com"));
    let length = authenticator.handle_u2f(&mut platform, &register, &mut response);
    assert_eq!(&response[length - 2..length], &[0x90, 0x00]);
    // The U2F key handle is a credential for CTAP2 GetAssertion.
    let handle = response[67..67 + 64].to_vec();
    let named = map(vec![
        (1, text("example.com")),
        (2, bytes(&CLIENT_DATA_HASH)),
        (
            3,
            Value::Array(vec![text_map(vec![
                ("id", bytes(&handle)),
                ("type", text("public-key")),
            ])]),
        ),
    ]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x02, Some(&named)).0,
        0
    );
}
