//! Tests of authenticatorCredentialManagement over 150 resident credentials
//! of seven RPs kept in memory, with requests encoded and authenticated as a
//! platform does (`subCommand || subCommandParams` under the token).

extern crate std;

use std::collections::BTreeSet;
use std::format;
use std::string::String;
use std::vec::Vec;

use sha2::{Digest, Sha256};

use super::*;
use crate::client_pin::tests::{Authenticator, Token};
use crate::pin_protocol::test_platform::Cbor;

const CREDENTIALS: usize = 150;
const RPS: usize = 7;

/// Resident credentials in memory; a deleted slot stays empty.
struct MemoryCredentials {
    slots: Vec<Option<ResidentCredential>>,
    capacity: usize,
}

fn rp_id(rp: usize) -> String {
    format!("rp{rp}.example")
}

fn credential_id(index: usize) -> Vec<u8> {
    format!("credential-{index:04}").into_bytes()
}

fn user_id(index: usize) -> Vec<u8> {
    format!("user-{index}").into_bytes()
}

impl MemoryCredentials {
    fn new() -> Self {
        let slots = (0..CREDENTIALS)
            .map(|index| {
                let rp = index % RPS;
                let mut user = PublicKeyCredentialUserEntity::from(
                    Bytes::try_from(&user_id(index)[..]).expect("short"),
                );
                user.name = Some(format!("user {index}").as_str().try_into().expect("short"));
                Some(ResidentCredential {
                    rp_id_hash: Sha256::digest(rp_id(rp).as_bytes()).into(),
                    rp: PublicKeyCredentialRpEntity {
                        id: rp_id(rp).as_str().try_into().expect("short"),
                        name: Some(format!("RP {rp}").as_str().try_into().expect("short")),
                        icon: None,
                    },
                    user,
                    credential_id: Bytes::try_from(&credential_id(index)[..]).expect("short"),
                    public_key: cosey::PublicKey::P256Key(cosey::P256PublicKey {
                        x: Bytes::from([index as u8; 32]),
                        y: Bytes::from([rp as u8; 32]),
                    }),
                    credential_protection: CredentialProtectionPolicy::OptionalWithCredentialIdList,
                    large_blob_key: None,
                })
            })
            .collect();
        MemoryCredentials {
            slots,
            capacity: 200,
        }
    }
}

impl ResidentCredentials for MemoryCredentials {
    fn slot_count(&mut self) -> usize {
        self.slots.len()
    }
    fn count(&mut self) -> Result<usize, Error> {
        Ok(self.slots.iter().flatten().count())
    }
    fn remaining_capacity(&mut self) -> Result<usize, Error> {
        Ok(self.capacity - self.slots.iter().flatten().count())
    }
    fn rp_id_hash(&mut self, slot: usize) -> Result<Option<[u8; 32]>, Error> {
        Ok(self.slots[slot]
            .as_ref()
            .map(|credential| credential.rp_id_hash))
    }
    fn credential(&mut self, slot: usize) -> Result<Option<ResidentCredential>, Error> {
        Ok(self.slots[slot].clone())
    }
    fn find(&mut self, id: &[u8]) -> Result<Option<usize>, Error> {
        Ok(self.slots.iter().position(|slot| {
            slot.as_ref()
                .is_some_and(|credential| &credential.credential_id[..] == id)
        }))
    }
    fn delete(&mut self, slot: usize) -> Result<(), Error> {
        self.slots[slot] = None;
        Ok(())
    }
    fn update_user(
        &mut self,
        slot: usize,
        user: &PublicKeyCredentialUserEntity,
    ) -> Result<(), Error> {
        self.slots[slot].as_mut().ok_or(Error::NoCredentials)?.user = user.clone();
        Ok(())
    }
}

struct Fixture {
    authenticator: Authenticator,
    credentials: MemoryCredentials,
    management: CredentialManagement,
}

/// The parameters of a subcommand, canonically encoded.
enum Params<'a> {
    None,
    RpIdHash([u8; 32]),
    Credential(&'a [u8]),
    CredentialAndUser(&'a [u8], &'a [u8], &'a str),
}

fn encode_params(params: &Params) -> Option<Vec<u8>> {
    let mut cbor = Cbor::default();
    let descriptor = |cbor: &mut Cbor, id: &[u8]| {
        cbor.unsigned(2)
            .map(2)
            .text("id")
            .bytes(id)
            .text("type")
            .text("public-key");
    };
    match params {
        Params::None => return None,
        Params::RpIdHash(hash) => {
            cbor.map(1).unsigned(1).bytes(hash);
        }
        Params::Credential(id) => {
            cbor.map(1);
            descriptor(&mut cbor, id);
        }
        Params::CredentialAndUser(id, user, name) => {
            cbor.map(2);
            descriptor(&mut cbor, id);
            cbor.unsigned(3)
                .map(3)
                .text("id")
                .bytes(user)
                .text("name")
                .text(name);
            cbor.text("displayName").text("Display");
        }
    }
    Some(cbor.0)
}

impl Fixture {
    fn new() -> Self {
        let mut authenticator = Authenticator::new(50);
        authenticator
            .set_pin(PinProtocol::Two, b"1234")
            .expect("setPIN");
        Fixture {
            authenticator,
            credentials: MemoryCredentials::new(),
            management: CredentialManagement::new(),
        }
    }

    fn token(&mut self, permissions: u8, rp_id: Option<&str>) -> Token {
        self.authenticator
            .token(PinProtocol::Two, b"1234", Some(permissions), rp_id)
            .expect("token")
    }

    /// Sends a subcommand, authenticated with `token` unless it is `None`.
    fn send(
        &mut self,
        subcommand: u8,
        params: &Params,
        token: Option<&Token>,
    ) -> Result<Response, Error> {
        let params = encode_params(params);
        let mut message = Vec::from([subcommand]);
        message.extend_from_slice(params.as_deref().unwrap_or_default());
        let entries = 1 + u64::from(params.is_some()) + 2 * u64::from(token.is_some());
        let mut request = Cbor::default();
        request.map(entries).unsigned(1).unsigned(subcommand.into());
        if let Some(params) = &params {
            request.unsigned(2);
            request.0.extend_from_slice(params);
        }
        if let Some(token) = token {
            request.unsigned(3).unsigned(token.protocol.number().into());
            request.unsigned(4).bytes(&token.authenticate(&message));
        }
        let request: Request =
            cbor_smol::cbor_deserialize(&request.0).expect("well-formed request");
        let client_pin = &mut self.authenticator.client_pin;
        self.management
            .process(&request, client_pin, &mut self.credentials)
    }

    /// Enumerates every RP: (RP ID, rpIdHash) pairs.
    fn all_rps(&mut self, token: &Token) -> Vec<(String, [u8; 32])> {
        let first = self
            .send(2, &Params::None, Some(token))
            .expect("enumerateRPsBegin");
        let total = first.total_rps.expect("totalRPs");
        let mut rps = Vec::from([first]);
        for _ in 1..total {
            rps.push(
                self.send(3, &Params::None, None)
                    .expect("enumerateRPsGetNextRP"),
            );
        }
        assert_eq!(
            self.send(3, &Params::None, None).err(),
            Some(Error::NotAllowed)
        );
        rps.into_iter()
            .map(|response| {
                (
                    String::from(response.rp.expect("rp").id.as_str()),
                    *response.rp_id_hash.expect("hash"),
                )
            })
            .collect()
    }

    /// Enumerates the credentials of one RP.
    fn all_credentials(&mut self, token: &Token, rp: usize) -> Result<Vec<Response>, Error> {
        let hash: [u8; 32] = Sha256::digest(rp_id(rp).as_bytes()).into();
        let first = self.send(4, &Params::RpIdHash(hash), Some(token))?;
        let total = first.total_credentials.expect("totalCredentials");
        let mut credentials = Vec::from([first]);
        for _ in 1..total {
            credentials.push(
                self.send(5, &Params::None, None)
                    .expect("getNextCredential"),
            );
        }
        assert_eq!(
            self.send(5, &Params::None, None).err(),
            Some(Error::NotAllowed)
        );
        Ok(credentials)
    }
}

#[test]
fn metadata_counts_the_credentials() {
    let mut fixture = Fixture::new();
    let token = fixture.token(0x04, None);
    let response = fixture
        .send(1, &Params::None, Some(&token))
        .expect("getCredsMetadata");
    assert_eq!(response.existing_resident_credentials_count, Some(150));
    assert_eq!(
        response.max_possible_remaining_residential_credentials_count,
        Some(50)
    );
}

#[test]
fn enumeration_lists_every_rp_once_and_every_credential_once() {
    let mut fixture = Fixture::new();
    let token = fixture.token(0x04, None);
    let rps = fixture.all_rps(&token);
    let expected: BTreeSet<String> = (0..RPS).map(rp_id).collect();
    assert_eq!(rps.len(), RPS);
    assert_eq!(
        rps.iter()
            .map(|(id, _)| id.clone())
            .collect::<BTreeSet<_>>(),
        expected
    );
    for (id, hash) in &rps {
        assert_eq!(hash, &<[u8; 32]>::from(Sha256::digest(id.as_bytes())));
    }
    let mut seen = BTreeSet::new();
    for rp in 0..RPS {
        for response in fixture.all_credentials(&token, rp).expect("credentials") {
            let id = response.credential_id.expect("credentialID");
            assert_eq!(id.key_type, "public-key");
            let index: usize = core::str::from_utf8(&id.id[11..])
                .expect("ascii")
                .parse()
                .expect("index");
            assert_eq!(index % RPS, rp, "credential listed under its RP");
            assert_eq!(&response.user.expect("user").id[..], &user_id(index)[..]);
            match response.public_key.expect("publicKey") {
                cosey::PublicKey::P256Key(key) => assert_eq!(&key.x[..], &[index as u8; 32]),
                other => panic!("unexpected key {other:?}"),
            }
            assert_eq!(
                response.cred_protect,
                Some(CredentialProtectionPolicy::OptionalWithCredentialIdList)
            );
            assert!(seen.insert(index), "credential {index} listed twice");
        }
    }
    assert_eq!(seen.len(), CREDENTIALS);
}

#[test]
fn delete_removes_exactly_one_credential() {
    let mut fixture = Fixture::new();
    let token = fixture.token(0x04, None);
    let before = fixture
        .all_credentials(&token, 3)
        .expect("credentials")
        .len();
    let id = credential_id(10);
    assert_eq!(
        fixture
            .send(6, &Params::Credential(&id), Some(&token))
            .err(),
        None
    );
    assert_eq!(
        fixture
            .all_credentials(&token, 3)
            .expect("credentials")
            .len(),
        before - 1
    );
    assert_eq!(fixture.credentials.count(), Ok(CREDENTIALS - 1));
    assert_eq!(
        fixture
            .send(6, &Params::Credential(&id), Some(&token))
            .err(),
        Some(Error::NoCredentials)
    );
}

#[test]
fn deleting_every_credential_of_an_rp_removes_the_rp() {
    let mut fixture = Fixture::new();
    let token = fixture.token(0x04, None);
    for index in (0..CREDENTIALS).filter(|index| index % RPS == 0) {
        let id = credential_id(index);
        fixture
            .send(6, &Params::Credential(&id), Some(&token))
            .expect("delete");
    }
    assert_eq!(fixture.all_rps(&token).len(), RPS - 1);
    assert_eq!(
        fixture.all_credentials(&token, 0).err(),
        Some(Error::NoCredentials)
    );
}

#[test]
fn update_user_replaces_names_but_not_the_user_id() {
    let mut fixture = Fixture::new();
    let token = fixture.token(0x04, None);
    let id = credential_id(42);
    let params = Params::CredentialAndUser(&id, &user_id(42), "renamed");
    assert_eq!(fixture.send(7, &params, Some(&token)).err(), None);
    let user = fixture.credentials.slots[42]
        .as_ref()
        .expect("credential")
        .user
        .clone();
    assert_eq!(user.name.as_deref(), Some("renamed"));
    assert_eq!(user.display_name.as_deref(), Some("Display"));
    let params = Params::CredentialAndUser(&id, b"someone else", "renamed");
    assert_eq!(
        fixture.send(7, &params, Some(&token)).err(),
        Some(Error::InvalidParameter)
    );
}

#[test]
fn requests_without_a_valid_param_are_refused() {
    let mut fixture = Fixture::new();
    let token = fixture.token(0x04, None);
    let id = credential_id(1);
    assert_eq!(
        fixture.send(1, &Params::None, None).err(),
        Some(Error::PinRequired)
    );
    assert_eq!(
        fixture.send(6, &Params::Credential(&id), None).err(),
        Some(Error::PinRequired)
    );
    // A param over other parameters than those sent.
    let forged = Token {
        protocol: token.protocol,
        bytes: token.bytes.clone(),
    };
    let mut request = Cbor::default();
    request.map(4).unsigned(1).unsigned(6).unsigned(2);
    request
        .map(1)
        .unsigned(2)
        .map(2)
        .text("id")
        .bytes(&id)
        .text("type")
        .text("public-key");
    request
        .unsigned(3)
        .unsigned(2)
        .unsigned(4)
        .bytes(&forged.authenticate(&[6]));
    let request: Request = cbor_smol::cbor_deserialize(&request.0).expect("well-formed");
    let client_pin = &mut fixture.authenticator.client_pin;
    assert_eq!(
        fixture
            .management
            .process(&request, client_pin, &mut fixture.credentials)
            .err(),
        Some(Error::PinAuthInvalid)
    );
    assert_eq!(fixture.credentials.count(), Ok(CREDENTIALS));
    // A token without the cm permission.
    let token = fixture.token(0x02, Some("rp1.example"));
    assert_eq!(
        fixture.send(1, &Params::None, Some(&token)).err(),
        Some(Error::PinAuthInvalid)
    );
    // GetNext without a Begin.
    assert_eq!(
        fixture.send(3, &Params::None, None).err(),
        Some(Error::NotAllowed)
    );
    assert_eq!(
        fixture.send(5, &Params::None, None).err(),
        Some(Error::NotAllowed)
    );
}

#[test]
fn a_token_bound_to_an_rp_reaches_only_that_rp() {
    let mut fixture = Fixture::new();
    let token = fixture.token(0x04, Some("rp1.example"));
    assert_eq!(
        fixture.send(1, &Params::None, Some(&token)).err(),
        Some(Error::PinAuthInvalid)
    );
    assert_eq!(
        fixture.send(2, &Params::None, Some(&token)).err(),
        Some(Error::PinAuthInvalid)
    );
    assert!(fixture.all_credentials(&token, 1).is_ok());
    assert_eq!(
        fixture.all_credentials(&token, 2).err(),
        Some(Error::PinAuthInvalid)
    );
    let other_rp = credential_id(2);
    assert_eq!(
        fixture
            .send(6, &Params::Credential(&other_rp), Some(&token))
            .err(),
        Some(Error::PinAuthInvalid)
    );
    let same_rp = credential_id(1);
    assert_eq!(
        fixture
            .send(6, &Params::Credential(&same_rp), Some(&token))
            .err(),
        None
    );
}

#[test]
fn another_command_ends_an_enumeration() {
    let mut fixture = Fixture::new();
    let token = fixture.token(0x04, None);
    fixture
        .send(2, &Params::None, Some(&token))
        .expect("enumerateRPsBegin");
    fixture.management.end_enumeration();
    assert_eq!(
        fixture.send(3, &Params::None, None).err(),
        Some(Error::NotAllowed)
    );
}

mod python_fido2;
