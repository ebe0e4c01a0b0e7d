//! PINs through authenticatorClientPIN, and what a pinUvAuthToken allows:
//! user verification in MakeCredential and GetAssertion (with its rpId
//! binding), credProtect level 3, and credential management.

use super::hmac_secret::PlatformHalf;
use super::*;
use std::vec;

const PIN: &[u8] = b"1234";

/// Sets the PIN with `protocol`.
pub(super) fn set_pin(
    authenticator: &mut Authenticator<TestRecords>,
    platform: &mut FakePlatform,
    half: &PlatformHalf,
) {
    let mut padded = [0u8; 64];
    padded[..PIN.len()].copy_from_slice(PIN);
    let new_pin_enc = half.encrypt(&padded);
    let request = map(vec![
        (1, int(half_protocol(half))),
        (2, int(3)),
        (3, half_key(half)),
        (4, bytes(&half.authenticate(&new_pin_enc))),
        (5, bytes(&new_pin_enc)),
    ]);
    assert_eq!(
        call(authenticator, platform, 0x06, Some(&request)).0,
        0,
        "setPIN"
    );
}

fn half_protocol(half: &PlatformHalf) -> i64 {
    i64::from(half.protocol)
}

fn half_key(half: &PlatformHalf) -> Value {
    half.cose_key.clone()
}

/// A pinUvAuthToken with `permissions` (bound to `rp_id` if given).
pub(super) fn pin_token(
    authenticator: &mut Authenticator<TestRecords>,
    platform: &mut FakePlatform,
    half: &PlatformHalf,
    permissions: i64,
    rp_id: Option<&str>,
) -> Vec<u8> {
    let pin_hash = &Sha256::digest(PIN)[..16];
    let mut entries = vec![
        (1, int(half_protocol(half))),
        (2, int(9)),
        (3, half_key(half)),
        (6, bytes(&half.encrypt(pin_hash))),
        (9, int(permissions)),
    ];
    if let Some(rp_id) = rp_id {
        entries.push((10, text(rp_id)));
    }
    let (status, response) = call(authenticator, platform, 0x06, Some(&map(entries)));
    assert_eq!(status, 0, "getPinUvAuthTokenUsingPinWithPermissions");
    half.decrypt(&as_bytes(get_int(response.as_ref().unwrap(), 2)))
}

pub(super) fn tag(half: &PlatformHalf, key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(key).unwrap();
    hmac::Mac::update(&mut mac, message);
    let full = hmac::Mac::finalize(mac).into_bytes();
    full[..if half.protocol == 1 { 16 } else { 32 }].to_vec()
}

#[test]
fn a_pin_token_gives_user_verification_for_its_relying_party_only() {
    for protocol in [1u8, 2] {
        let (mut authenticator, mut platform) = fresh();
        let half = PlatformHalf::agree(&mut authenticator, &mut platform, protocol);
        set_pin(&mut authenticator, &mut platform, &half);
        // With a PIN, a resident credential needs user verification.
        let rk = vec![
            (7, text_map(vec![("rk", Value::Bool(true))])),
            (6, text_map(vec![("credProtect", int(3))])),
        ];
        let request = make_credential_request("example.com", &[1; 8], rk.clone());
        assert_eq!(
            call(&mut authenticator, &mut platform, 0x01, Some(&request)).0,
            0x36
        );
        let token = pin_token(
            &mut authenticator,
            &mut platform,
            &half,
            0x01,
            Some("example.com"),
        );
        let param = tag(&half, &token, &CLIENT_DATA_HASH);
        let mut verified = rk.clone();
        verified.push((8, bytes(&param)));
        verified.push((9, int(protocol.into())));
        // The token is bound to example.com: another RP is refused.
        let elsewhere = make_credential_request("other.example", &[1; 8], verified.clone());
        assert_eq!(
            call(&mut authenticator, &mut platform, 0x01, Some(&elsewhere)).0,
            0x33
        );
        let request = make_credential_request("example.com", &[1; 8], verified);
        let (_, key, response) = make_credential(&mut authenticator, &mut platform, &request);
        let data = parse_authenticator_data(&as_bytes(get_int(&response, 2)));
        assert_eq!(data.flags & 0x04, 0x04, "UV set");
        // Level 3: discoverable only with UV, and then with the user's name.
        let discover = map(vec![
            (1, text("example.com")),
            (2, bytes(&CLIENT_DATA_HASH)),
        ]);
        assert_eq!(
            call(&mut authenticator, &mut platform, 0x02, Some(&discover)).0,
            0x2E
        );
        let token = pin_token(
            &mut authenticator,
            &mut platform,
            &half,
            0x02,
            Some("example.com"),
        );
        let discover = map(vec![
            (1, text("example.com")),
            (2, bytes(&CLIENT_DATA_HASH)),
            (6, bytes(&tag(&half, &token, &CLIENT_DATA_HASH))),
            (7, int(protocol.into())),
        ]);
        let (status, found) = call(&mut authenticator, &mut platform, 0x02, Some(&discover));
        assert_eq!(status, 0);
        let found = found.unwrap();
        let data = as_bytes(get_int(&found, 2));
        assert_eq!(parse_authenticator_data(&data).flags & 0x05, 0x05);
        verify(&key, &data, &as_bytes(get_int(&found, 3)));
        let user = get_int(&found, 4).unwrap();
        assert_eq!(get(user, &text("name")), Some(&text("ada")));
        // The token's mc/ga permissions are spent by use.
        assert_eq!(
            call(&mut authenticator, &mut platform, 0x02, Some(&discover)).0,
            0x33
        );
    }
}

fn management(
    half: &PlatformHalf,
    token: &[u8],
    subcommand: i64,
    parameters: Option<Value>,
) -> Value {
    let mut message = vec![subcommand as u8];
    let mut entries = vec![(1, int(subcommand))];
    if let Some(parameters) = parameters {
        ciborium::ser::into_writer(&parameters, &mut message).unwrap();
        entries.push((2, parameters));
    }
    entries.push((3, int(half_protocol(half))));
    entries.push((4, bytes(&tag(half, token, &message))));
    map(entries)
}

#[test]
fn credential_management_counts_enumerates_and_deletes_resident_credentials() {
    let (mut authenticator, mut platform) = fresh();
    let rk = || vec![(7, text_map(vec![("rk", Value::Bool(true))]))];
    let mut ids = Vec::new();
    for (rp, user) in [("a.example", 1u8), ("b.example", 2), ("b.example", 3)] {
        let request = make_credential_request(rp, &[user; 8], rk());
        ids.push(make_credential(&mut authenticator, &mut platform, &request).0);
    }
    let half = PlatformHalf::agree(&mut authenticator, &mut platform, 2);
    set_pin(&mut authenticator, &mut platform, &half);
    let token = pin_token(&mut authenticator, &mut platform, &half, 0x04, None);
    let metadata = management(&half, &token, 1, None);
    let (status, response) = call(&mut authenticator, &mut platform, 0x0a, Some(&metadata));
    assert_eq!(status, 0);
    assert_eq!(as_integer(get_int(response.as_ref().unwrap(), 1)), 3);
    assert!(as_integer(get_int(response.as_ref().unwrap(), 2)) >= 150);
    let (status, first_rp) = call(
        &mut authenticator,
        &mut platform,
        0x0a,
        Some(&management(&half, &token, 2, None)),
    );
    assert_eq!(status, 0);
    assert_eq!(
        as_integer(get_int(first_rp.as_ref().unwrap(), 5)),
        2,
        "two RPs"
    );
    let b_hash = rp_id_hash("b.example");
    let parameters = map(vec![(1, bytes(&b_hash))]);
    let (status, first) = call(
        &mut authenticator,
        &mut platform,
        0x0a,
        Some(&management(&half, &token, 4, Some(parameters))),
    );
    assert_eq!(status, 0);
    assert_eq!(
        as_integer(get_int(first.as_ref().unwrap(), 9)),
        2,
        "two credentials for b"
    );
    let descriptor = text_map(vec![("id", bytes(&ids[1])), ("type", text("public-key"))]);
    let delete = management(&half, &token, 6, Some(map(vec![(2, descriptor)])));
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x0a, Some(&delete)).0,
        0
    );
    let (_, response) = call(&mut authenticator, &mut platform, 0x0a, Some(&metadata));
    assert_eq!(as_integer(get_int(response.as_ref().unwrap(), 1)), 2);
    // The deleted credential no longer asserts, even by its ID.
    let named = map(vec![
        (1, text("b.example")),
        (2, bytes(&CLIENT_DATA_HASH)),
        (
            3,
            Value::Array(vec![text_map(vec![
                ("id", bytes(&ids[1])),
                ("type", text("public-key")),
            ])]),
        ),
    ]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x02, Some(&named)).0,
        0x2E
    );
}
