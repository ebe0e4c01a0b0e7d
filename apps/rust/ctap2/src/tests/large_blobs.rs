//! authenticatorLargeBlobs (get and set in fragments, the hash check, the
//! lbw-permission pinUvAuthParam with a PIN, persistence, reset) and the
//! largeBlobKey extension.

use super::hmac_secret::PlatformHalf;
use super::pin::{pin_token, set_pin, tag};
use super::*;
use crate::large_blobs::{INITIAL_ARRAY, MAX_FRAGMENT, MAX_SERIALIZED_ARRAY};
use std::vec;

/// A serialized array: `content`, then the first 16 bytes of its SHA-256.
fn serialized(content: &[u8]) -> Vec<u8> {
    let mut array = content.to_vec();
    array.extend_from_slice(&Sha256::digest(content)[..16]);
    array
}

fn get_request(count: i64, offset: i64) -> Value {
    map(vec![(1, int(count)), (3, int(offset))])
}

fn read(authenticator: &mut Authenticator<TestRecords>, platform: &mut FakePlatform) -> Vec<u8> {
    let mut array = Vec::new();
    loop {
        let request = get_request(500, array.len() as i64);
        let (status, response) = call(authenticator, platform, 0x0c, Some(&request));
        assert_eq!(status, 0, "get");
        let fragment = as_bytes(get_int(response.as_ref().unwrap(), 1));
        if fragment.is_empty() {
            return array;
        }
        array.extend(fragment);
    }
}

/// Sets `array` in fragments of `size`; the status of each.
fn write(
    authenticator: &mut Authenticator<TestRecords>,
    platform: &mut FakePlatform,
    array: &[u8],
    size: usize,
    token: Option<(&PlatformHalf, &[u8])>,
) -> Vec<u8> {
    let mut statuses = Vec::new();
    for (index, fragment) in array.chunks(size).enumerate() {
        let offset = index * size;
        let mut entries = vec![(2, bytes(fragment)), (3, int(offset as i64))];
        if offset == 0 {
            entries.push((4, int(array.len() as i64)));
        }
        if let Some((half, token)) = token {
            let mut message = vec![0xff; 32];
            message.extend_from_slice(&[0x0c, 0x00]);
            message.extend_from_slice(&(offset as u32).to_le_bytes());
            message.extend_from_slice(&Sha256::digest(fragment));
            entries.push((5, bytes(&tag(half, token, &message))));
            entries.push((6, int(i64::from(half.protocol))));
        }
        let (status, _) = call(authenticator, platform, 0x0c, Some(&map(entries)));
        statuses.push(status);
    }
    statuses
}

#[test]
fn a_fresh_device_holds_the_initial_array_and_get_info_says_so() {
    let (mut authenticator, mut platform) = fresh();
    assert_eq!(read(&mut authenticator, &mut platform), INITIAL_ARRAY);
    let (status, info) = call(&mut authenticator, &mut platform, 0x04, None);
    assert_eq!(status, 0);
    let info = info.unwrap();
    let options = get_int(&info, 4).unwrap();
    assert_eq!(get(options, &text("largeBlobs")), Some(&Value::Bool(true)));
    assert_eq!(
        as_integer(get_int(&info, 0x0b)),
        MAX_SERIALIZED_ARRAY as i128
    );
    let extensions = get_int(&info, 2).unwrap().as_array().unwrap();
    assert!(extensions.contains(&text("largeBlobKey")));
}

#[test]
fn an_array_set_in_fragments_reads_back_in_fragments_and_survives_a_reopen() {
    let (mut authenticator, mut platform) = fresh();
    let content: Vec<u8> = (0..2000u32).map(|n| (n * 7) as u8).collect();
    let array = serialized(&content);
    assert_eq!(array.len(), 2016);
    let statuses = write(&mut authenticator, &mut platform, &array, 700, None);
    assert_eq!(statuses, vec![0, 0, 0]);
    assert_eq!(read(&mut authenticator, &mut platform), array);
    let (status, response) = call(
        &mut authenticator,
        &mut platform,
        0x0c,
        Some(&get_request(100, 1000)),
    );
    assert_eq!(status, 0);
    assert_eq!(
        as_bytes(get_int(response.as_ref().unwrap(), 1)),
        &array[1000..1100]
    );
    let storage = core::mem::replace(
        &mut authenticator.persistent().records,
        Store::open(RamStorage::new(REGION)).unwrap(),
    )
    .into_storage();
    let mut reopened = Authenticator::new(Store::open(storage).unwrap(), &mut platform).unwrap();
    assert_eq!(read(&mut reopened, &mut platform), array);
    // A shorter array replaces it entirely (its second chunk too).
    let short = serialized(&[0x81, 0x01]);
    assert_eq!(
        write(&mut reopened, &mut platform, &short, 100, None),
        vec![0]
    );
    assert_eq!(read(&mut reopened, &mut platform), short);
}

#[test]
fn a_bad_hash_or_sequence_keeps_the_old_array() {
    let (mut authenticator, mut platform) = fresh();
    let mut array = serialized(&[0x80; 40]);
    let last = array.len() - 1;
    array[last] ^= 1;
    let statuses = write(&mut authenticator, &mut platform, &array, 30, None);
    assert_eq!(statuses, vec![0, 0x3D], "CTAP2_ERR_INTEGRITY_FAILURE");
    assert_eq!(read(&mut authenticator, &mut platform), INITIAL_ARRAY);
    // A fragment out of sequence, then one that goes past the length.
    let good = serialized(&[0x80; 40]);
    let first = map(vec![(2, bytes(&good[..30])), (3, int(0)), (4, int(56))]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x0c, Some(&first)).0,
        0
    );
    let skipped = map(vec![(2, bytes(&good[30..])), (3, int(31))]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x0c, Some(&skipped)).0,
        0x04
    );
    let too_long = map(vec![(2, bytes(&[0; 27])), (3, int(30))]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x0c, Some(&too_long)).0,
        0x02
    );
    assert_eq!(read(&mut authenticator, &mut platform), INITIAL_ARRAY);
}

#[test]
fn requests_outside_the_limits_are_refused() {
    let (mut authenticator, mut platform) = fresh();
    let over = map(vec![(1, int(MAX_FRAGMENT as i64 + 1)), (3, int(0))]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x0c, Some(&over)).0,
        0x03
    );
    let past_end = get_request(10, INITIAL_ARRAY.len() as i64 + 1);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x0c, Some(&past_end)).0,
        0x02
    );
    let both = map(vec![(1, int(1)), (2, bytes(&[0])), (3, int(0))]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x0c, Some(&both)).0,
        0x02
    );
    let too_big = map(vec![
        (2, bytes(&[0; 17])),
        (3, int(0)),
        (4, int(MAX_SERIALIZED_ARRAY as i64 + 1)),
    ]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x0c, Some(&too_big)).0,
        0x18
    );
    let no_length = map(vec![(2, bytes(&[0; 17])), (3, int(0))]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x0c, Some(&no_length)).0,
        0x02
    );
}

#[test]
fn with_a_pin_a_set_needs_a_token_with_the_large_blob_write_permission() {
    for protocol in [1, 2] {
        let (mut authenticator, mut platform) = fresh();
        let half = PlatformHalf::agree(&mut authenticator, &mut platform, protocol);
        set_pin(&mut authenticator, &mut platform, &half);
        let array = serialized(&[0x81, 0x02]);
        assert_eq!(
            write(&mut authenticator, &mut platform, &array, 64, None),
            vec![0x36]
        );
        // A token with mc only: lbw missing.
        let token = pin_token(
            &mut authenticator,
            &mut platform,
            &half,
            0x01,
            Some("a.com"),
        );
        let statuses = write(
            &mut authenticator,
            &mut platform,
            &array,
            64,
            Some((&half, &token)),
        );
        assert_eq!(statuses, vec![0x33], "CTAP2_ERR_PIN_AUTH_INVALID");
        let token = pin_token(&mut authenticator, &mut platform, &half, 0x10, None);
        let wrong = vec![0u8; 32];
        let statuses = write(
            &mut authenticator,
            &mut platform,
            &array,
            64,
            Some((&half, &wrong)),
        );
        assert_eq!(statuses, vec![0x33]);
        assert_eq!(read(&mut authenticator, &mut platform), INITIAL_ARRAY);
        let statuses = write(
            &mut authenticator,
            &mut platform,
            &array,
            64,
            Some((&half, &token)),
        );
        assert_eq!(statuses, vec![0]);
        assert_eq!(read(&mut authenticator, &mut platform), array);
    }
}

#[test]
fn reset_goes_back_to_the_initial_array() {
    let (mut authenticator, mut platform) = fresh();
    let array = serialized(&[0x7f; 1500]);
    assert_eq!(
        write(&mut authenticator, &mut platform, &array, 1000, None),
        vec![0, 0]
    );
    assert_eq!(call(&mut authenticator, &mut platform, 0x07, None).0, 0);
    assert_eq!(read(&mut authenticator, &mut platform), INITIAL_ARRAY);
}

fn resident_request(rp_id: &str, extra: Vec<(i64, Value)>) -> Value {
    let mut entries = vec![(7, text_map(vec![("rk", Value::Bool(true))]))];
    entries.extend(extra);
    make_credential_request(rp_id, &[1; 8], entries)
}

fn asks_large_blob_key() -> (i64, Value) {
    (6, text_map(vec![("largeBlobKey", Value::Bool(true))]))
}

#[test]
fn the_large_blob_key_comes_only_when_asked_and_only_for_resident_credentials() {
    let (mut authenticator, mut platform) = fresh();
    let asked = resident_request("example.com", vec![asks_large_blob_key()]);
    let (id, _, response) = make_credential(&mut authenticator, &mut platform, &asked);
    let key = as_bytes(get_int(&response, 5));
    assert_eq!(key.len(), 32);
    let plain = resident_request("other.com", vec![]);
    let (_, _, response) = make_credential(&mut authenticator, &mut platform, &plain);
    assert!(get_int(&response, 5).is_none());
    // Not for a non-resident credential, and never `false`.
    let not_resident = make_credential_request("x.com", &[2; 8], vec![asks_large_blob_key()]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x01, Some(&not_resident)).0,
        0x2C
    );
    let refused = resident_request(
        "y.com",
        vec![(6, text_map(vec![("largeBlobKey", Value::Bool(false))]))],
    );
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x01, Some(&refused)).0,
        0x2C
    );
    // GetAssertion gives the same key when asked, nothing otherwise.
    let assertion = |extra: Vec<(i64, Value)>| {
        let mut entries = vec![(1, text("example.com")), (2, bytes(&CLIENT_DATA_HASH))];
        entries.extend(extra);
        map(entries)
    };
    let (status, response) = call(
        &mut authenticator,
        &mut platform,
        0x02,
        Some(&assertion(vec![(
            4,
            text_map(vec![("largeBlobKey", Value::Bool(true))]),
        )])),
    );
    assert_eq!(status, 0);
    let response = response.unwrap();
    assert_eq!(
        as_bytes(get_int(&response, 1).and_then(|c| get(c, &text("id")))),
        id
    );
    assert_eq!(as_bytes(get_int(&response, 7)), key);
    let (status, response) = call(
        &mut authenticator,
        &mut platform,
        0x02,
        Some(&assertion(vec![])),
    );
    assert_eq!(status, 0);
    assert!(get_int(response.as_ref().unwrap(), 7).is_none());
    // A non-resident credential named in the allow list gets none.
    let (other_id, _, _) = make_credential(
        &mut authenticator,
        &mut platform,
        &make_credential_request("z.com", &[3; 8], vec![]),
    );
    let allow = Value::Array(vec![text_map(vec![
        ("id", bytes(&other_id)),
        ("type", text("public-key")),
    ])]);
    let request = map(vec![
        (1, text("z.com")),
        (2, bytes(&CLIENT_DATA_HASH)),
        (3, allow),
        (4, text_map(vec![("largeBlobKey", Value::Bool(true))])),
    ]);
    let (status, response) = call(&mut authenticator, &mut platform, 0x02, Some(&request));
    assert_eq!(status, 0);
    assert!(get_int(response.as_ref().unwrap(), 7).is_none());
}

#[test]
fn a_silent_pre_flight_keeps_the_token_for_the_assertion_and_its_blob_write() {
    let (mut authenticator, mut platform) = fresh();
    let half = PlatformHalf::agree(&mut authenticator, &mut platform, 2);
    set_pin(&mut authenticator, &mut platform, &half);
    let token = pin_token(
        &mut authenticator,
        &mut platform,
        &half,
        0x03,
        Some("example.com"),
    );
    let auth = tag(&half, &token, &CLIENT_DATA_HASH);
    let asked = resident_request(
        "example.com",
        vec![asks_large_blob_key(), (8, bytes(&auth)), (9, int(2))],
    );
    let (id, _, _) = make_credential(&mut authenticator, &mut platform, &asked);
    // A token with ga and lbw: python-fido2 first filters the allow list
    // with up: false, then asserts with up, then writes the blob.
    let token = pin_token(
        &mut authenticator,
        &mut platform,
        &half,
        0x12,
        Some("example.com"),
    );
    let auth = tag(&half, &token, &CLIENT_DATA_HASH);
    let allow = Value::Array(vec![text_map(vec![
        ("id", bytes(&id)),
        ("type", text("public-key")),
    ])]);
    let request = |up: bool| {
        map(vec![
            (1, text("example.com")),
            (2, bytes(&CLIENT_DATA_HASH)),
            (3, allow.clone()),
            (5, text_map(vec![("up", Value::Bool(up))])),
            (6, bytes(&auth)),
            (7, int(2)),
        ])
    };
    let asked_before = platform.presence_asked;
    assert_eq!(
        call(
            &mut authenticator,
            &mut platform,
            0x02,
            Some(&request(false))
        )
        .0,
        0
    );
    assert_eq!(
        platform.presence_asked, asked_before,
        "no touch for the pre-flight"
    );
    assert_eq!(
        call(
            &mut authenticator,
            &mut platform,
            0x02,
            Some(&request(true))
        )
        .0,
        0
    );
    // Spent for assertions now, but lbw is kept.
    assert_eq!(
        call(
            &mut authenticator,
            &mut platform,
            0x02,
            Some(&request(true))
        )
        .0,
        0x33
    );
    let array = serialized(&[0x80]);
    let statuses = write(
        &mut authenticator,
        &mut platform,
        &array,
        64,
        Some((&half, &token)),
    );
    assert_eq!(statuses, vec![0]);
}
