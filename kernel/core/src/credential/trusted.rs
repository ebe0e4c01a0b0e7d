//! Checking an app against the board's trust store (feature
//! `credentials`): its active signing keys instead of the built-in ones,
//! its revocations (named in the refusal), its verified-digest records
//! (a record of the current key epoch skips ECDSA; the image is still
//! hashed) and its minimum versions.
//!
//! Pure: what the trust store should remember (a new record, a raised
//! minimum) is returned in [`Trusted`], and the checker writes it.

use tbf::crypto::sha256;
use tbf::trust::{fingerprint, AppName, KeyStatus, TrustState, MAX_SIGNING_KEYS};
use tbf::{parse, ParseError};

use super::{
    check_credentials, signed_enough, verify_signatures, CredentialPolicy, RawPublicKey, Refusal,
};
use crate::identity::Approval;

/// An approved app, and what the trust store should remember of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trusted<'a> {
    /// The approval (its signer index is among the store's keys).
    pub approval: Approval,
    /// Verified now (not from a record): digest, first signer, distinct
    /// signers, for a new verified-digest record.
    pub verified: Option<([u8; 32], u8, u8)>,
    /// Its package name and version (the minimum to raise), if it has a
    /// name.
    pub name: Option<&'a str>,
    /// Its version (TBF Program header; 0 without one).
    pub version: u32,
}

/// Check `image` under `policy`, with the keys, records and minimum
/// versions of `state`. Under `EcdsaP256` the store's active keys replace
/// the policy's (the policy keeps its `signers_required`).
pub fn check_trusted<'a>(
    image: &'a [u8],
    policy: &CredentialPolicy,
    state: &TrustState,
) -> Result<Trusted<'a>, Refusal> {
    let (approval, verified) = match policy {
        CredentialPolicy::EcdsaP256 {
            signers_required, ..
        } => check_signatures(image, (*signers_required).max(1), state)?,
        other => (check_credentials(image, other)?, None),
    };
    let tbf = parse(image).map_err(Refusal::Malformed)?;
    let name = tbf.package_name();
    let version = tbf.program().map_or(0, |program| program.app_version);
    if let Some(name) = name {
        if let Some(minimum) = state.minimum_version(name.as_bytes()) {
            if version < minimum {
                return Err(Refusal::BelowMinimum {
                    name: AppName::new(name.as_bytes()),
                    version,
                    minimum,
                });
            }
        }
    }
    Ok(Trusted {
        approval,
        verified,
        name,
        version,
    })
}

type Verification = (Approval, Option<([u8; 32], u8, u8)>);

fn check_signatures(
    image: &[u8],
    required: usize,
    state: &TrustState,
) -> Result<Verification, Refusal> {
    let tbf = parse(image).map_err(Refusal::Malformed)?;
    let region =
        tbf.integrity_region()
            .ok_or(Refusal::Malformed(ParseError::BaseHeaderTruncated {
                available: image.len(),
            }))?;
    let mut keys: [RawPublicKey; MAX_SIGNING_KEYS] = [[0; 64]; MAX_SIGNING_KEYS];
    let mut active = 0u64;
    let mut revoked = 0u64;
    for (index, (slot, entry)) in keys.iter_mut().zip(state.keys()).enumerate() {
        *slot = entry.key;
        match entry.status {
            KeyStatus::Active => active |= 1 << index,
            KeyStatus::Revoked => revoked |= 1 << index,
        }
    }
    let keys = &keys[..state.keys().len()];
    let digest = sha256(region);
    if let Some(record) = state.verified(&digest) {
        let signer_active = active & 1u64.checked_shl(u32::from(record.signer)).unwrap_or(0) != 0;
        if usize::from(record.signers) >= required && signer_active {
            return Ok((Approval::SignedBy(record.signer), None));
        }
    }
    let verified = verify_signatures(&tbf, &digest, keys, active, required)?;
    let active_count = active.count_ones() as usize;
    match signed_enough(verified, active_count, required) {
        Ok(approval) => {
            let signers = u8::try_from(verified.signed_by.count_ones()).unwrap_or(u8::MAX);
            let signer = approval.signer().unwrap_or(0);
            Ok((approval, Some((digest, signer, signers))))
        }
        Err(Refusal::SignatureInvalid { verified: 0, .. }) if revoked != 0 => {
            let by_revoked = verify_signatures(&tbf, &digest, keys, revoked, 1)?;
            match by_revoked.first_signer.and_then(|index| keys.get(index)) {
                Some(key) => Err(Refusal::RevokedSigner(fingerprint(key))),
                None => signed_enough(verified, active_count, required).map(|a| (a, None)),
            }
        }
        Err(refusal) => Err(refusal),
    }
}

#[cfg(test)]
#[path = "trusted_tests.rs"]
mod tests;
