//! authenticatorGetAssertion and authenticatorGetNextAssertion (CTAP 2.1,
//! 6.2, 6.3): a signature by a credential of the allow list, or by each
//! resident credential of the relying party in turn, newest first.
//!
//! credProtect (CTAP 2.1, 12.1) is enforced here: level 3 credentials are
//! only used with user verification; level 2 ones without it only when
//! named in the allow list.

use crate::authenticator::{Authenticator, Platform};
use crate::credential::{self, Unwrapped};
use crate::large_blobs::large_blob_key;
use crate::make_credential::sign;
use crate::persistent::Records;
use crate::resident::MAX_PER_RP;
use crate::user_verification::Permission;
use ctap_types::ctap2::get_assertion::{
    AuthenticatorData, ExtensionsOutput, HmacSecretInput, NoAttestedCredentialData, Request,
    Response, ResponseBuilder,
};
use ctap_types::ctap2::AuthenticatorDataFlags;
use ctap_types::heapless::Vec;
use ctap_types::webauthn::{PublicKeyCredentialDescriptor, PublicKeyCredentialUserEntity};
use ctap_types::{ByteArray, Bytes, Error, String};
use sha2::{Digest, Sha256};

/// GetNextAssertion is only answered this long after the previous one.
const NEXT_ASSERTION_WINDOW_MS: u64 = 30_000;

/// What GetNextAssertion continues: the request's context and the
/// credentials not yet used.
pub struct PendingAssertions {
    context: Context,
    remaining: Vec<u16, MAX_PER_RP>,
    next: usize,
    deadline_ms: u64,
}

/// What every assertion of one request shares.
#[derive(Clone)]
struct Context {
    rp_id_hash: [u8; 32],
    client_data_hash: Bytes<64>,
    presence: bool,
    verified: bool,
    hmac_secret: Option<HmacSecretInput>,
    /// Whether the platform asked for resident credentials' largeBlobKey.
    large_blob_key: bool,
}

/// One credential to assert with.
struct Chosen {
    unwrapped: Unwrapped,
    id: Bytes<255>,
    user: Option<PublicKeyCredentialUserEntity>,
}

/// Whether credProtect lets `level` be used.
fn allowed(level: u8, verified: bool, in_allow_list: bool) -> bool {
    match level {
        3 => verified,
        2 => verified || in_allow_list,
        _ => true,
    }
}

impl<R: Records> Authenticator<R> {
    /// authenticatorGetAssertion.
    // Its own frame: inlined into the dispatcher, every command's locals
    // would be on the stack at once.
    #[inline(never)]
    pub(crate) fn get_assertion(
        &mut self,
        platform: &mut impl Platform,
        request: &Request,
    ) -> Result<Response, Error> {
        let verified = self.verify_request(
            platform,
            request.pin_auth.map(|param| &param[..]),
            request.pin_protocol,
            &request.client_data_hash[..],
            Permission::GetAssertion,
            request.rp_id,
        )?;
        let mut presence = true;
        if let Some(options) = &request.options {
            if options.rk.is_some() {
                return Err(Error::UnsupportedOption);
            }
            if options.uv == Some(true) {
                return Err(Error::InvalidOption);
            }
            presence = options.up != Some(false);
        }
        let context = Context {
            rp_id_hash: Sha256::digest(request.rp_id.as_bytes()).into(),
            client_data_hash: Bytes::try_from(&request.client_data_hash[..])
                .map_err(|_| Error::InvalidLength)?,
            presence,
            verified,
            hmac_secret: request
                .extensions
                .as_ref()
                .and_then(|e| e.hmac_secret.clone()),
            large_blob_key: match request.extensions.as_ref().and_then(|e| e.large_blob_key) {
                Some(false) => return Err(Error::InvalidOption),
                asked => asked == Some(true),
            },
        };
        let listed = request.allow_list.as_ref().filter(|list| !list.is_empty());
        if let Some(list) = listed {
            let chosen = list
                .iter()
                .find_map(|descriptor| self.allow_list_entry(&context, &descriptor.id[..]))
                .ok_or(Error::NoCredentials)?;
            if presence {
                platform.wait_for_presence()?;
            }
            let response = self.assert(platform, &context, chosen, None)?;
            // Only an assertion with presence spends the token (6.2.2): a
            // platform's silent pre-flight (up: false) leaves it usable.
            if verified && presence {
                self.spend_token();
            }
            return Ok(response);
        }
        let response = self.first_resident(platform, context)?;
        if verified && presence {
            self.spend_token();
        }
        Ok(response)
    }

    /// The allow list entry `id`, if it is ours and may be used.
    #[inline(never)]
    fn allow_list_entry(&mut self, context: &Context, id: &[u8]) -> Option<Chosen> {
        let unwrapped = credential::unwrap(&self.wrapper, &context.rp_id_hash, id)?;
        if !allowed(unwrapped.options.protection, context.verified, true) {
            return None;
        }
        // A deleted resident credential is gone, even if its ID unwraps.
        if unwrapped.options.resident && !self.resident_exists(id) {
            return None;
        }
        Some(Chosen {
            unwrapped,
            id: Bytes::try_from(id).ok()?,
            user: None,
        })
    }

    /// The resident credential at `slot`, if it may be used.
    #[inline(never)]
    fn slot_entry(&mut self, context: &Context, key: u16) -> Option<Chosen> {
        let record = self.load_resident(key)?;
        let unwrapped = credential::unwrap(&self.wrapper, &context.rp_id_hash, &record.id)?;
        if !allowed(unwrapped.options.protection, context.verified, false) {
            return None;
        }
        let mut user = record.user;
        if !context.verified {
            // User-identifiable details (name, display name) only after
            // user verification (CTAP 2.1, 6.2.2; browsers refuse them
            // otherwise), even with several accounts: the platform tells
            // them apart by user id.
            user = PublicKeyCredentialUserEntity::from(user.id);
        }
        Some(Chosen {
            unwrapped,
            id: Bytes::from(&record.id),
            user: Some(user),
        })
    }

    /// Whether resident credential `key` may be asserted in `context`,
    /// from its stored ID's options alone: unwrapping every candidate's
    /// key would cost one scalar multiplication each (the chosen ones are
    /// unwrapped, and so authenticated, when asserted).
    fn slot_usable(&mut self, context: &Context, key: u16) -> bool {
        self.load_resident(key)
            .and_then(|record| credential::options_of(&record.id))
            .is_some_and(|options| allowed(options.protection, context.verified, false))
    }

    #[inline(never)]
    fn first_resident(
        &mut self,
        platform: &mut impl Platform,
        context: Context,
    ) -> Result<Response, Error> {
        let mut usable: Vec<u16, MAX_PER_RP> = Vec::new();
        for slot in self.residents_for(&context.rp_id_hash) {
            if self.slot_usable(&context, slot) {
                let _ = usable.push(slot);
            }
        }
        let first = *usable.first().ok_or(Error::NoCredentials)?;
        if context.presence {
            platform.wait_for_presence()?;
        }
        let chosen = self
            .slot_entry(&context, first)
            .ok_or(Error::NoCredentials)?;
        let count = usable.len();
        let response = self.assert(platform, &context, chosen, Some(count))?;
        if count > 1 {
            self.pending = Some(PendingAssertions {
                context,
                remaining: usable,
                next: 1,
                deadline_ms: platform.uptime_ms() + NEXT_ASSERTION_WINDOW_MS,
            });
        }
        Ok(response)
    }

    /// authenticatorGetNextAssertion.
    // Its own frame: inlined into the dispatcher, every command's locals
    // would be on the stack at once.
    #[inline(never)]
    pub(crate) fn get_next_assertion(
        &mut self,
        platform: &mut impl Platform,
    ) -> Result<Response, Error> {
        let mut pending = self.pending.take().ok_or(Error::NotAllowed)?;
        let now = platform.uptime_ms();
        if now > pending.deadline_ms {
            return Err(Error::NotAllowed);
        }
        while let Some(&slot) = pending.remaining.get(pending.next) {
            pending.next += 1;
            // Skips a credential deleted in between.
            if let Some(chosen) = self.slot_entry(&pending.context, slot) {
                let response = self.assert(platform, &pending.context, chosen, None)?;
                pending.deadline_ms = now + NEXT_ASSERTION_WINDOW_MS;
                self.pending = Some(pending);
                return Ok(response);
            }
        }
        Err(Error::NotAllowed)
    }

    /// Signs one assertion with `chosen`.
    #[inline(never)]
    fn assert(
        &mut self,
        platform: &mut impl Platform,
        context: &Context,
        chosen: Chosen,
        count: Option<usize>,
    ) -> Result<Response, Error> {
        let mut flags = AuthenticatorDataFlags::empty();
        if context.presence {
            flags |= AuthenticatorDataFlags::USER_PRESENCE;
        }
        if context.verified {
            flags |= AuthenticatorDataFlags::USER_VERIFIED;
        }
        let mut extensions = ExtensionsOutput::default();
        if let Some(input) = &context.hmac_secret {
            if chosen.unwrapped.options.hmac_secret {
                let mut seed = [0u8; 32];
                platform.fill_random(&mut seed)?;
                let key = &chosen.unwrapped.key;
                extensions.hmac_secret =
                    Some(self.hmac_secret(input, key, context.verified, seed)?);
            }
        }
        if extensions.is_set() {
            flags |= AuthenticatorDataFlags::EXTENSION_DATA;
        }
        // Stored before the signature exists.
        let sign_count = self.persistent.next_counter()?;
        let authenticator_data = AuthenticatorData {
            rp_id_hash: &context.rp_id_hash,
            flags,
            sign_count,
            attested_credential_data: None::<NoAttestedCredentialData>,
            extensions: extensions.is_set().then_some(extensions),
        }
        .serialize()?;
        let signature = sign(
            &chosen.unwrapped.key,
            &[&authenticator_data, &context.client_data_hash],
        )?;
        let mut response = ResponseBuilder {
            credential: PublicKeyCredentialDescriptor {
                id: chosen.id,
                key_type: String::try_from("public-key").map_err(|_| Error::Other)?,
            },
            auth_data: authenticator_data,
            signature,
        }
        .build();
        response.user = chosen.user;
        if context.large_blob_key && chosen.unwrapped.options.resident {
            let blob_key = large_blob_key(&self.device_secret, &chosen.unwrapped.key)?;
            response.large_blob_key = Some(ByteArray::new(blob_key));
        }
        response.number_of_credentials = count.and_then(|count| u32::try_from(count).ok());
        Ok(response)
    }
}
