//! Token permissions, the permissions RP ID, the usage flags and timer.

use super::*;

const MC: u8 = 0x01;
const GA: u8 = 0x02;
const CM: u8 = 0x04;

fn with_pin(seed: u64) -> Authenticator {
    let mut authenticator = Authenticator::new(seed);
    authenticator
        .set_pin(PinProtocol::Two, b"1234")
        .expect("setPIN");
    authenticator
}

#[test]
fn a_pin_token_may_make_credentials_and_assertions_only() {
    let mut authenticator = with_pin(30);
    let token = authenticator
        .token(PinProtocol::One, b"1234", None, None)
        .expect("token");
    assert_eq!(
        authenticator.use_token(&token, Permissions::GET_ASSERTION, "example.com"),
        Ok(())
    );
    assert_eq!(
        authenticator.use_token(&token, Permissions::CREDENTIAL_MANAGEMENT, "example.com"),
        Err(Error::PinAuthInvalid)
    );
}

#[test]
fn get_pin_token_refuses_permissions_and_rp_id() {
    let mut authenticator = with_pin(31);
    let platform = authenticator.agree(PinProtocol::Two);
    let pin_hash_encrypted = platform.encrypt(&pin_hash(b"1234"), &mut authenticator.rng);
    let mut request = Cbor::default();
    request
        .map(5)
        .unsigned(1)
        .unsigned(2)
        .unsigned(2)
        .unsigned(5);
    request
        .unsigned(3)
        .cose_key(&platform.public_x, &platform.public_y);
    request
        .unsigned(6)
        .bytes(&pin_hash_encrypted)
        .unsigned(9)
        .unsigned(1);
    assert_eq!(
        authenticator.send(&request).err(),
        Some(Error::InvalidParameter)
    );
    // Refused before the PIN was looked at: no retry spent.
    assert_eq!(authenticator.storage.retries, 8);
}

#[test]
fn a_token_carries_exactly_the_permissions_asked_for() {
    let mut authenticator = with_pin(32);
    let token = authenticator
        .token(PinProtocol::Two, b"1234", Some(CM), None)
        .expect("token");
    assert_eq!(
        authenticator
            .client_pin
            .check_permission(Permissions::CREDENTIAL_MANAGEMENT, None),
        Ok(())
    );
    assert_eq!(
        authenticator.use_token(&token, Permissions::MAKE_CREDENTIAL, "example.com"),
        Err(Error::PinAuthInvalid)
    );
    let token = authenticator
        .token(PinProtocol::Two, b"1234", Some(MC), Some("example.com"))
        .expect("token");
    assert_eq!(
        authenticator.use_token(&token, Permissions::MAKE_CREDENTIAL, "example.com"),
        Ok(())
    );
    assert_eq!(
        authenticator.use_token(&token, Permissions::GET_ASSERTION, "example.com"),
        Err(Error::PinAuthInvalid)
    );
}

#[test]
fn permission_requests_are_checked_before_the_pin() {
    let mut authenticator = with_pin(33);
    let cases = [
        (0x00, None, Error::InvalidParameter),
        (MC, None, Error::MissingParameter),
        (GA | CM, None, Error::MissingParameter),
        // bio enrollment, large blob write, authenticator config: not offered.
        (0x08, None, Error::UnauthorizedPermission),
        (0x10, None, Error::UnauthorizedPermission),
        (0x20, None, Error::UnauthorizedPermission),
        (0x80, None, Error::UnauthorizedPermission),
    ];
    for (permissions, rp_id, error) in cases {
        assert_eq!(
            authenticator
                .token(PinProtocol::Two, b"1234", Some(permissions), rp_id)
                .err(),
            Some(error),
            "permissions {permissions:#x}"
        );
    }
    assert_eq!(authenticator.storage.retries, 8);
    authenticator
        .client_pin
        .set_supported_permissions(Permissions::MAKE_CREDENTIAL | Permissions::LARGE_BLOB_WRITE);
    assert!(authenticator
        .token(PinProtocol::Two, b"1234", Some(0x10), None)
        .is_ok());
    assert_eq!(
        authenticator
            .token(PinProtocol::Two, b"1234", Some(CM), None)
            .err(),
        Some(Error::UnauthorizedPermission)
    );
}

#[test]
fn a_token_with_an_rp_id_serves_only_that_rp() {
    let mut authenticator = with_pin(34);
    let token = authenticator
        .token(
            PinProtocol::Two,
            b"1234",
            Some(MC | GA),
            Some("example.com"),
        )
        .expect("token");
    assert_eq!(
        authenticator.use_token(&token, Permissions::GET_ASSERTION, "evil.example"),
        Err(Error::PinAuthInvalid)
    );
    assert_eq!(
        authenticator.use_token(&token, Permissions::GET_ASSERTION, "example.com"),
        Ok(())
    );
    let expected: [u8; 32] = Sha256::digest(b"example.com").into();
    assert_eq!(
        authenticator.client_pin.permissions_rp_id_hash(),
        Some(&expected)
    );
}

#[test]
fn a_token_without_an_rp_id_is_bound_by_its_first_use() {
    let mut authenticator = with_pin(35);
    let token = authenticator
        .token(PinProtocol::Two, b"1234", None, None)
        .expect("token");
    assert_eq!(authenticator.client_pin.permissions_rp_id_hash(), None);
    assert_eq!(
        authenticator.use_token(&token, Permissions::MAKE_CREDENTIAL, "first.example"),
        Ok(())
    );
    assert_eq!(
        authenticator.use_token(&token, Permissions::MAKE_CREDENTIAL, "second.example"),
        Err(Error::PinAuthInvalid)
    );
}

#[test]
fn a_token_of_one_protocol_does_not_verify_as_the_other() {
    let mut authenticator = with_pin(36);
    let token = authenticator
        .token(PinProtocol::Two, b"1234", None, None)
        .expect("token");
    let client_data_hash = [1; 32];
    let param = token.authenticate(&client_data_hash);
    assert_eq!(
        authenticator.client_pin.verify_pin_uv_auth_param(
            PinProtocol::One,
            &client_data_hash,
            &param[..16],
            Permissions::MAKE_CREDENTIAL,
            Some("example.com"),
        ),
        Err(Error::PinAuthInvalid)
    );
    // And a wrong param for the right protocol fails too.
    let mut altered = param.clone();
    altered[0] ^= 1;
    assert_eq!(
        authenticator.client_pin.verify_pin_uv_auth_param(
            PinProtocol::Two,
            &client_data_hash,
            &altered,
            Permissions::MAKE_CREDENTIAL,
            Some("example.com"),
        ),
        Err(Error::PinAuthInvalid)
    );
}

#[test]
fn clearing_flags_and_permissions_ends_what_the_token_allows() {
    let mut authenticator = with_pin(37);
    let token = authenticator
        .token(PinProtocol::Two, b"1234", None, None)
        .expect("token");
    assert!(authenticator.client_pin.user_verified_flag());
    assert!(!authenticator.client_pin.user_present_flag());
    authenticator.client_pin.set_user_present_flag();
    assert!(authenticator.client_pin.user_present_flag());
    authenticator.client_pin.clear_user_present_flag();
    assert!(!authenticator.client_pin.user_present_flag());
    authenticator
        .client_pin
        .clear_permissions_except_large_blob_write();
    assert_eq!(
        authenticator.use_token(&token, Permissions::MAKE_CREDENTIAL, "example.com"),
        Err(Error::PinAuthInvalid)
    );
    let token = authenticator
        .token(PinProtocol::Two, b"1234", None, None)
        .expect("token");
    authenticator.client_pin.clear_user_verified_flag();
    assert_eq!(
        authenticator.use_token(&token, Permissions::MAKE_CREDENTIAL, "example.com"),
        Err(Error::PinAuthInvalid)
    );
}

#[test]
fn unused_tokens_expire_after_thirty_seconds_and_all_after_ten_minutes() {
    let mut authenticator = with_pin(38);
    let token = authenticator
        .token(PinProtocol::Two, b"1234", None, None)
        .expect("token");
    authenticator
        .client_pin
        .advance_time(INITIAL_USAGE_TIME_LIMIT_MILLISECONDS + 1);
    assert_eq!(
        authenticator.use_token(&token, Permissions::MAKE_CREDENTIAL, "example.com"),
        Err(Error::PinAuthInvalid)
    );
    let token = authenticator
        .token(PinProtocol::Two, b"1234", None, None)
        .expect("token");
    assert_eq!(
        authenticator.use_token(&token, Permissions::MAKE_CREDENTIAL, "example.com"),
        Ok(())
    );
    authenticator
        .client_pin
        .advance_time(INITIAL_USAGE_TIME_LIMIT_MILLISECONDS + 1);
    assert_eq!(
        authenticator.use_token(&token, Permissions::GET_ASSERTION, "example.com"),
        Ok(())
    );
    authenticator
        .client_pin
        .advance_time(MAXIMUM_USAGE_TIME_MILLISECONDS);
    assert_eq!(
        authenticator.use_token(&token, Permissions::GET_ASSERTION, "example.com"),
        Err(Error::PinAuthInvalid)
    );
}
