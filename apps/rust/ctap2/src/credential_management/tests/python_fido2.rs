//! Requests recorded from python-fido2 2.2.1's `CredentialManagement`
//! (`get_metadata()`, `delete_cred(credential-0010)`,
//! `update_user_info(credential-0042, {id: user-42, name: renamed,
//! displayName: Display})`) with the token 77 77 .. 77 of each protocol
//! (`src/pin_protocol/python_fido2_vectors.py` prints them).
//! Replaying them proves that re-encoding subCommandParams reproduces the
//! bytes the real platform authenticated.

use super::*;
use crate::pin_protocol::test_platform::from_hex;

const TOKEN: [u8; 32] = [0x77; 32];

/// getCredsMetadata, deleteCredential, updateUserInformation.
const PROTOCOL_ONE: [&str; 3] = [
    "a3010103010450321e5d0cf4a6096094646b4afe10c9e8",
    "a4010602a102a26269644f63726564656e7469616c2d3030313064747970656a7075626c69632d6b6579030104504b475087b31266806f2112d65bcbdf9b",
    "a4010702a202a26269644f63726564656e7469616c2d3030343264747970656a7075626c69632d6b657903a362696447757365722d3432646e616d656772656e616d65646b646973706c61794e616d6567446973706c6179030104502f027e0072412f0b0c916a91e771b91c",
];
const PROTOCOL_TWO: [&str; 3] = [
    "a301010302045820321e5d0cf4a6096094646b4afe10c9e833ba1074e3a7b7f032d0f9405175b4b8",
    "a4010602a102a26269644f63726564656e7469616c2d3030313064747970656a7075626c69632d6b657903020458204b475087b31266806f2112d65bcbdf9b7c1b9c5dfcc5897896cb891fa4167c8c",
    "a4010702a202a26269644f63726564656e7469616c2d3030343264747970656a7075626c69632d6b657903a362696447757365722d3432646e616d656772656e616d65646b646973706c61794e616d6567446973706c617903020458202f027e0072412f0b0c916a91e771b91c9643e108bd505510acf94f61eeb7c059",
];

fn replay(fixture: &mut Fixture, request: &str) -> Result<Response, Error> {
    let bytes = from_hex(request);
    let request: Request = cbor_smol::cbor_deserialize(&bytes).expect("python-fido2's CBOR");
    let client_pin = &mut fixture.authenticator.client_pin;
    fixture
        .management
        .process(&request, client_pin, &mut fixture.credentials)
}

#[test]
fn python_fido2_reads_deletes_and_updates() {
    for (protocol, requests) in [
        (PinProtocol::One, PROTOCOL_ONE),
        (PinProtocol::Two, PROTOCOL_TWO),
    ] {
        let mut fixture = Fixture::new();
        let [metadata, delete, update] = requests;
        // Without a token in use, the recorded params are worthless.
        assert_eq!(
            replay(&mut fixture, metadata).err(),
            Some(Error::PinAuthInvalid)
        );
        fixture
            .authenticator
            .token(protocol, b"1234", Some(0x04), None)
            .expect("token");
        fixture
            .authenticator
            .client_pin
            .replace_token_for_tests(protocol, TOKEN);

        let response = replay(&mut fixture, metadata).expect("getCredsMetadata");
        assert_eq!(response.existing_resident_credentials_count, Some(150));
        assert_eq!(
            replay(&mut fixture, delete).err(),
            None,
            "{protocol:?} deleteCredential"
        );
        assert!(fixture.credentials.slots[10].is_none());
        assert_eq!(fixture.credentials.count(), Ok(149));
        assert_eq!(
            replay(&mut fixture, update).err(),
            None,
            "{protocol:?} updateUserInformation"
        );
        let user = fixture.credentials.slots[42]
            .as_ref()
            .expect("credential")
            .user
            .clone();
        assert_eq!(user.name.as_deref(), Some("renamed"));
        assert_eq!(user.display_name.as_deref(), Some("Display"));
    }
}
