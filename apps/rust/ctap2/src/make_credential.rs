//! authenticatorMakeCredential (CTAP 2.1, 6.1): a new ES256 credential,
//! resident or not, attested with the batch key (packed, x5c).

use crate::authenticator::{Authenticator, Platform};
use crate::credential::{self, Options, Resident, CREDENTIAL_ID};
use crate::large_blobs::large_blob_key;
use crate::persistent::Records;
use crate::user_verification::Permission;
use ctap_types::ctap2::make_credential::{
    AttestedCredentialData, AuthenticatorData, Extensions, Request, Response, ResponseBuilder,
};
use ctap_types::ctap2::{
    AttestationStatement, AttestationStatementFormat, AuthenticatorDataFlags,
    PackedAttestationStatement,
};
use ctap_types::heapless::Vec;
use ctap_types::webauthn::ES256;
use ctap_types::{ByteArray, Bytes, Error};
use p256::ecdsa::signature::DigestSigner;
use p256::ecdsa::{DerSignature, Signature, SigningKey};
use sha2::{Digest, Sha256};
use u2f::key_handle::WRAP_RANDOMNESS;

/// Bytes of a COSE_Key for a P-256 public key (as cosey encodes it: 77).
const COSE_KEY: usize = 96;

/// `key`'s public key as a COSE_Key.
pub(crate) fn cose_key(key: &SigningKey) -> Result<cosey::P256PublicKey, Error> {
    let point = key.verifying_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(Error::Other);
    };
    Ok(cosey::P256PublicKey {
        x: Bytes::try_from(&x[..]).map_err(|_| Error::Other)?,
        y: Bytes::try_from(&y[..]).map_err(|_| Error::Other)?,
    })
}

/// The COSE_Key encoding of `key`'s public key into `buffer`; its length.
fn cose_public_key(key: &SigningKey, buffer: &mut [u8; COSE_KEY]) -> Result<usize, Error> {
    let written = cbor_smol::cbor_serialize(&cose_key(key)?, buffer).map_err(|_| Error::Other)?;
    Ok(written.len())
}

/// Signs `parts` (concatenated) with `key`, DER-encoded.
pub(crate) fn sign(key: &SigningKey, parts: &[&[u8]]) -> Result<Bytes<77>, Error> {
    let mut digest_input = Sha256::new();
    for part in parts {
        digest_input.update(part);
    }
    // Hashing the parts in turn avoids copying them into one message.
    let signature: Signature = key.sign_digest(digest_input);
    let der: DerSignature = signature.to_der();
    Bytes::try_from(der.as_bytes()).map_err(|_| Error::Other)
}

/// The options the request asked for, checked.
struct Asked {
    resident: bool,
    protection: u8,
    hmac_secret: bool,
    large_blob_key: bool,
}

fn check_request(request: &Request) -> Result<Asked, Error> {
    // Not enterprise-attestation capable (6.1.2 step 4).
    if request.enterprise_attestation.is_some() {
        return Err(Error::InvalidParameter);
    }
    if !request
        .pub_key_cred_params
        .0
        .iter()
        .any(|parameter| parameter.alg == ES256)
    {
        return Err(Error::UnsupportedAlgorithm);
    }
    let mut resident = false;
    if let Some(options) = &request.options {
        // No built-in user verification, and presence is always taken.
        if options.uv == Some(true) || options.up == Some(false) {
            return Err(Error::InvalidOption);
        }
        resident = options.rk == Some(true);
    }
    let extensions = request.extensions.as_ref();
    // Unknown credProtect values are ignored, as the spec says.
    let protection = extensions
        .and_then(|extensions| extensions.cred_protect)
        .filter(|level| (1..=3).contains(level))
        .unwrap_or(1);
    let hmac_secret = extensions.and_then(|extensions| extensions.hmac_secret) == Some(true);
    // largeBlobKey: only `true`, and only for a resident credential (12.3).
    let large_blob_key = match extensions.and_then(|extensions| extensions.large_blob_key) {
        Some(true) if resident => true,
        Some(_) => return Err(Error::InvalidOption),
        None => false,
    };
    Ok(Asked {
        resident,
        protection,
        hmac_secret,
        large_blob_key,
    })
}

impl<R: Records> Authenticator<R> {
    /// authenticatorMakeCredential.
    // Its own frame: inlined into the dispatcher, every command's locals
    // would be on the stack at once.
    #[inline(never)]
    pub(crate) fn make_credential(
        &mut self,
        platform: &mut impl Platform,
        request: &Request,
    ) -> Result<Response, Error> {
        let rp_id = request.rp.id.as_str();
        let verified = self.verify_request(
            platform,
            request.pin_auth.map(|param| &param[..]),
            request.pin_protocol,
            &request.client_data_hash[..],
            Permission::MakeCredential,
            rp_id,
        )?;
        let asked = check_request(request)?;
        if asked.resident && !verified && self.pin_is_set() {
            return Err(Error::PinRequired);
        }
        let rp_id_hash: [u8; 32] = Sha256::digest(rp_id.as_bytes()).into();
        self.check_exclude_list(platform, request, &rp_id_hash, verified)?;
        platform.wait_for_presence()?;
        let options = Options {
            protection: asked.protection,
            hmac_secret: asked.hmac_secret,
            resident: asked.resident,
        };
        let (key, id) = self.new_credential(platform, &rp_id_hash, options)?;
        if asked.resident {
            self.store_resident(&rp_id_hash, request, id)?;
        }
        let mut extensions = Extensions::default();
        if request
            .extensions
            .as_ref()
            .and_then(|asked| asked.cred_protect)
            .is_some()
        {
            extensions.cred_protect = Some(asked.protection);
        }
        if asked.hmac_secret {
            extensions.hmac_secret = Some(true);
        }
        let mut response = self.attest(request, &rp_id_hash, &key, &id, extensions, verified)?;
        if asked.large_blob_key {
            let blob_key = large_blob_key(&self.device_secret, &key)?;
            response.large_blob_key = Some(ByteArray::new(blob_key));
        }
        if verified {
            self.spend_token();
        }
        Ok(response)
    }

    /// Refuses when a credential of the exclude list is ours for this RP
    /// (after the user's touch, so a site cannot probe silently). A
    /// credProtect level 3 credential only counts with user verification.
    fn check_exclude_list(
        &mut self,
        platform: &mut impl Platform,
        request: &Request,
        rp_id_hash: &[u8; 32],
        verified: bool,
    ) -> Result<(), Error> {
        let Some(list) = &request.exclude_list else {
            return Ok(());
        };
        for descriptor in list {
            let Some(found) = credential::unwrap(&self.wrapper, rp_id_hash, &descriptor.id[..])
            else {
                continue;
            };
            if found.options.protection == 3 && !verified {
                continue;
            }
            if found.options.resident && !self.resident_exists(&descriptor.id[..]) {
                continue;
            }
            platform.wait_for_presence()?;
            return Err(Error::CredentialExcluded);
        }
        Ok(())
    }

    fn new_credential(
        &mut self,
        platform: &mut impl Platform,
        rp_id_hash: &[u8; 32],
        options: Options,
    ) -> Result<(SigningKey, [u8; CREDENTIAL_ID]), Error> {
        loop {
            let mut randomness = [0u8; WRAP_RANDOMNESS];
            platform.fill_random(&mut randomness)?;
            if let Some(made) = credential::make(&self.wrapper, rp_id_hash, options, &randomness) {
                return Ok(made);
            }
        }
    }

    fn store_resident(
        &mut self,
        rp_id_hash: &[u8; 32],
        request: &Request,
        id: [u8; CREDENTIAL_ID],
    ) -> Result<(), Error> {
        let mut user = request.user.clone();
        user.icon = None;
        let record = Resident {
            sequence: 0,
            id,
            rp_id_hash: *rp_id_hash,
            rp_id: request.rp.id.clone(),
            user,
        };
        self.insert_resident(record)
    }

    fn attest(
        &mut self,
        request: &Request,
        rp_id_hash: &[u8; 32],
        key: &SigningKey,
        id: &[u8; CREDENTIAL_ID],
        extensions: Extensions,
        verified: bool,
    ) -> Result<Response, Error> {
        let mut cose = [0u8; COSE_KEY];
        let cose_length = cose_public_key(key, &mut cose)?;
        let mut flags = AuthenticatorDataFlags::USER_PRESENCE
            | AuthenticatorDataFlags::ATTESTED_CREDENTIAL_DATA;
        if verified {
            flags |= AuthenticatorDataFlags::USER_VERIFIED;
        }
        let has_extensions = extensions != Extensions::default();
        if has_extensions {
            flags |= AuthenticatorDataFlags::EXTENSION_DATA;
        }
        let sign_count = self.persistent.next_counter()?;
        let authenticator_data = AuthenticatorData {
            rp_id_hash,
            flags,
            sign_count,
            attested_credential_data: Some(AttestedCredentialData {
                aaguid: &crate::attestation::AAGUID,
                credential_id: id,
                credential_public_key: &cose[..cose_length],
            }),
            extensions: has_extensions.then_some(extensions),
        }
        .serialize()?;
        let signature = sign(
            &self.attestation.key,
            &[&authenticator_data, &request.client_data_hash[..]],
        )?;
        let mut chain = Vec::new();
        chain
            .push(Bytes::try_from(self.attestation.certificate).map_err(|_| Error::Other)?)
            .map_err(|_| Error::Other)?;
        let mut response = ResponseBuilder {
            fmt: AttestationStatementFormat::Packed,
            auth_data: authenticator_data,
        }
        .build();
        response.att_stmt = Some(AttestationStatement::Packed(PackedAttestationStatement {
            alg: ES256,
            sig: signature,
            x5c: Some(chain),
        }));
        Ok(response)
    }
}
