//! authenticatorCredentialManagement (CTAP 2.1, 6.8): metadata, enumeration
//! of RPs and of an RP's credentials, deletion and user update of resident
//! credentials, all behind a pinUvAuthToken with the cm permission.
//!
//! The app keeps its resident credentials behind [`ResidentCredentials`],
//! addressed by slot number (`0..slot_count()`, some slots empty), so that
//! enumeration needs no heap: [`CredentialManagement`] keeps only the next
//! slot to look at between a Begin and its GetNext calls.
//!
//! Invariants: every subcommand except the GetNext ones verifies its
//! pinUvAuthParam over `subCommand || subCommandParams` before it reads or
//! changes anything; a token bound to an RP ID only reaches that RP's
//! credentials, and never the metadata or RP list. The app must call
//! [`CredentialManagement::end_enumeration`] when any other command arrives
//! between a Begin and its GetNext calls (the spec discards the state then).

use ctap_types::ctap2::credential_management::{
    CredentialProtectionPolicy, Request, Response, Subcommand, SubcommandParameters,
};
use ctap_types::ctap2::Error;
use ctap_types::sizes::MAX_CREDENTIAL_ID_LENGTH;
use ctap_types::webauthn::{
    PublicKeyCredentialDescriptor, PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity,
};
use ctap_types::{ByteArray, Bytes};

use crate::client_pin::{ClientPin, Permissions};
use crate::pin_protocol::PinProtocol;

/// One resident credential, as credential management reports it.
#[derive(Clone, Debug)]
pub struct ResidentCredential {
    /// SHA-256 of the RP ID.
    pub rp_id_hash: [u8; 32],
    /// The RP (its ID and name as stored at registration).
    pub rp: PublicKeyCredentialRpEntity,
    /// The user entity as stored (updateUserInformation replaces it).
    pub user: PublicKeyCredentialUserEntity,
    /// The credential ID.
    pub credential_id: Bytes<MAX_CREDENTIAL_ID_LENGTH>,
    /// The credential's public key.
    pub public_key: cosey::PublicKey,
    /// The credProtect level.
    pub credential_protection: CredentialProtectionPolicy,
    /// The largeBlobKey, if the credential has one.
    pub large_blob_key: Option<[u8; 32]>,
}

/// The app's resident credential storage. Slots are stable between calls
/// unless a credential is deleted or added.
pub trait ResidentCredentials {
    /// Number of slots: credentials are at slots `0..slot_count()`.
    fn slot_count(&mut self) -> usize;
    /// Number of stored resident credentials.
    fn count(&mut self) -> Result<usize, Error>;
    /// How many more resident credentials fit (an estimate is allowed).
    fn remaining_capacity(&mut self) -> Result<usize, Error>;
    /// The RP ID hash of the credential in `slot`, or `None` if it is empty.
    /// Enumerating RPs calls this O(slots × RPs) times: keep it cheap.
    fn rp_id_hash(&mut self, slot: usize) -> Result<Option<[u8; 32]>, Error>;
    /// The credential in `slot`, or `None` if it is empty.
    fn credential(&mut self, slot: usize) -> Result<Option<ResidentCredential>, Error>;
    /// The slot holding the credential with this ID, if any.
    fn find(&mut self, credential_id: &[u8]) -> Result<Option<usize>, Error>;
    /// Deletes the credential in `slot`.
    fn delete(&mut self, slot: usize) -> Result<(), Error>;
    /// Replaces the user entity of the credential in `slot`.
    fn update_user(
        &mut self,
        slot: usize,
        user: &PublicKeyCredentialUserEntity,
    ) -> Result<(), Error>;
}

/// Where an enumeration stands between its Begin and GetNext calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Enumeration {
    #[default]
    None,
    Rps {
        next_slot: usize,
        remaining: usize,
    },
    Credentials {
        rp_id_hash: [u8; 32],
        next_slot: usize,
        remaining: usize,
    },
}

/// authenticatorCredentialManagement state: the enumeration cursor.
#[derive(Debug, Default)]
pub struct CredentialManagement {
    enumeration: Enumeration,
}

/// Room for `subCommand || subCommandParams` re-encoded: an RP ID hash, a
/// credential descriptor and a user entity with their longest fields.
const AUTHENTICATED_MESSAGE_MAX_LENGTH: usize = 1024;

impl CredentialManagement {
    /// No enumeration in progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets any enumeration in progress (call on every other command).
    pub fn end_enumeration(&mut self) {
        self.enumeration = Enumeration::None;
    }

    /// Handles one authenticatorCredentialManagement request.
    // Not inlined, nor are the subcommands it calls: each keeps its large
    // locals (responses, credentials, the message buffer) in its own frame,
    // present only while it runs, instead of all of them in the caller's.
    #[inline(never)]
    pub fn process(
        &mut self,
        request: &Request,
        client_pin: &mut ClientPin,
        credentials: &mut impl ResidentCredentials,
    ) -> Result<Response, Error> {
        match request.sub_command {
            Subcommand::EnumerateRpsGetNextRp => return self.next_rp(credentials),
            Subcommand::EnumerateCredentialsGetNextCredential => {
                return self.next_credential(credentials)
            }
            _ => {}
        }
        self.end_enumeration();
        authenticate_request(request, client_pin)?;
        let params = request.sub_command_params.as_ref();
        let bound_rp = client_pin.permissions_rp_id_hash().copied();
        match request.sub_command {
            Subcommand::GetCredsMetadata => {
                refuse_if_bound(bound_rp)?;
                let mut response = Response::default();
                response.existing_resident_credentials_count = Some(to_u32(credentials.count()?));
                response.max_possible_remaining_residential_credentials_count =
                    Some(to_u32(credentials.remaining_capacity()?));
                Ok(response)
            }
            Subcommand::EnumerateRpsBegin => {
                refuse_if_bound(bound_rp)?;
                self.begin_rps(credentials)
            }
            Subcommand::EnumerateCredentialsBegin => {
                let hash = params
                    .and_then(|p| p.rp_id_hash)
                    .ok_or(Error::MissingParameter)?;
                refuse_if_other_rp(bound_rp, hash)?;
                self.begin_credentials(**hash, credentials)
            }
            Subcommand::DeleteCredential => {
                let slot = credential_slot(params, bound_rp, credentials)?;
                credentials.delete(slot)?;
                Ok(Response::default())
            }
            Subcommand::UpdateUserInformation => {
                update_user(params, bound_rp, credentials)?;
                Ok(Response::default())
            }
            _ => Err(Error::InvalidSubcommand),
        }
    }

    #[inline(never)]
    fn begin_rps(&mut self, credentials: &mut impl ResidentCredentials) -> Result<Response, Error> {
        let mut total = 0;
        let mut first = None;
        for slot in 0..credentials.slot_count() {
            if first_of_its_rp(credentials, slot)?.is_some() {
                total += 1;
                first.get_or_insert(slot);
            }
        }
        let first = first.ok_or(Error::NoCredentials)?;
        let mut response = rp_response(credentials, first)?;
        response.total_rps = Some(to_u32(total));
        self.enumeration = match total - 1 {
            0 => Enumeration::None,
            remaining => Enumeration::Rps {
                next_slot: first + 1,
                remaining,
            },
        };
        Ok(response)
    }

    #[inline(never)]
    fn next_rp(&mut self, credentials: &mut impl ResidentCredentials) -> Result<Response, Error> {
        let Enumeration::Rps {
            next_slot,
            remaining,
        } = self.enumeration
        else {
            return Err(Error::NotAllowed);
        };
        self.end_enumeration();
        for slot in next_slot..credentials.slot_count() {
            if first_of_its_rp(credentials, slot)?.is_some() {
                if remaining > 1 {
                    self.enumeration = Enumeration::Rps {
                        next_slot: slot + 1,
                        remaining: remaining - 1,
                    };
                }
                return rp_response(credentials, slot);
            }
        }
        // Credentials went away under the enumeration.
        Err(Error::NoCredentials)
    }

    #[inline(never)]
    fn begin_credentials(
        &mut self,
        rp_id_hash: [u8; 32],
        credentials: &mut impl ResidentCredentials,
    ) -> Result<Response, Error> {
        let mut total = 0;
        let mut first = None;
        for slot in 0..credentials.slot_count() {
            if credentials.rp_id_hash(slot)? == Some(rp_id_hash) {
                total += 1;
                first.get_or_insert(slot);
            }
        }
        let first = first.ok_or(Error::NoCredentials)?;
        let mut response = credential_response(credentials, first)?;
        response.total_credentials = Some(to_u32(total));
        if total > 1 {
            self.enumeration = Enumeration::Credentials {
                rp_id_hash,
                next_slot: first + 1,
                remaining: total - 1,
            };
        }
        Ok(response)
    }

    #[inline(never)]
    fn next_credential(
        &mut self,
        credentials: &mut impl ResidentCredentials,
    ) -> Result<Response, Error> {
        let Enumeration::Credentials {
            rp_id_hash,
            next_slot,
            remaining,
        } = self.enumeration
        else {
            return Err(Error::NotAllowed);
        };
        self.end_enumeration();
        for slot in next_slot..credentials.slot_count() {
            if credentials.rp_id_hash(slot)? == Some(rp_id_hash) {
                if remaining > 1 {
                    self.enumeration = Enumeration::Credentials {
                        rp_id_hash,
                        next_slot: slot + 1,
                        remaining: remaining - 1,
                    };
                }
                return credential_response(credentials, slot);
            }
        }
        Err(Error::NoCredentials)
    }
}

/// Checks the request's pinUvAuthParam over `subCommand || subCommandParams`
/// and that the token has the cm permission.
#[inline(never)]
fn authenticate_request(request: &Request, client_pin: &mut ClientPin) -> Result<(), Error> {
    let param = request.pin_auth.ok_or(Error::PinRequired)?;
    let protocol = PinProtocol::from_option(request.pin_protocol)?;
    let mut buffer = [0; AUTHENTICATED_MESSAGE_MAX_LENGTH];
    buffer[0] = request.sub_command as u8;
    let params_length = match &request.sub_command_params {
        // The platform encodes the parameters canonically (CTAP 2.1, 8), and
        // so does cbor-smol for these types: re-encoding gives its bytes.
        Some(params) => cbor_smol::cbor_serialize(params, &mut buffer[1..])
            .map_err(|_| Error::RequestTooLarge)?
            .len(),
        None => 0,
    };
    client_pin.verify_token_param(protocol, &[&buffer[..1 + params_length]], param)?;
    client_pin.check_permission(Permissions::CREDENTIAL_MANAGEMENT, None)
}

/// getCredsMetadata and enumerateRPsBegin need a token not bound to an RP.
fn refuse_if_bound(bound_rp: Option<[u8; 32]>) -> Result<(), Error> {
    match bound_rp {
        Some(_) => Err(Error::PinAuthInvalid),
        None => Ok(()),
    }
}

/// A token bound to an RP reaches only that RP's credentials.
fn refuse_if_other_rp(bound_rp: Option<[u8; 32]>, rp_id_hash: &[u8; 32]) -> Result<(), Error> {
    match bound_rp {
        Some(bound) if &bound != rp_id_hash => Err(Error::PinAuthInvalid),
        _ => Ok(()),
    }
}

/// The slot of the credential the request names, after the RP binding check.
fn credential_slot(
    params: Option<&SubcommandParameters>,
    bound_rp: Option<[u8; 32]>,
    credentials: &mut impl ResidentCredentials,
) -> Result<usize, Error> {
    let descriptor = params
        .and_then(|p| p.credential_id.as_ref())
        .ok_or(Error::MissingParameter)?;
    let slot = credentials
        .find(descriptor.id)?
        .ok_or(Error::NoCredentials)?;
    let rp_id_hash = credentials.rp_id_hash(slot)?.ok_or(Error::NoCredentials)?;
    refuse_if_other_rp(bound_rp, &rp_id_hash)?;
    Ok(slot)
}

/// updateUserInformation: the new user entity must keep the user ID.
#[inline(never)]
fn update_user(
    params: Option<&SubcommandParameters>,
    bound_rp: Option<[u8; 32]>,
    credentials: &mut impl ResidentCredentials,
) -> Result<(), Error> {
    let user = params
        .and_then(|p| p.user.as_ref())
        .ok_or(Error::MissingParameter)?;
    let slot = credential_slot(params, bound_rp, credentials)?;
    let stored = credentials.credential(slot)?.ok_or(Error::NoCredentials)?;
    if stored.user.id != user.id {
        return Err(Error::InvalidParameter);
    }
    // The icon is not part of CTAP 2.1's user entity: keep what is stored.
    let updated = PublicKeyCredentialUserEntity {
        id: user.id.clone(),
        icon: stored.user.icon,
        name: user.name.clone(),
        display_name: user.display_name.clone(),
    };
    credentials.update_user(slot, &updated)
}

/// `Some(hash)` if `slot` holds the first credential (lowest slot) of its RP.
fn first_of_its_rp(
    credentials: &mut impl ResidentCredentials,
    slot: usize,
) -> Result<Option<[u8; 32]>, Error> {
    let Some(hash) = credentials.rp_id_hash(slot)? else {
        return Ok(None);
    };
    for earlier in 0..slot {
        if credentials.rp_id_hash(earlier)? == Some(hash) {
            return Ok(None);
        }
    }
    Ok(Some(hash))
}

fn rp_response(credentials: &mut impl ResidentCredentials, slot: usize) -> Result<Response, Error> {
    let credential = credentials.credential(slot)?.ok_or(Error::NoCredentials)?;
    let mut response = Response::default();
    response.rp = Some(credential.rp);
    response.rp_id_hash = Some(ByteArray::new(credential.rp_id_hash));
    Ok(response)
}

fn credential_response(
    credentials: &mut impl ResidentCredentials,
    slot: usize,
) -> Result<Response, Error> {
    let credential = credentials.credential(slot)?.ok_or(Error::NoCredentials)?;
    let mut response = Response::default();
    response.user = Some(credential.user);
    response.credential_id = Some(PublicKeyCredentialDescriptor {
        id: credential.credential_id,
        key_type: "public-key".try_into().map_err(|_| Error::Other)?,
    });
    response.public_key = Some(credential.public_key);
    response.cred_protect = Some(credential.credential_protection);
    response.large_blob_key = credential.large_blob_key.map(ByteArray::new);
    Ok(response)
}

fn to_u32(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
