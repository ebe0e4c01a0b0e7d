//! Requests recorded from python-fido2 2.2.1 (`ClientPin.set_pin("1234")`,
//! `change_pin("1234", "98765")`, `get_pin_token("98765", CREDENTIAL_MGMT)`)
//! against a fake authenticator whose key agreement scalar is
//! SHA-256("authenticator key agreement"), with python-fido2's ephemeral
//! scalar fixed to SHA-256("platform key agreement") and its IVs to
//! a0 a1 .. af (`src/pin_protocol/python_fido2_vectors.py` prints them).
//! Replaying them proves the real platform's encoding and
//! cryptography are understood, byte for byte.

use super::*;
use crate::pin_protocol::test_platform::from_hex;

const AUTHENTICATOR_SECRET: &str =
    "0039e44f863785040307213fd7c00b8387af906f784d0da5dca65312027d35db";
const PLATFORM_X: &str = "0080f0a1042606579e0512c42ac471bdca97c9d366e5fed7588186e8f7637424";
const PLATFORM_Y: &str = "cda1052bbe6c21b33809c4e7be93ab20109f8d7039ab104d883d45b94a0e35a2";

/// The key agreement response python-fido2 accepts as canonical CBOR.
const KEY_AGREEMENT_RESPONSE: &str = "a101a501020338182001215820ca801a78db65110cda741e3af1966bb520636293950290d51f1fe304f7d9adcd225820035b9fcc658e3f75e7bd316fcafdf90fb8c40d9f85004997c12871964e9cd43e";

/// setPIN, changePIN and getPinUvAuthTokenUsingPinWithPermissions (cm).
const PROTOCOL_ONE: [&str; 3] = [
    "a50101020303a5010203381820012158200080f0a1042606579e0512c42ac471bdca97c9d366e5fed7588186e8f7637424225820cda1052bbe6c21b33809c4e7be93ab20109f8d7039ab104d883d45b94a0e35a2045086da78ad506a01e73c473365f3f2381005584002123138ab6e06690a3c1dcfdc6d74e289859121b0a4d50e2181c0a0e1ee8a20ed517167b70b8c5e370c2dad56a3d39791aa12b3ec982a4b21a82b9813b680d4",
    "a60101020403a5010203381820012158200080f0a1042606579e0512c42ac471bdca97c9d366e5fed7588186e8f7637424225820cda1052bbe6c21b33809c4e7be93ab20109f8d7039ab104d883d45b94a0e35a204500af72aa2d23b314a133460d8bc6d70c2055840aa40b6b6dd0ece8cd8776d359fc6e424c7fa851e45540ccc4e18b990f570ea6ce42bbf35060eff79ce16741fc2a988853aa3229a50c3f410a8405d1b64e177f70650b32784c5544966269a7e4905af8b4507",
    "a50101020903a5010203381820012158200080f0a1042606579e0512c42ac471bdca97c9d366e5fed7588186e8f7637424225820cda1052bbe6c21b33809c4e7be93ab20109f8d7039ab104d883d45b94a0e35a206500e0b68fc4d31fe150dc8b9faed00e2480904",
];
const PROTOCOL_TWO: [&str; 3] = [
    "a50102020303a5010203381820012158200080f0a1042606579e0512c42ac471bdca97c9d366e5fed7588186e8f7637424225820cda1052bbe6c21b33809c4e7be93ab20109f8d7039ab104d883d45b94a0e35a2045820579ec77fe4e8135a667b43f507b20bc3e8389631bafec6dd562dc47ec30880be055850a0a1a2a3a4a5a6a7a8a9aaabacadaeaf08f869f9e4539ff285da14e453d9e34904335de0e09407dbcf0d984950f035e6b72c2dbfad9190bec9510c3efbdf227897edd19b30b3d60cd48df32da7984d95",
    "a60102020403a5010203381820012158200080f0a1042606579e0512c42ac471bdca97c9d366e5fed7588186e8f7637424225820cda1052bbe6c21b33809c4e7be93ab20109f8d7039ab104d883d45b94a0e35a20458200bc2303ed3a319fac12365aa84ae3737730d1af2174a0cbd5b38843f467cfefa055850a0a1a2a3a4a5a6a7a8a9aaabacadaeafb33c66bcad5c56e3b1d7fe7ae6e8a11f768ff35299beb974aab20c8fa8f97f33f4b0d0fb6fc9c965b0249d7754a4c51147d6755ba576c7dca0a9bf0f80daa92d065820a0a1a2a3a4a5a6a7a8a9aaabacadaeaf84d80ac18670c4b1f9bbcf9b505638b3",
    "a50102020903a5010203381820012158200080f0a1042606579e0512c42ac471bdca97c9d366e5fed7588186e8f7637424225820cda1052bbe6c21b33809c4e7be93ab20109f8d7039ab104d883d45b94a0e35a2065820a0a1a2a3a4a5a6a7a8a9aaabacadaeaf24066cacfccbd068e981051077a5c9190904",
];

fn known_key() -> KeyAgreementKey {
    let secret: [u8; 32] = from_hex(AUTHENTICATOR_SECRET).try_into().expect("32 bytes");
    KeyAgreementKey::from_secret_bytes(&secret).expect("valid scalar")
}

fn replay(authenticator: &mut Authenticator, request: &str) -> Result<Response, Error> {
    let bytes = from_hex(request);
    let request: Request = cbor_smol::cbor_deserialize(&bytes).expect("python-fido2's CBOR");
    let client_pin = &mut authenticator.client_pin;
    client_pin.process(&request, &mut authenticator.storage, &mut authenticator.rng)
}

#[test]
fn key_agreement_responses_are_canonical_cbor() {
    let mut response = Response::default();
    response.key_agreement = Some(known_key().cose_public_key());
    let mut buffer = [0; 128];
    let encoded = cbor_smol::cbor_serialize(&response, &mut buffer).expect("fits");
    assert_eq!(encoded, &from_hex(KEY_AGREEMENT_RESPONSE)[..]);
}

#[test]
fn python_fido2_sets_changes_and_uses_the_pin() {
    for (protocol, requests) in [
        (PinProtocol::One, PROTOCOL_ONE),
        (PinProtocol::Two, PROTOCOL_TWO),
    ] {
        let mut authenticator = Authenticator::new(70);
        authenticator.client_pin.protocols[protocol.index()].key_agreement = known_key();
        let [set_pin, change_pin, get_token] = requests;
        assert_eq!(
            replay(&mut authenticator, set_pin).err(),
            None,
            "{protocol:?} setPIN"
        );
        let stored = authenticator.storage.hash.map(|hash| hash.to_vec());
        assert_eq!(stored, Some(pin_hash(b"1234")));
        assert_eq!(
            replay(&mut authenticator, change_pin).err(),
            None,
            "{protocol:?} changePIN"
        );
        let stored = authenticator.storage.hash.map(|hash| hash.to_vec());
        assert_eq!(stored, Some(pin_hash(b"98765")));

        let response = replay(&mut authenticator, get_token).expect("getPinUvAuthToken");
        let secret = known_key()
            .shared_secret(protocol, &from_hex(PLATFORM_X), &from_hex(PLATFORM_Y))
            .expect("shared secret");
        let mut token = [0; TOKEN_LENGTH + 16];
        let token = secret
            .decrypt(&response.pin_token.expect("token"), &mut token)
            .expect("decrypts");
        assert_eq!(
            token,
            authenticator.client_pin.protocols[protocol.index()].token
        );
        let cm = Permissions::CREDENTIAL_MANAGEMENT;
        assert_eq!(authenticator.client_pin.check_permission(cm, None), Ok(()));
        assert_eq!(authenticator.retries(), (8, false));
    }
}
