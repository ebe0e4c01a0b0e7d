//! authenticatorGetInfo: what this authenticator supports.

use crate::attestation::AAGUID;
use crate::authenticator::Authenticator;
use crate::credential::CREDENTIAL_ID;
use crate::ctaphid::MAX_MESSAGE;
use crate::large_blobs::MAX_SERIALIZED_ARRAY;
use crate::persistent::Records;
use ctap_types::ctap2::get_info::{
    CtapOptions, Extension, Response, ResponseBuilder, Transport, Version,
};
use ctap_types::heapless::Vec;
use ctap_types::sizes::MAX_CREDENTIAL_COUNT_IN_LIST;
use ctap_types::webauthn::{
    FilteredPublicKeyCredentialParameters, KnownPublicKeyCredentialParameters, ES256,
};
use ctap_types::Bytes;

/// The firmware version GetInfo reports.
pub const FIRMWARE_VERSION: usize = 1;

impl<R: Records> Authenticator<R> {
    /// The GetInfo response, with the PIN state and the room left.
    // Its own frame: inlined into the dispatcher, every command's locals
    // would be on the stack at once.
    #[inline(never)]
    pub(crate) fn info(&mut self) -> Response {
        let mut response = ResponseBuilder {
            versions: Vec::from_slice(&[Version::U2fV2, Version::Fido2_0, Version::Fido2_1])
                .unwrap_or_default(),
            aaguid: Bytes::from(&AAGUID),
        }
        .build();
        response.extensions = Vec::from_slice(&[
            Extension::CredProtect,
            Extension::HmacSecret,
            Extension::LargeBlobKey,
        ])
        .ok();
        let mut options = CtapOptions::default();
        options.rk = true;
        options.up = true;
        options.client_pin = Some(self.pin_is_set());
        options.cred_mgmt = Some(true);
        options.credential_mgmt_preview = Some(true);
        options.pin_uv_auth_token = Some(true);
        options.make_cred_uv_not_rqd = Some(true);
        options.large_blobs = Some(true);
        response.options = Some(options);
        response.max_msg_size = Some(MAX_MESSAGE);
        response.pin_protocols = Vec::from_slice(&[2, 1]).ok();
        response.max_creds_in_list = Some(MAX_CREDENTIAL_COUNT_IN_LIST);
        response.max_cred_id_length = Some(CREDENTIAL_ID);
        response.transports = Vec::from_slice(&[Transport::Usb]).ok();
        let mut algorithms = FilteredPublicKeyCredentialParameters(Vec::new());
        let _ = algorithms
            .0
            .push(KnownPublicKeyCredentialParameters { alg: ES256 });
        response.algorithms = Some(algorithms);
        response.min_pin_length = Some(self.min_pin_length());
        response.firmware_version = Some(FIRMWARE_VERSION);
        response.max_serialized_large_blob_array = Some(MAX_SERIALIZED_ARRAY);
        response.remaining_discoverable_credentials = Some(self.remaining_resident());
        response
    }
}
